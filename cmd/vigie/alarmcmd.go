package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
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
	answer, err := postAPI(serveFlags{config: *cfgPath, data: *data}, *server, "/api/v1/incidents",
		map[string]string{"site": *site, "kind": *kind})
	if err != nil {
		return fmt.Errorf("alarm: %w", err)
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
