package certs

import (
	"crypto/x509"
	"fmt"
	"net"
	"slices"
	"strings"
)

// alwaysHosts are the names every generated certificate carries, so that the
// machine running vigie can always reach it.
func alwaysHosts() []string {
	return []string{"localhost", "127.0.0.1", "::1"}
}

// serverHosts returns the configured hosts, normalised, followed by the names
// that are always added, without duplicates.
func serverHosts(configured []string) ([]string, error) {
	out := make([]string, 0, len(configured)+3)
	for _, h := range append(slices.Clone(configured), alwaysHosts()...) {
		n, err := normaliseHost(h)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// normaliseHost lower-cases a DNS name and drops a trailing dot, or writes an
// IP address (with or without brackets) in its canonical form.
func normaliseHost(h string) (string, error) {
	s := strings.TrimSpace(h)
	if ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); ip != nil {
		return ip.String(), nil
	}
	s = strings.TrimSuffix(strings.ToLower(s), ".")
	if !validDNSName(s) {
		return "", fmt.Errorf("tls host %q: not a DNS name or IP address", h)
	}
	return s, nil
}

// validDNSName accepts names made of letters, digits, '-' and '_', with an
// optional leading "*." wildcard label.
func validDNSName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for i, label := range strings.Split(s, ".") {
		if i == 0 && label == "*" && strings.Contains(s, ".") {
			continue
		}
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// splitHosts sorts normalised hosts into certificate SAN fields.
func splitHosts(hosts []string) (dns []string, ips []net.IP) {
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			ips = append(ips, ip)
		} else {
			dns = append(dns, h)
		}
	}
	return dns, ips
}

// covers reports whether cert names every one of the normalised hosts in its
// subject alternative names.
func covers(cert *x509.Certificate, hosts []string) bool {
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			if !slices.ContainsFunc(cert.IPAddresses, ip.Equal) {
				return false
			}
			continue
		}
		if !slices.ContainsFunc(cert.DNSNames, func(n string) bool { return strings.EqualFold(n, h) }) {
			return false
		}
	}
	return true
}
