package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"os"

	"vigie/config"
)

// startInProcess runs vigie inside the bench command with cfg, whose data
// directory dir it owns. stop shuts the server down and removes dir.
func startInProcess(ctx context.Context, cfg config.Config, dir string, stderr io.Writer) (*server, func(), error) {
	log := newLogger(stderr, "warn", "text")
	ctx, cancel := context.WithCancel(ctx)
	srv, err := newServer(ctx, cfg, log)
	if err != nil {
		cancel()
		_ = os.RemoveAll(dir)
		return nil, nil, err
	}
	done := make(chan struct{})
	stop := func() {
		cancel()
		<-done
		srv.close()
		_ = os.RemoveAll(dir)
	}
	if err := srv.listen(); err != nil {
		close(done)
		stop()
		return nil, nil, err
	}
	go func() {
		defer close(done)
		_ = srv.run(ctx)
	}()
	return srv, stop, nil
}

// trustServer is a TLS configuration that trusts the server's local CA.
func trustServer(srv *server) *tls.Config {
	pool := x509.NewCertPool()
	if pem, err := os.ReadFile(srv.tls.CAFile); err == nil {
		pool.AppendCertsFromPEM(pem)
	}
	return &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}
}

// report is a bench result: a table for people, a JSON line for tools.
type report interface {
	WriteTable(w io.Writer) error
	JSON() ([]byte, error)
}

func writeReport(w io.Writer, r report) error {
	if err := r.WriteTable(w); err != nil {
		return err
	}
	line, err := r.JSON()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", line)
	return err
}
