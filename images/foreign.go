package images

import (
	"fmt"
	"net/url"
	"strings"
)

// defaultForeignHosts are the hosts Microsoft has served the foreign
// (non-distributable) layers of Windows base images from: the Microsoft
// Container Registry and its content hosts, where a base layer's urls
// entries point since 2018 ("https://mcr.microsoft.com/v2/windows/
// servercore/blobs/sha256:…"); and the go.microsoft.com links of the
// earlier images on Docker Hub (microsoft/windowsservercore). Azure blob
// storage (*.blob.core.windows.net) is not listed: anyone can serve from
// it. A redirect from an allowed URL is followed without this check
// (https only).
var defaultForeignHosts = []string{
	"mcr.microsoft.com",
	"*.mcr.microsoft.com",
	"go.microsoft.com",
}

// DefaultForeignURL is the ForeignURLs PullOptions defaults to: it allows
// https URLs to mcr.microsoft.com and its subdomains and to
// go.microsoft.com, where Windows base layers have been served from, and
// refuses every other URL.
func DefaultForeignURL(u *url.URL) bool { return defaultForeign(u) }

var defaultForeign = ForeignHosts(defaultForeignHosts...)

// ForeignHosts returns a ForeignURLs function allowing URLs to the hosts
// of patterns, https only, or plain http too for a pattern that begins
// "http://". A pattern is a host name ("mcr.microsoft.com", any port), a
// host and port ("127.0.0.1:5000"; IPv6 literals are not supported), or
// "*." and a domain, matching its
// subdomains at any depth but not the domain itself. Names match without
// regard to case. A pattern with a path, user or query, or an empty one,
// matches nothing; CheckForeignHost says why.
func ForeignHosts(patterns ...string) func(*url.URL) bool {
	type rule struct {
		host string
		port string
		http bool
	}
	var rules []rule
	for _, p := range patterns {
		if CheckForeignHost(p) != nil {
			continue
		}
		r := rule{}
		p, r.http = strings.CutPrefix(strings.ToLower(p), "http://")
		p = strings.TrimPrefix(p, "https://")
		r.host = p
		if h, port, ok := strings.Cut(p, ":"); ok && !strings.Contains(port, ":") {
			r.host, r.port = h, port
		}
		rules = append(rules, r)
	}
	return func(u *url.URL) bool {
		if u == nil || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
			return false
		}
		host := strings.ToLower(u.Hostname())
		for _, r := range rules {
			if u.Scheme == "http" && !r.http {
				continue
			}
			if r.port != "" && u.Port() != r.port {
				continue
			}
			if sub, ok := strings.CutPrefix(r.host, "*."); ok {
				if strings.HasSuffix(host, "."+sub) {
					return true
				}
			} else if host == r.host {
				return true
			}
		}
		return false
	}
}

// CheckForeignHost checks a pattern of ForeignHosts, saying what is wrong
// with it.
func CheckForeignHost(pattern string) error {
	p := strings.TrimPrefix(strings.ToLower(pattern), "http://")
	p = strings.TrimPrefix(p, "https://")
	host := strings.TrimPrefix(p, "*.")
	if h, port, ok := strings.Cut(host, ":"); ok {
		host = h
		if port == "" || strings.Trim(port, "0123456789") != "" {
			return fmt.Errorf("foreign host %q: the port is not a number", pattern)
		}
	}
	if host == "" || strings.ContainsAny(host, "/?#@*[] ") {
		return fmt.Errorf("foreign host %q: want a host name, host:port or *.domain, optionally after http://", pattern)
	}
	return nil
}
