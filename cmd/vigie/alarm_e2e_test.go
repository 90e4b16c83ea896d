package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"vigie/bench"
	"vigie/camsim"
	"vigie/internal/mailpittest"
)

// TestPanicFrameToCameraVideo follows one hold-up end to end with real
// parts: a DC-09 panic frame over TCP opens an incident, Mailpit receives
// one e-mail per committee member, and the link taken from an e-mail joins
// the room and receives the site's camera video.
func TestPanicFrameToCameraVideo(t *testing.T) {
	sim, err := camsim.Start(context.Background(), camsim.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	mp := mailpittest.Start(t, "optional")
	dc09 := freeAddr(t)
	data := t.TempDir()
	cfg := filepath.Join(data, "vigie.yaml")
	yaml := fmt.Sprintf(`cameras:
  - id: guichet
    name: "Guichet"
    url: %q
    preload: true
contacts:
  - {id: dupont, name: "Capitaine Dupont", email: "dupont@police.example"}
  - {id: martin, name: "Lieutenant Martin", email: "martin@sdis.example", role: committee}
sites:
  - id: joliette
    name: "Bureau de poste de Joliette"
    address: "10 place de la Joliette"
    alarm_accounts: ["1234"]
    cameras: [guichet]
    committee: [dupont, martin]
dc09:
  listen: %q
smtp:
  host: 127.0.0.1
  port: %d
  tls: none
  from: "vigie <alerte@vigie.test>"
`, sim.URL("/main"), dc09, mp.SMTPPort)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	base, stop := startServe(t, data, "--config", cfg)
	defer stop()

	// The panel reports a panic, zone 15; vigie acknowledges it.
	frame := "1379003B\"ADM-CID\"0001L0#1234[#1234|1120 01 015]_14:12:04,09-25-2024"
	conn, err := net.Dial("tcp", dc09)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
	if _, err := conn.Write([]byte("\n" + frame + "\r")); err != nil {
		t.Fatal(err)
	}
	ack := make([]byte, 64)
	n, err := conn.Read(ack)
	if err != nil || !strings.Contains(string(ack[:n]), `1BC10012"ACK"0001L0#1234[]`) {
		t.Fatalf("ACK %q, %v", ack[:n], err)
	}

	// One e-mail per member of the committee, each with a personal link.
	links := map[string]string{}
	linkRe := regexp.MustCompile(`https://\S+/room/\S+\?t=\S+`)
	deadline := time.Now().Add(20 * time.Second)
	for len(links) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("mails: %+v", mp.Messages())
		}
		for _, s := range mp.Messages().Messages {
			msg := mp.Message(s.ID)
			if l := linkRe.FindString(msg.Text); l != "" && len(msg.To) == 1 {
				links[msg.To[0].Address] = l
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(mp.Messages().Messages) != 2 {
		t.Fatalf("%d mails for 2 contacts", len(mp.Messages().Messages))
	}

	// The police officer's link joins the room and gets the camera's video.
	link := strings.Replace(links["dupont@police.example"], "localhost", "127.0.0.1", 1)
	pem, _ := os.ReadFile(filepath.Join(data, "tls", "ca.pem"))
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	res, err := bench.Join(context.Background(), bench.JoinConfig{
		Link: link, N: 1, MaxDelay: -1, TLSConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"},
	})
	if err != nil || res.Failures != 0 || len(res.Samples) != 1 {
		t.Fatalf("joining from the e-mailed link: %+v, %v", res, err)
	}
	t.Logf("camera keyframe %v after joining from the e-mail", res.Samples[0].FirstKeyframe)

	// The operator sees who was sent, who joined.
	var list struct {
		Incidents []struct {
			Site        string
			Invitations []struct{ Email, State string }
		}
	}
	key, _ := os.ReadFile(filepath.Join(data, "admin.key"))
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/incidents", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(key)))
	resp, err := trustingClient(t, data).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || len(list.Incidents) != 1 {
		t.Fatalf("incidents %+v, %v", list, err)
	}
	states := map[string]string{}
	for _, inv := range list.Incidents[0].Invitations {
		states[inv.Email] = inv.State
	}
	if states["dupont@police.example"] != "joined" || states["martin@sdis.example"] != "sent" {
		t.Fatalf("invitation states %v", states)
	}
}
