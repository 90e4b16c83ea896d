package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestWebhookOpensThenJoinsIncident posts signed alarms to a running
// server: the first opens an incident, a retry gets the same answer, and
// the operator's CLI alarm joins the same incident.
func TestWebhookOpensThenJoinsIncident(t *testing.T) {
	data := t.TempDir()
	cfg := filepath.Join(data, "vigie.yaml")
	secret := "a-shared-secret-of-more-than-32-characters"
	yaml := `contacts:
  - {id: dupont, name: "Capitaine Dupont", email: "dupont@police.example"}
sites:
  - {id: joliette, name: "Bureau de poste de Joliette", committee: [dupont]}
webhooks:
  - {name: arc-nord, secret: "` + secret + `"}
`
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	base, stop := startServe(t, data, "--config", cfg)
	defer stop()
	client := trustingClient(t, data)

	post := func(body string) (int, map[string]any) {
		t.Helper()
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(ts + "." + body))
		req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/alarms", bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Vigie-Integration", "arc-nord")
		req.Header.Set("X-Vigie-Timestamp", ts)
		req.Header.Set("X-Vigie-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	body := `{"site":"joliette","kind":"holdup","idempotency_key":"arc-1"}`
	status, first := post(body)
	if status != http.StatusCreated || first["incident"] == "" || first["operator_url"] == "" {
		t.Fatalf("first alarm: %d %v", status, first)
	}
	status, retry := post(body)
	if status != http.StatusOK || retry["incident"] != first["incident"] || retry["duplicate"] != true {
		t.Fatalf("retry: %d %v", status, retry)
	}
	var out bytes.Buffer
	if code := run(t.Context(), []string{"alarm", "--site", "joliette", "--data", data, "--server", base, "--json"}, &out, &out); code != 0 {
		t.Fatalf("vigie alarm: exit %d: %s", code, out.String())
	}
	var cli map[string]any
	if err := json.Unmarshal(out.Bytes(), &cli); err != nil || cli["id"] != first["incident"] || cli["opened"] == true {
		t.Fatalf("operator's alarm: %v (%v)", cli, err)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/alarms", bytes.NewReader([]byte(body)))
	req.Header.Set("X-Vigie-Integration", "arc-nord")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned alarm: %s", resp.Status)
	}
}
