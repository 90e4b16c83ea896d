// Package gobin finds a tool installed with `go install`: on PATH first,
// then in GOBIN or GOPATH/bin, where scripts/test-deps.sh puts Mailpit.
package gobin

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Find returns the path of the named binary, or an error listing where it
// looked.
func Find(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	dirs := installDirs()
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found on PATH nor in %s: install it with scripts/test-deps.sh", name, strings.Join(dirs, ", "))
}

// installDirs lists where go install writes binaries.
func installDirs() []string {
	var env struct{ GOBIN, GOPATH string }
	out, err := exec.Command("go", "env", "-json", "GOBIN", "GOPATH").Output()
	if err != nil || json.Unmarshal(out, &env) != nil {
		if home, err := os.UserHomeDir(); err == nil {
			return []string{filepath.Join(home, "go", "bin")}
		}
		return nil
	}
	var dirs []string
	if env.GOBIN != "" {
		dirs = append(dirs, env.GOBIN)
	}
	for _, p := range filepath.SplitList(env.GOPATH) {
		dirs = append(dirs, filepath.Join(p, "bin"))
	}
	return dirs
}
