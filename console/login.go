package console

import (
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"time"
)

// login checks a user name and password and starts a session. Every
// failure takes one password check, against the decoy when the user is
// unknown, and answers the same; a user name or client address that
// failed too often is refused without any check until its window ends.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	username, password, ok := readCredentials(w, r)
	if !ok {
		writeError(w, http.StatusBadRequest, "bad_request", "send username and password, as JSON or a form")
		return
	}
	now := c.cfg.Now()
	userKey, ipKey := "user:"+username, clientKey(r.RemoteAddr)
	if wait := max(c.failures.wait(userKey, failsPerUser, now), c.failures.wait(ipKey, failsPerIP, now)); wait > 0 {
		c.cfg.Log.Warn("console: login refused, too many failures", "username", username, "client", ipKey)
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		writeError(w, http.StatusTooManyRequests, "too_many_attempts", "too many failed logins: try again later")
		return
	}
	op, known := c.operators[username]
	hash := c.decoy
	if known {
		hash = op.hash
	}
	select {
	case c.hashing <- struct{}{}:
	case <-r.Context().Done():
		return
	}
	match := hash.verify([]byte(password))
	<-c.hashing
	if !known || !match {
		c.failures.fail(userKey, now)
		c.failures.fail(ipKey, now)
		c.cfg.Log.Warn("console: login failed", "username", username, "client", ipKey)
		writeError(w, http.StatusUnauthorized, "login_failed", "wrong user name or password")
		return
	}
	c.failures.reset(userKey)
	if old, err := r.Cookie(CookieName); err == nil {
		c.sessions.end(old.Value)
	}
	id := c.sessions.create(op, now)
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: id, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	c.cfg.Log.Info("console: login", "operator", op.username, "client", ipKey)
	writeJSON(w, http.StatusOK, map[string]any{"username": op.username, "name": op.name, "kinds": kinds()})
}

// readCredentials takes username and password from a JSON body or a form.
func readCredentials(w http.ResponseWriter, r *http.Request) (username, password string, ok bool) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var req struct {
			Username string `json:"username"`
			Password string `json:"password"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			return "", "", false
		}
		username, password = req.Username, req.Password
	} else {
		if err := r.ParseForm(); err != nil {
			return "", "", false
		}
		username, password = r.PostForm.Get("username"), r.PostForm.Get("password")
	}
	if username == "" || len(username) > 64 || password == "" || len(password) > maxPassword {
		return "", "", false
	}
	return username, password, true
}

// logout ends the session, if any, and clears the cookie.
func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(CookieName); err == nil {
		if sess := c.sessions.lookup(ck.Value, c.cfg.Now(), false); sess != nil {
			c.cfg.Log.Info("console: logout", "operator", sess.operator.username)
		}
		c.sessions.end(ck.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
}
