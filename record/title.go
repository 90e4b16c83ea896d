package record

// ClipTitle is the name a pre-alarm clip is shared under in a room, in
// French and English, for a camera named cameraName.
func ClipTitle(cameraName string) (fr, en string) {
	return "Avant l'alarme — caméra " + cameraName, "Before the alarm — camera " + cameraName
}
