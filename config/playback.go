package config

import (
	"fmt"
	"net/url"
	"strings"
)

// Playback modes of a camera's playback_url.
const (
	// PlaybackONVIF replays with ONVIF Profile G: the URL is played with
	// "Require: onvif-replay" and "Range: clock=<start>-" on PLAY.
	PlaybackONVIF = "onvif"
	// PlaybackTemplate fills {start} and {end} in the URL (Hikvision style
	// starttime=20261204T140210Z&endtime=...).
	PlaybackTemplate = "template"
)

// PlaybackModeOf returns the camera's playback mode, onvif when unset.
func PlaybackModeOf(cam Camera) string {
	if cam.PlaybackMode == "" {
		return PlaybackONVIF
	}
	return cam.PlaybackMode
}

// checkPlayback checks a camera's playback_url and playback_mode.
func checkPlayback(key string, cam Camera) []string {
	if cam.PlaybackURL == "" {
		if cam.PlaybackMode != "" {
			return []string{key + ".playback_mode: needs playback_url"}
		}
		return nil
	}
	var p []string
	mode := PlaybackModeOf(cam)
	if mode != PlaybackONVIF && mode != PlaybackTemplate {
		p = append(p, key+".playback_mode: "+fmt.Sprintf("%q is not onvif or template", cam.PlaybackMode))
	}
	raw := strings.NewReplacer("{start}", "x", "{end}", "x").Replace(cam.PlaybackURL)
	if u, err := url.Parse(raw); err != nil || (u.Scheme != "rtsp" && u.Scheme != "rtsps") || u.Host == "" {
		p = append(p, key+".playback_url: must be an rtsp:// or rtsps:// URL")
	}
	hasPlaceholder := strings.Contains(cam.PlaybackURL, "{start}")
	switch {
	case mode == PlaybackTemplate && !hasPlaceholder:
		p = append(p, key+".playback_url: a template needs {start}")
	case mode == PlaybackONVIF && (hasPlaceholder || strings.Contains(cam.PlaybackURL, "{end}")):
		p = append(p, key+".playback_url: {start} and {end} need playback_mode: template")
	}
	return p
}
