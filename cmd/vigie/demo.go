package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"

	"golang.org/x/crypto/bcrypt"

	"vigie/cameras"
	"vigie/camsim"
	"vigie/config"
)

// startDemoCamera runs the camera simulator in-process and adds its main
// stream as a preloaded camera when the configuration lists none, so the
// demonstration room shows a live camera.
func startDemoCamera(ctx context.Context, cfg *config.Config, log *slog.Logger) (*camsim.Server, error) {
	if len(cfg.Cameras) > 0 {
		return nil, nil
	}
	sim, err := camsim.Start(ctx, camsim.Config{Addr: "127.0.0.1:0", Log: log.With("component", "camera-sim")})
	if err != nil {
		return nil, err
	}
	cfg.Cameras = append(cfg.Cameras, config.Camera{
		ID: "demo", Name: "Caméra de démonstration", URL: sim.URL("/main"), SubURL: sim.URL("/sub"), Preload: true,
		PlaybackURL: sim.URL(camsim.PlaybackPath), // the simulator's recorder, ONVIF replay
	})
	if len(cfg.Sites) == 0 {
		// A site to raise alarms on: `bin/vigie alarm --site demo` opens an
		// incident and the invitation e-mail is written to the log.
		cfg.Contacts = append(cfg.Contacts, config.Contact{
			ID: "demo-police", Name: "Police (démonstration)", Email: "police@example.org", Role: "responder",
		})
		cfg.Sites = append(cfg.Sites, config.Site{
			ID: "demo", Name: "Bureau de poste de démonstration", Address: "1 rue de la Démonstration",
			Cameras: []string{"demo"}, Committee: []string{"demo-police"}, AlarmAccounts: []string{"1234"},
		})
	}
	return sim, nil
}

// demoOperatorName is the console login `vigie serve --demo` adds.
const demoOperatorName = "demo"

// addDemoOperator gives the console an operator when the configuration has
// none, so that the demonstration shows the operator's side too. The
// password is new at each start and only printed on the terminal.
func addDemoOperator(cfg *config.Config) (password string, err error) {
	if len(cfg.Operators) > 0 {
		return "", nil
	}
	password = rand.Text()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("demonstration operator: %w", err)
	}
	cfg.Operators = append(cfg.Operators, config.Operator{
		Username: demoOperatorName, Name: "Opérateur (démonstration)", PasswordHash: string(hash),
	})
	return password, nil
}

// cameraList turns the configured cameras into the registry's.
func cameraList(list []config.Camera) []cameras.Camera {
	out := make([]cameras.Camera, 0, len(list))
	for _, c := range list {
		out = append(out, cameras.Camera{
			ID: c.ID, Name: c.Name, URL: c.URL, SubURL: c.SubURL, Username: c.Username, Password: c.Password,
			Transport: c.Transport, Fingerprint: c.Fingerprint, Preload: c.Preload,
		})
	}
	return out
}
