package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// loadOrCreateAdminKey reads the generated admin API key, creating it on
// first start so the REST API is never open without a key.
func loadOrCreateAdminKey(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key := strings.TrimSpace(string(b))
		if len(key) < 32 {
			return "", fmt.Errorf("admin key %s: too short, delete it to generate a new one", path)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("admin key %s: %w", path, err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("admin key %s: %w", path, err)
	}
	key := hex.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("admin key %s: %w", path, err)
	}
	return key, nil
}

// readAdminKey reads an existing admin key without creating one.
func readAdminKey(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("admin key: %w (start vigie serve once, or set admin.api_keys in the config)", err)
	}
	return strings.TrimSpace(string(b)), nil
}
