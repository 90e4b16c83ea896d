//go:build !linux

package linksim

import (
	"errors"
	"os"
)

// OpenTUN needs Linux network namespaces.
func OpenTUN(netns, name string) (*os.File, error) {
	return nil, errors.New("tun: network namespaces need Linux")
}
