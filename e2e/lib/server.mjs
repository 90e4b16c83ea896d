// A real vigie server for the browser tests: bin/vigie (built by `make e2e`) started as a child
// process on a free local port with a fresh data directory, reached over HTTPS that trusts the
// server's own generated CA.

import { spawn, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { StopWaiting, waitFor } from './wait.mjs';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const binary = path.join(repoRoot, 'bin', 'vigie');

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/** freePort asks the kernel for a free TCP port on 127.0.0.1 and releases it at once. */
export async function freePort() {
  const srv = net.createServer();
  await new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/**
 * startServer runs `bin/vigie serve` and resolves once GET /readyz answers 200 over TLS verified
 * against <data>/tls/ca.pem. Call stop() at the end: it checks a clean exit on SIGTERM. args are
 * added to the command line (for instance ['--demo']).
 */
export async function startServer({ args = [] } = {}) {
  if (!existsSync(binary)) {
    throw new Error(`${binary} is missing: build it first (make e2e builds it)`);
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'vigie-e2e-'));
  const port = await freePort();
  const server = new VigieServer(dataDir, port, args);
  try {
    await server.waitReady();
  } catch (err) {
    server.printLog('the server did not become ready');
    await server.kill();
    throw err;
  }
  return server;
}

/**
 * Starts vigie on `yaml`, written as vigie.yaml in a fresh folder; sets ctx.server and ctx.tmp
 * ({server, participants, tmp}, the suites' shared context).
 */
export async function startWithConfig(ctx, name, yaml) {
  ctx.tmp = await mkdtemp(path.join(os.tmpdir(), `vigie-e2e-${name}-`));
  const file = path.join(ctx.tmp, 'vigie.yaml');
  await writeFile(file, yaml);
  ctx.server = await startServer({ args: ['--config', file] });
}

/** Closes ctx's browsers, stops its server and removes the folder of startWithConfig. */
export async function stopWithConfig(ctx) {
  await Promise.all(ctx.participants.map((p) => p.close()));
  try {
    await ctx.server?.stop();
  } finally {
    if (ctx.tmp) await rm(ctx.tmp, { recursive: true, force: true });
  }
}

export class VigieServer {
  constructor(dataDir, port, args = []) {
    this.dataDir = dataDir;
    this.port = port;
    this.url = `https://127.0.0.1:${port}`;
    this.lines = [];
    this.exit = null; // {code, signal} once the process has ended
    this.agent = null; // https.Agent trusting the server's CA, once it exists
    this.proc = spawn(binary, ['serve', '--listen', `127.0.0.1:${port}`, '--data', dataDir, '--free-ports', ...args], {
      cwd: dataDir,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      this.proc.on('error', (err) => {
        this.lines.push(`[spawn] ${err.message}`);
        this.exit = { code: -1, signal: null };
        resolve(this.exit);
      });
    });
    this.capture(this.proc.stdout, 'out');
    this.capture(this.proc.stderr, 'err');
  }

  capture(stream, tag) {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop();
      for (const line of parts) this.lines.push(`[${tag}] ${line}`);
    });
    stream.on('end', () => {
      if (partial) this.lines.push(`[${tag}] ${partial}`);
    });
  }

  /** log returns everything the server printed so far. */
  log() {
    return this.lines.join('\n');
  }

  /** printLog writes the server's output to stderr, framed, with a reason. */
  printLog(reason) {
    const exit = this.exit ? ` (exited: code ${this.exit.code}, signal ${this.exit.signal})` : '';
    process.stderr.write(
      `\n----- vigie server log: ${reason}${exit}\n${this.log()}\n----- end of server log\n`,
    );
  }

  async waitReady() {
    const caPath = path.join(this.dataDir, 'tls', 'ca.pem');
    await waitFor(
      async () => {
        if (this.exit) {
          throw new StopWaiting(`vigie serve exited early: code ${this.exit.code}, signal ${this.exit.signal}`);
        }
        if (!this.agent) {
          if (!existsSync(caPath)) return false;
          this.agent = new https.Agent({ ca: await readFile(caPath), keepAlive: false });
        }
        const res = await this.request('GET', '/readyz');
        return res.status === 200;
      },
      { timeout: READY_TIMEOUT_MS, interval: 100, what: `GET ${this.url}/readyz answering 200` },
    );
  }

  /** request makes one HTTPS request to the server; body objects are sent as JSON. */
  request(method, urlPath, { headers = {}, body } = {}) {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const hdrs = { ...headers };
    if (payload !== undefined) {
      hdrs['content-type'] = 'application/json';
      hdrs['content-length'] = Buffer.byteLength(payload);
    }
    return new Promise((resolve, reject) => {
      const req = https.request(
        new URL(urlPath, this.url),
        { method, headers: hdrs, agent: this.agent, timeout: 5_000 },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: no answer within 5 s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  async adminKey() {
    return (await readFile(path.join(this.dataDir, 'admin.key'), 'utf8')).trim();
  }

  /**
   * printedLink waits for the line `ROLE link: URL` that `serve --demo` prints for its
   * demonstration room, and returns that link as a URL on this test server.
   */
  async printedLink(role, { timeout = 15_000 } = {}) {
    const pattern = new RegExp(`^\\[out\\]\\s*${role} link:\\s+(\\S+)`);
    const url = await waitFor(
      () => {
        if (this.exit) throw new StopWaiting(`vigie serve exited: code ${this.exit.code}`);
        for (const line of this.lines) {
          const m = pattern.exec(line);
          if (m) return m[1];
        }
        return null;
      },
      { timeout, interval: 100, what: `"${role} link: URL" in the server's output` },
    );
    return this.linkURL({ url });
  }

  /** createRoomAPI creates a room with POST /api/v1/rooms; extra fields (links, ttl) pass through. */
  async createRoomAPI(name, extra = {}) {
    const res = await this.request('POST', '/api/v1/rooms', {
      headers: { authorization: `Bearer ${await this.adminKey()}` },
      body: { name, ...extra },
    });
    if (res.status !== 201) {
      throw new Error(`POST /api/v1/rooms answered ${res.status}: ${res.text}`);
    }
    return JSON.parse(res.text);
  }

  /** createRoomCLI creates a room with `vigie room create NAME --json`, as an administrator would. */
  async createRoomCLI(name) {
    const args = ['room', 'create', name, '--data', this.dataDir, '--server', this.url, '--json'];
    let out;
    try {
      out = await promisify(execFile)(binary, args, { timeout: 15_000 });
    } catch (err) {
      throw new Error(`vigie ${args.join(' ')} failed: ${err.message}\nstderr: ${err.stderr ?? ''}`);
    }
    try {
      return JSON.parse(out.stdout);
    } catch {
      throw new Error(`vigie room create --json printed no JSON:\n${out.stdout}\nstderr: ${out.stderr}`);
    }
  }

  /**
   * linkURL turns a link of a room-creation answer into a URL on this test server: the path and
   * token are kept, the host is the one the test listens on, whatever the server advertises.
   */
  linkURL(link) {
    const u = new URL(link.url);
    return `${this.url}${u.pathname}${u.search}`;
  }

  /** stop sends SIGTERM and checks the server exits with code 0 within 10 s. */
  async stop() {
    if (!this.exit) {
      this.proc.kill('SIGTERM');
      const timer = new Promise((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS, 'timeout'));
      if ((await Promise.race([this.exited, timer])) === 'timeout') {
        await this.kill();
        this.printLog('no exit within 10 s of SIGTERM');
        throw new Error('vigie serve did not exit within 10 s of SIGTERM');
      }
    }
    if (this.exit.code !== 0) {
      this.printLog('unclean exit');
      throw new Error(`vigie serve exited with code ${this.exit.code}, signal ${this.exit.signal}`);
    }
    await rm(this.dataDir, { recursive: true, force: true });
  }

  async kill() {
    if (!this.exit) {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
  }
}
