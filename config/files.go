package config

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Files sets the files shared in rooms.
type Files struct {
	// MaxSize is the largest file one can share, such as "500MiB" (the
	// default), "2GiB" or a number of bytes.
	MaxSize ByteSize `yaml:"max_size"`
}

// DefaultFiles is the files configuration when the file sets none.
func DefaultFiles() Files { return Files{MaxSize: 500 << 20} }

// ByteSize is a size in bytes, written in YAML as a number of bytes or with
// a unit: KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024).
type ByteSize int64

// UnmarshalYAML reads a ByteSize.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	v, err := parseByteSize(n.Value)
	if err != nil || n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: %q is not a size such as \"500MiB\" or \"2GB\"", n.Line, n.Value)
	}
	*b = v
	return nil
}

func parseByteSize(s string) (ByteSize, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<50)/mult {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	return ByteSize(n * mult), nil
}

func checkFiles(f Files) []string {
	if f.MaxSize <= 0 {
		return []string{"files.max_size: must be positive"}
	}
	return nil
}
