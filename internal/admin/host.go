package admin

import (
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
)

// codeUnknownHost answers a request whose Host is not a name of this server.
const codeUnknownHost = "unknown_host"

// hosts are the names the admin API answers to. A browser that a web page's own DNS
// name led to esdr's address (DNS rebinding) sends that name as Host; refusing every
// name esdr was not told about keeps such a page from reading or driving the API, even
// on loopback. An IP address is never such a name, so the loopback addresses and the
// address a request arrived on are always accepted.
type hosts map[string]bool

// newHosts is localhost, the listen host (unless it is every interface), this machine's
// host name (a fleet member advertises its admin URL by it) and the extra names.
func newHosts(listen string, extra []string) hosts {
	h := hosts{"localhost": true}
	if host, _, err := net.SplitHostPort(listen); err == nil && host != "" {
		if a, err := netip.ParseAddr(host); err != nil || !a.IsUnspecified() {
			h[normalHost(host)] = true
		}
	}
	if name, err := os.Hostname(); err == nil && name != "" {
		h[normalHost(name)] = true
	}
	for _, e := range extra {
		h[normalHost(e)] = true
	}
	return h
}

// allows reports whether r's Host (its port aside) names this server.
func (h hosts) allows(r *http.Request) bool {
	host := normalHost(hostOnly(r.Host))
	if host == "" {
		return false
	}
	if h[host] {
		return true
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	if a.IsLoopback() {
		return true
	}
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if local == nil {
		return false
	}
	l, err := netip.ParseAddrPort(local.String())
	return err == nil && l.Addr().Unmap().WithZone("") == a
}

// hostOnly drops the port from a Host header value, and the brackets around an IPv6
// address.
func hostOnly(hostport string) string {
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		return host
	}
	return strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
}

// normalHost is a name in lower case without a trailing dot, or an address in its
// canonical form, so that one host is one key.
func normalHost(s string) string {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("").String()
	}
	return strings.TrimSuffix(strings.ToLower(s), ".")
}
