// The real parts around vigie in the browser tests, each a child process: the camera simulator
// (`vigie camera-sim`) and Mailpit, the SMTP server whose HTTP API tells what mail arrived.

import { execFile, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { binary, freePort } from './server.mjs';
import { StopWaiting, waitFor } from './wait.mjs';

const STOP_TIMEOUT_MS = 5_000;

/** Child is a process of a test whose output is kept, line by line, and which stop() ends. */
export class Child {
  constructor(label, command, args) {
    this.label = label;
    this.lines = [];
    this.exit = null;
    this.proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => resolve((this.exit = { code, signal })));
      this.proc.on('error', (err) => {
        this.lines.push(`[spawn] ${err.message}`);
        resolve((this.exit = { code: -1, signal: null }));
      });
    });
    for (const [stream, tag] of [[this.proc.stdout, 'out'], [this.proc.stderr, 'err']]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop();
        for (const line of parts) this.lines.push(`[${tag}] ${line}`);
      });
      stream.on('end', () => partial && this.lines.push(`[${tag}] ${partial}`));
    }
  }

  log() {
    return this.lines.join('\n');
  }

  /** printLog writes the output to stderr, framed, with a reason (as VigieServer's does). */
  printLog(reason) {
    const exit = this.exit ? ` (exited: code ${this.exit.code}, signal ${this.exit.signal})` : '';
    process.stderr.write(`\n----- ${this.label} log: ${reason}${exit}\n${this.log()}\n----- end of ${this.label} log\n`);
  }

  /** waitLine waits for a line of output matching re and returns its match. */
  waitLine(re, { timeout = 15_000 } = {}) {
    return waitFor(
      () => {
        for (const line of this.lines) {
          const m = re.exec(line);
          if (m) return m;
        }
        if (this.exit) throw new StopWaiting(`${this.label} exited (code ${this.exit.code}):\n${this.log()}`);
        return null;
      },
      { timeout, interval: 50, what: `${this.label} printing ${re}` },
    );
  }

  /** stop ends the process: SIGTERM, then SIGKILL if it is still there after 5 s. */
  async stop() {
    if (this.exit) return;
    this.proc.kill('SIGTERM');
    const timer = new Promise((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS, 'timeout').unref());
    if ((await Promise.race([this.exited, timer])) === 'timeout') {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
  }
}

/**
 * startCameraSim runs `bin/vigie camera-sim` on a free loopback port and resolves once it has
 * printed its cameras' URLs: {child, urls} with urls by path name (main, sub, h265...).
 */
export async function startCameraSim() {
  const port = await freePort();
  const child = new Child('camera-sim', binary, ['camera-sim', '--listen', `127.0.0.1:${port}`]);
  try {
    await child.waitLine(/^\[out\]\s+main\s+(rtsp:\/\/\S+)/);
  } catch (err) {
    await child.stop();
    throw err;
  }
  const urls = {};
  for (const line of child.lines) {
    const m = /^\[out\]\s+(\S+)\s+(rtsp:\/\/\S+)/.exec(line);
    if (m) urls[m[1]] = m[2];
  }
  return { child, urls };
}

function executable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * findMailpit looks for the mailpit binary on PATH, then where `go install` puts it (GOBIN, then
 * each GOPATH's bin), as the Go tests do. scripts/test-deps.sh installs it; its absence fails.
 */
export async function findMailpit() {
  const dirs = (process.env.PATH || '').split(path.delimiter).filter(Boolean);
  try {
    const { stdout } = await promisify(execFile)('go', ['env', 'GOBIN', 'GOPATH'], { timeout: 15_000 });
    const [gobin, gopath = ''] = stdout.split('\n');
    if (gobin) dirs.push(gobin);
    for (const p of gopath.split(path.delimiter).filter(Boolean)) dirs.push(path.join(p, 'bin'));
  } catch {
    dirs.push(path.join(os.homedir(), 'go', 'bin'));
  }
  for (const dir of dirs) {
    const file = path.join(dir, 'mailpit');
    if (executable(file)) return file;
  }
  throw new Error(`mailpit not found on PATH nor in Go's bin directories: run scripts/test-deps.sh (make e2e does)`);
}

/** Mailpit is a running Mailpit: smtpPort takes mail, api reads it. */
export class Mailpit {
  static async start() {
    const bin = await findMailpit();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vigie-e2e-mailpit-'));
    const [smtpPort, httpPort] = [await freePort(), await freePort()];
    const child = new Child('mailpit', bin, [
      '--smtp', `127.0.0.1:${smtpPort}`, '--listen', `127.0.0.1:${httpPort}`,
      '--database', path.join(dir, 'mp.db'),
      // Any login is accepted, even without TLS (vigie talks to it with tls: none).
      '--smtp-auth-accept-any', '--smtp-auth-allow-insecure', '--smtp-disable-rdns', '--disable-version-check',
    ]);
    const mp = new Mailpit(child, dir, smtpPort, `http://127.0.0.1:${httpPort}`);
    try {
      await waitFor(
        async () => {
          if (child.exit) throw new StopWaiting(`mailpit exited (code ${child.exit.code}):\n${child.log()}`);
          return (await fetch(`${mp.api}/readyz`)).ok;
        },
        { timeout: 20_000, interval: 50, what: `GET ${mp.api}/readyz answering 200` },
      );
    } catch (err) {
      await mp.stop();
      throw err;
    }
    return mp;
  }

  constructor(child, dir, smtpPort, api) {
    Object.assign(this, { child, dir, smtpPort, api });
  }

  async get(urlPath) {
    const res = await fetch(this.api + urlPath);
    if (!res.ok) throw new Error(`GET ${urlPath}: ${res.status} ${await res.text()}`);
    return res.json();
  }

  /** messages lists the summaries of the messages received ({ID, To: [{Address}], Subject, ...}). */
  async messages() {
    return (await this.get('/api/v1/messages')).messages ?? [];
  }

  /** message returns one message in full, with its plain-text body in Text. */
  message(id) {
    return this.get(`/api/v1/message/${encodeURIComponent(id)}`);
  }

  async stop() {
    await this.child.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
