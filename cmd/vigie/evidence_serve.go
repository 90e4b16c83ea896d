package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"vigie/config"
	"vigie/evidence"
	"vigie/rooms"
)

// retentionEvery is how often the server looks for incidents to purge.
const retentionEvery = time.Hour

// serverEvidence is the evidence part of a running server: the signing
// key, the export and legal-hold API, and the retention job.
type serverEvidence struct {
	api *evidence.API
	pub ed25519.PublicKey
	job *evidence.Job
}

// startEvidence loads (or creates) the signing key, adds the evidence
// endpoints to the admin API and the console, and starts retention.
func (s *server) startEvidence(ctx context.Context, cfg config.Config, mux *http.ServeMux, admin *rooms.API, log *slog.Logger) error {
	x, err := newExporter(cfg, s.store)
	if err != nil {
		return err
	}
	ev := &serverEvidence{api: &evidence.API{Exporter: x, Holds: s.store, Log: log}, pub: x.Key.Public().(ed25519.PublicKey)}
	ev.api.Routes(mux, admin.Authorized)
	if s.incidents != nil && s.incidents.console != nil {
		s.incidents.console.SetEvidence(ev.api, evidence.PublicKeyString(ev.pub), evidence.Fingerprint(ev.pub))
	}
	log.Info("evidence signing key", "public_key", evidence.PublicKeyString(ev.pub), "fingerprint", evidence.Fingerprint(ev.pub))
	rt := &evidence.Retention{Store: s.store, RecordingsDir: x.RecordingsDir, FilesDir: filepath.Join(cfg.Data, "files"),
		After: cfg.Retention.After(), Now: time.Now, Log: log}
	ev.job = evidence.StartJob(ctx, rt, retentionEvery)
	s.evidence = ev
	return nil
}

// close stops the retention job; nil-safe.
func (ev *serverEvidence) close() {
	if ev != nil {
		ev.job.Close()
	}
}

// printEvidenceKey shows the signing key, to note down for verifying
// bundles later.
func (s *server) printEvidenceKey(w io.Writer) {
	if s.evidence == nil {
		return
	}
	fmt.Fprintf(w, "  Evidence signing key (ed25519): %s\n  Its fingerprint: %s\n",
		evidence.PublicKeyString(s.evidence.pub), evidence.Fingerprint(s.evidence.pub))
}
