package console

import (
	"net/http"
)

// EvidenceExporter streams an incident's evidence bundle (evidence.API).
type EvidenceExporter interface {
	ServeExport(w http.ResponseWriter, r *http.Request, incident, exporter string)
}

// SetEvidence turns on the "Export evidence" download and shows the
// signing key; call it before serving.
func (c *Console) SetEvidence(e EvidenceExporter, publicKey, fingerprint string) {
	c.evidence = e
	c.evidenceKey = map[string]string{"public_key": publicKey, "fingerprint": fingerprint}
}

// exportEvidence answers GET /console/api/incidents/{id}/evidence with
// the bundle, named after the operator who took it.
func (c *Console) exportEvidence(w http.ResponseWriter, r *http.Request) {
	if c.evidence == nil {
		writeError(w, http.StatusNotFound, "not_found", "evidence export is off")
		return
	}
	op := operatorOf(r)
	c.cfg.Log.Info("console: export evidence", "operator", op.username, "incident", r.PathValue("id"))
	c.evidence.ServeExport(w, r, r.PathValue("id"), "operator:"+op.username)
}

// evidenceKeyInfo answers GET /console/api/evidence-key: the public key
// that signs bundles, to give to whoever verifies them.
func (c *Console) evidenceKeyInfo(w http.ResponseWriter, _ *http.Request) {
	if c.evidenceKey == nil {
		writeError(w, http.StatusNotFound, "not_found", "evidence export is off")
		return
	}
	writeJSON(w, http.StatusOK, c.evidenceKey)
}
