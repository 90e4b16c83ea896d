package token

import (
	"encoding/base32"
	"encoding/base64"
)

// Encodings hold no state: these are constants in all but syntax.
var (
	base32NoPad = base32.StdEncoding.WithPadding(base32.NoPadding)
	strictB64   = base64.RawURLEncoding.Strict()
)
