package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"vigie/config"
	"vigie/rooms"
)

// roomCommand runs `vigie room create` against a running server's API.
func roomCommand(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New(`room: usage: vigie room create NAME [--camera ID]... [--server URL] [--data DIR] [--config FILE] [--ttl 12h] [--json]`)
	}
	fs := flag.NewFlagSet("vigie room create", flag.ContinueOnError)
	server := fs.String("server", "", "vigie's URL (default: from the config)")
	data := fs.String("data", "", "data directory holding admin.key and tls/ca.pem")
	cfgPath := fs.String("config", "", "YAML configuration file")
	ttl := fs.String("ttl", "", "how long the links stay valid, such as 12h")
	asJSON := fs.Bool("json", false, "print the API's JSON answer")
	var cams stringList
	fs.Var(&cams, "camera", "id of a configured camera to show (repeat for several)")
	name, rest := splitName(args[1:])
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if name == "" && fs.NArg() > 0 {
		name = strings.Join(fs.Args(), " ")
	}
	if name == "" {
		return errors.New("room create: give the room a name")
	}
	answer, err := postAPI(serveFlags{config: *cfgPath, data: *data}, *server, "/api/v1/rooms",
		map[string]any{"name": name, "ttl": *ttl, "cameras": []string(cams)})
	if err != nil {
		return fmt.Errorf("room create: %w", err)
	}
	if *asJSON {
		_, err := stdout.Write(answer)
		return err
	}
	var created rooms.Created
	if err := json.Unmarshal(answer, &created); err != nil {
		return fmt.Errorf("room create: unreadable answer: %w", err)
	}
	fmt.Fprintf(stdout, "Room %q (%s)\n", created.Room.Name, created.Room.ID)
	for _, l := range created.Links {
		fmt.Fprintf(stdout, "  %-12s %s\n", l.Role+":", l.URL)
	}
	return nil
}

// splitName takes a leading non-flag argument as the room name, so both
// `room create NAME --json` and `room create --json NAME` work.
func splitName(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

// apiClient trusts the local CA when there is one and finds the admin key.
func apiClient(cfg config.Config, server string) (*http.Client, string, string, error) {
	if server == "" {
		server = cfg.PublicBase()
	}
	key := os.Getenv("VIGIE_ADMIN_KEY")
	if key == "" && len(cfg.Admin.APIKeys) > 0 {
		key = cfg.Admin.APIKeys[0]
	}
	if key == "" {
		var err error
		if key, err = readAdminKey(filepath.Join(cfg.Data, "admin.key")); err != nil {
			return nil, "", "", err
		}
	}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if pem, err := os.ReadFile(filepath.Join(cfg.Data, "tls", "ca.pem")); err == nil {
		pool, _ := x509.SystemCertPool()
		if pool == nil {
			pool = x509.NewCertPool()
		}
		pool.AppendCertsFromPEM(pem)
		tlsCfg.RootCAs = pool
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}, Timeout: 15 * time.Second}
	return client, strings.TrimSuffix(server, "/"), key, nil
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// postAPI sends one JSON request to the running server's admin API and
// returns its answer; a status other than 200 or 201 is an error that
// quotes the server.
func postAPI(f serveFlags, server, path string, body any) ([]byte, error) {
	cfg, err := loadConfig(f)
	if err != nil {
		return nil, err
	}
	client, base, key, err := apiClient(cfg, server)
	if err != nil {
		return nil, err
	}
	payload, _ := json.Marshal(body)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+path, bytes.NewReader(payload))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(answer)))
	}
	return answer, nil
}
