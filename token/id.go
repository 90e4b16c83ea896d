package token

import "encoding/base32"

// base32NoPad is immutable after construction: encodings hold no state.
var base32NoPad = base32.StdEncoding.WithPadding(base32.NoPadding)
