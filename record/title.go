package record

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ClipTitle is the name a pre-alarm clip is shared under in a room, in
// French and English, for a camera named cameraName.
func ClipTitle(cameraName string) (fr, en string) {
	fr, en = CameraWords(cameraName)
	return "Avant l'alarme — " + fr, "Before the alarm — " + en
}

// CameraWords names a camera in French and English: "caméra Cour" and
// "camera Cour", or the name alone when it already says it is a camera
// ("Caméra de l'entrée", "Camera 2", "camera-3"), not "caméra Caméra…".
func CameraWords(name string) (fr, en string) {
	if saysCamera(name) {
		return name, name
	}
	return "caméra " + name, "camera " + name
}

// saysCamera reports whether name starts with the word "caméra" or
// "camera", in any case, followed by nothing or by a non-letter.
func saysCamera(name string) bool {
	for _, w := range []string{"caméra", "camera"} {
		if len(name) < len(w) || !strings.EqualFold(name[:len(w)], w) {
			continue
		}
		next, _ := utf8.DecodeRuneInString(name[len(w):])
		if len(name) == len(w) || !unicode.IsLetter(next) {
			return true
		}
	}
	return false
}
