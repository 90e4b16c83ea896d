package main

import (
	"context"
	"fmt"
	"io"

	"vigie/rooms"
)

// printWelcome tells the person who started vigie where to go, and in demo
// mode creates a room to go to; consolePassword is the demonstration
// operator's, when one was added.
func (s *server) printWelcome(ctx context.Context, w io.Writer, demo bool, consolePassword string) error {
	fmt.Fprintf(w, "\nvigie %s is running: %s/\n", version, s.publicURL)
	if s.tls.CAFile != "" {
		fmt.Fprintf(w, "  Local certificate authority: %s\n  SHA-256 fingerprint: %s\n", s.tls.CAFile, s.tls.CAFingerprint)
		fmt.Fprintln(w, "  Import it into your browser or system to avoid the certificate warning.")
	}
	s.printEvidenceKey(w)
	if !demo {
		fmt.Fprintln(w, "  Create a room with: vigie room create \"Exercice\"")
		fmt.Fprintln(w)
		return nil
	}
	var cams []string
	for _, c := range s.cfg.Cameras {
		cams = append(cams, c.ID)
	}
	created, err := s.rooms.Create(ctx, "Salle de démonstration", cams, rooms.DefaultLinks(), 0)
	if err != nil {
		return fmt.Errorf("create demonstration room: %w", err)
	}
	fmt.Fprintf(w, "\n  Demonstration room %q:\n", created.Room.Name)
	for _, l := range created.Links {
		fmt.Fprintf(w, "    %-12s %s\n", l.Role+" link:", l.URL)
	}
	fmt.Fprintln(w, "  Open the operator link here and the other in a second browser or on a phone.")
	if s.incidents != nil {
		fmt.Fprintln(w, "  Raise an alarm on the demonstration site: bin/vigie alarm --site demo")
		if s.cfg.SMTP.Host == "" {
			fmt.Fprintln(w, "  No mail server: each invitation's link is written to this log, and the console shows it as not e-mailed.")
		}
	}
	if consolePassword != "" && s.incidents != nil {
		fmt.Fprintf(w, "  Operator console: %s/console (user %s, password %s)\n", s.publicURL, demoOperatorName, consolePassword)
	}
	fmt.Fprintln(w)
	return nil
}
