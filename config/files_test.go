package config

import (
	"strings"
	"testing"
)

func TestFilesMaxSize(t *testing.T) {
	cases := []struct {
		yaml    string
		want    ByteSize
		wantErr string
	}{
		{"", 500 << 20, ""},
		{"files:\n  max_size: 500MiB\n", 500 << 20, ""},
		{"files:\n  max_size: 2GB\n", 2e9, ""},
		{"files:\n  max_size: 1 KiB\n", 1024, ""},
		{"files:\n  max_size: 4096\n", 4096, ""},
		{"files:\n  max_size: lots\n", 0, `line 2: "lots" is not a size`},
		{"files:\n  max_size: -5MB\n", 0, "is not a size"},
		{"files:\n  max_size: 0\n", 0, "files.max_size: must be positive"},
		{"files:\n  max_sise: 1MB\n", 0, `unknown key "files.max_sise"`},
	}
	for _, c := range cases {
		t.Run(c.yaml, func(t *testing.T) {
			cfg, err := Load(writeConfig(t, c.yaml))
			if err == nil {
				err = cfg.Validate()
			}
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || cfg.Files.MaxSize != c.want {
				t.Fatalf("max_size %d, %v; want %d", cfg.Files.MaxSize, err, c.want)
			}
		})
	}
}
