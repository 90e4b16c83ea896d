package console

import (
	"net/http"
)

// Playback serves an incident's recorded playbacks (playback.API), with
// the operator as the actor on the timeline and, for clips, as the
// uploader shown in the room.
type Playback interface {
	ServeStart(w http.ResponseWriter, r *http.Request, incident, actor string)
	ServeList(w http.ResponseWriter, r *http.Request, incident string)
	ServeAction(w http.ResponseWriter, r *http.Request, incident, pid, action, actor, uploader string)
}

// SetPlayback turns on recorded footage: the playback routes, and
// "playback": true on the cameras that have recorded footage (hasPlayback).
// Call it before serving.
func (c *Console) SetPlayback(p Playback, hasPlayback func(camera string) bool) {
	c.playback = p
	c.sites = siteViews(c.cfg.Sites, c.cfg.Cameras, hasPlayback)
}

// startPlayback answers POST /console/api/incidents/{id}/playback.
func (c *Console) startPlayback(w http.ResponseWriter, r *http.Request) {
	if c.playbackOff(w) {
		return
	}
	op := operatorOf(r)
	c.cfg.Log.Info("console: start playback", "operator", op.username, "incident", r.PathValue("id"))
	c.playback.ServeStart(w, r, r.PathValue("id"), "operator:"+op.username)
}

// listPlayback answers GET /console/api/incidents/{id}/playback.
func (c *Console) listPlayback(w http.ResponseWriter, r *http.Request) {
	if c.playbackOff(w) {
		return
	}
	c.playback.ServeList(w, r, r.PathValue("id"))
}

// playbackAction answers POST /console/api/incidents/{id}/playback/{pid}/pause|resume|stop|dismiss|clip.
func (c *Console) playbackAction(w http.ResponseWriter, r *http.Request) {
	if c.playbackOff(w) {
		return
	}
	op := operatorOf(r)
	c.cfg.Log.Info("console: playback "+r.PathValue("action"), "operator", op.username, "incident", r.PathValue("id"), "playback", r.PathValue("pid"))
	c.playback.ServeAction(w, r, r.PathValue("id"), r.PathValue("pid"), r.PathValue("action"), "operator:"+op.username, op.name)
}

func (c *Console) playbackOff(w http.ResponseWriter) bool {
	if c.playback == nil {
		writeError(w, http.StatusNotFound, "not_found", "no camera has recorded footage (playback_url)")
		return true
	}
	return false
}
