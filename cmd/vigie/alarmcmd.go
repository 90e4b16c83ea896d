package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// alarmCommand runs `vigie alarm --site ID`: the operator's button from a
// terminal, through the running server's API.
func alarmCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("vigie alarm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	site := fs.String("site", "", "id of the site the alarm is for")
	kind := fs.String("kind", "holdup", "holdup, panic, duress or emergency")
	server := fs.String("server", "", "vigie's URL (default: from the config)")
	data := fs.String("data", "", "data directory holding admin.key and tls/ca.pem")
	cfgPath := fs.String("config", "", "YAML configuration file")
	asJSON := fs.Bool("json", false, "print the API's JSON answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *site == "" {
		return errors.New("alarm: usage: vigie alarm --site ID [--kind holdup] [--server URL] [--data DIR] [--json]")
	}
	cfg, err := loadConfig(serveFlags{config: *cfgPath, data: *data})
	if err != nil {
		return err
	}
	client, base, key, err := apiClient(cfg, *server)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]string{"site": *site, "kind": *kind})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/incidents", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("alarm: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return fmt.Errorf("alarm: %s: %s", resp.Status, strings.TrimSpace(string(answer)))
	}
	if *asJSON {
		_, err := stdout.Write(answer)
		return err
	}
	var out struct {
		ID          string `json:"id"`
		Opened      bool   `json:"opened"`
		OperatorURL string `json:"operator_url"`
	}
	if err := json.Unmarshal(answer, &out); err != nil {
		return fmt.Errorf("alarm: unreadable answer: %w", err)
	}
	verb := "joined the open incident"
	if out.Opened {
		verb = "opened incident"
	}
	fmt.Fprintf(stdout, "Alarm %s %s\n  operator link: %s\n", verb, out.ID, out.OperatorURL)
	return nil
}
