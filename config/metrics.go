package config

import "net"

// Metrics sets who may read the Prometheus metrics at /metrics. With
// neither key set, /metrics is not served.
type Metrics struct {
	// Listen is a plain-HTTP address serving only /metrics, for a scraper
	// on this host or a private network, such as "127.0.0.1:9464". An
	// address other than loopback needs a token: the counters tell when
	// an alarm came in.
	Listen string `yaml:"listen"`
	// Token is the Bearer token a scraper sends ("Authorization: Bearer
	// <token>"). When set, GET /metrics is served on the HTTPS listener
	// too, and every /metrics request, on either listener, needs it.
	Token string `yaml:"token"`
}

func checkMetrics(m Metrics) []string {
	var p []string
	if m.Token != "" {
		if msg := checkAPIKey(m.Token); msg != "" {
			p = append(p, "metrics.token: "+msg)
		}
	}
	if m.Listen == "" {
		return p
	}
	if msg := checkListen(m.Listen); msg != "" {
		return append(p, "metrics.listen: "+msg)
	}
	if m.Token == "" && !loopbackAddr(m.Listen) {
		p = append(p, "metrics.listen: "+m.Listen+" is reachable from other machines: set metrics.token, or listen on 127.0.0.1")
	}
	return p
}

// loopbackAddr reports whether host:port only accepts connections from
// this machine.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
