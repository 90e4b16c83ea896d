package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"time"

	"vigie/config"
	"vigie/evidence"
	"vigie/store"
)

const evidenceUsage = `usage:
  vigie evidence export INCIDENT -o bundle.zip [--config FILE] [--data DIR] [--by NAME]
  vigie evidence verify bundle.zip [--key BASE64]
  vigie evidence hold INCIDENT --reason TEXT [--by NAME] [--config FILE] [--data DIR]
  vigie evidence release INCIDENT --reason TEXT [--by NAME] [--config FILE] [--data DIR]
  vigie evidence key [--config FILE] [--data DIR]`

// evidenceCommand runs `vigie evidence ...`. Export, hold and release work
// on the data directory itself (the database and files), with or without
// a running server; verify needs only the bundle.
func evidenceCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("evidence: " + evidenceUsage)
	}
	cmd, rest := args[0], args[1:]
	arg, rest := splitName(rest)
	fs := flag.NewFlagSet("vigie evidence "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "YAML configuration file")
	data := fs.String("data", "", "data directory (overrides the config)")
	out := fs.String("o", "", "bundle file to write")
	by := fs.String("by", defaultActor(), "who does it, for the timeline")
	reason := fs.String("reason", "", "why (legal hold and release)")
	key := fs.String("key", "", "expected public key, base64 (verify)")
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if arg == "" && fs.NArg() > 0 {
		arg = fs.Arg(0)
	}
	f := evidenceFlags{cfgPath: *cfgPath, data: *data, by: *by, reason: *reason}
	switch {
	case cmd == "verify" && arg != "":
		return evidenceVerify(arg, *key, stdout)
	case cmd == "export" && arg != "" && *out != "":
		return evidenceExport(ctx, f, arg, *out, stdout)
	case (cmd == "hold" || cmd == "release") && arg != "" && *reason != "":
		return evidenceHold(ctx, f, cmd, arg, stdout)
	case cmd == "key":
		return evidenceKey(f, stdout)
	}
	return errors.New("evidence: " + evidenceUsage)
}

type evidenceFlags struct {
	cfgPath, data, by, reason string
}

func defaultActor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	return "cli"
}

func (f evidenceFlags) config() (config.Config, error) {
	return loadConfig(serveFlags{config: f.cfgPath, data: f.data})
}

// openData opens the database of an existing data directory; it does not
// create one, so that a wrong --data fails instead of exporting nothing.
func (f evidenceFlags) openData(ctx context.Context) (config.Config, *store.Store, error) {
	cfg, err := f.config()
	if err != nil {
		return cfg, nil, err
	}
	db := filepath.Join(cfg.Data, "vigie.db")
	if _, err := os.Stat(db); err != nil {
		return cfg, nil, fmt.Errorf("no database in %s (set --data or --config): %w", cfg.Data, err)
	}
	st, err := store.Open(ctx, db)
	return cfg, st, err
}

func evidenceVerify(path, keyArg string, stdout io.Writer) error {
	var want ed25519.PublicKey
	if keyArg != "" {
		var err error
		if want, err = evidence.ParsePublicKey(keyArg); err != nil {
			return err
		}
	}
	rep, err := evidence.VerifyFile(path, want)
	if err != nil {
		return err
	}
	if m := rep.Manifest; m != nil {
		fmt.Fprintf(stdout, "incident %s, exported %s by %s (vigie %s), %d files\n",
			m.Incident, m.ExportedAt.Format(time.RFC3339), m.Exporter, m.Version, len(m.Files))
		if pub, err := evidence.ParsePublicKey(m.PublicKey); err == nil {
			fmt.Fprintf(stdout, "signing key fingerprint: %s\n", evidence.Fingerprint(pub))
		}
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(stdout, "FAIL", p)
	}
	if !rep.OK() {
		return fmt.Errorf("%s: %d problem(s): the bundle is not intact / le dossier n'est pas intègre", path, len(rep.Problems))
	}
	if want == nil {
		fmt.Fprintln(stdout, "OK: intact and signed by the key it names; compare the fingerprint with the server's, or pass --key")
	} else {
		fmt.Fprintln(stdout, "OK: intact and signed by the expected key")
	}
	return nil
}

func evidenceExport(ctx context.Context, f evidenceFlags, incident, out string, stdout io.Writer) error {
	cfg, st, err := f.openData(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	x, err := newExporter(cfg, st)
	if err != nil {
		return err
	}
	tmp := out + ".part"
	file, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	m, err := x.Export(ctx, file, incident, f.by)
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, out)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	fmt.Fprintf(stdout, "%s: incident %s, %d files, signed by key %s\n", out, incident, len(m.Files),
		evidence.Fingerprint(x.Key.Public().(ed25519.PublicKey)))
	return nil
}

func evidenceHold(ctx context.Context, f evidenceFlags, cmd, incident string, stdout io.Writer) error {
	_, st, err := f.openData(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now().UTC()
	if cmd == "hold" {
		err = st.Hold(ctx, store.LegalHold{Incident: incident, Reason: f.reason, By: f.by, At: now})
	} else {
		err = st.Release(ctx, incident, f.reason, f.by, now)
	}
	if err != nil {
		return err
	}
	h, err := st.HoldOf(ctx, incident)
	if err != nil {
		return err
	}
	if h == nil {
		fmt.Fprintf(stdout, "incident %s: not on legal hold; retention applies\n", incident)
		return nil
	}
	fmt.Fprintf(stdout, "incident %s: on legal hold since %s (%s, by %s)\n", incident, h.At.Format(time.RFC3339), h.Reason, h.By)
	return nil
}

func evidenceKey(f evidenceFlags, stdout io.Writer) error {
	cfg, err := f.config()
	if err != nil {
		return err
	}
	key, err := evidence.LoadOrCreateKey(filepath.Join(cfg.Data, "evidence.key"))
	if err != nil {
		return err
	}
	pub := key.Public().(ed25519.PublicKey)
	fmt.Fprintf(stdout, "%s\nfingerprint: %s\n", evidence.PublicKeyString(pub), evidence.Fingerprint(pub))
	return nil
}

// newExporter builds the exporter of a data directory.
func newExporter(cfg config.Config, st *store.Store) (*evidence.Exporter, error) {
	key, err := evidence.LoadOrCreateKey(filepath.Join(cfg.Data, "evidence.key"))
	if err != nil {
		return nil, err
	}
	return &evidence.Exporter{
		Records:       st,
		Files:         evidence.StoreFiles{Store: st, Dir: filepath.Join(cfg.Data, "files")},
		RecordingsDir: filepath.Join(cfg.Data, "recordings"),
		Key:           key,
		Version:       version,
		Now:           time.Now,
	}, nil
}
