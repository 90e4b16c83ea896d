package console

import (
	"net/http"
	"strings"
	"testing"
)

type fakeExporter struct{ incident, exporter string }

func (f *fakeExporter) ServeExport(w http.ResponseWriter, _ *http.Request, incident, exporter string) {
	f.incident, f.exporter = incident, exporter
	w.Header().Set("Content-Type", "application/zip")
	w.Write([]byte("PK"))
}

func TestEvidenceExport(t *testing.T) {
	h := newHarness(t, alice(t), nil)
	cookie := h.login("alice", password)
	if w := h.do(request{method: "GET", path: "/console/api/incidents/i_1/evidence", cookie: cookie}); w.Code != http.StatusNotFound {
		t.Fatalf("export without exporter = %d", w.Code)
	}
	if w := h.do(request{method: "GET", path: "/console/api/evidence-key", cookie: cookie}); w.Code != http.StatusNotFound {
		t.Fatalf("key without exporter = %d", w.Code)
	}
	ex := &fakeExporter{}
	h.console.SetEvidence(ex, "PUBKEY", "ab12 cd34 ef56 7890")
	if w := h.do(request{method: "GET", path: "/console/api/incidents/i_1/evidence"}); w.Code != http.StatusUnauthorized || ex.incident != "" {
		t.Fatalf("export without login = %d (%+v)", w.Code, ex)
	}
	w := h.do(request{method: "GET", path: "/console/api/incidents/i_1/evidence", cookie: cookie})
	if w.Code != http.StatusOK || w.Body.String() != "PK" || ex.incident != "i_1" || ex.exporter != "operator:alice" {
		t.Fatalf("export = %d %q, exporter saw %+v", w.Code, w.Body, ex)
	}
	w = h.do(request{method: "GET", path: "/console/api/evidence-key", cookie: cookie})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"fingerprint":"ab12 cd34 ef56 7890"`) {
		t.Fatalf("key = %d %s", w.Code, w.Body)
	}
}
