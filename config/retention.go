package config

import (
	"strings"
	"time"
)

// maxRetentionDays is the legal limit for keeping CCTV images (CSI L252-3,
// L252-5): one month, unless a documented exception applies.
const maxRetentionDays = 30

// Retention says how long an incident's recordings, shared files and chat
// are kept after it closes. Incidents on legal hold are kept until released.
type Retention struct {
	// Days after closing before the purge; default 30, at most 30 without
	// a legal exception.
	Days int `yaml:"days"`
	// LegalException allows more than 30 days; it needs Reason.
	LegalException bool `yaml:"legal_exception"`
	// Reason documents the exception (authorisation, procedure...).
	Reason string `yaml:"reason"`
}

// After is the retention delay.
func (r Retention) After() time.Duration {
	return time.Duration(r.Days) * 24 * time.Hour
}

func checkRetention(r Retention) []string {
	var p []string
	switch {
	case r.Days < 1:
		p = append(p, "retention.days: must be at least 1")
	case r.Days > maxRetentionDays && !r.LegalException:
		p = append(p, "retention.days: more than 30 days is not allowed for CCTV images (CSI L252-5); set retention.legal_exception: true and retention.reason")
	}
	if r.LegalException && strings.TrimSpace(r.Reason) == "" {
		p = append(p, "retention.reason: required with retention.legal_exception")
	}
	return p
}
