package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// access is what a route asks of its caller.
type access int

const (
	// public routes answer anyone: /healthz, /metrics and the status page's files.
	public access = iota
	// reader routes need the read token or the admin token once a read token is
	// configured, and nothing otherwise.
	reader
	// costlyReader routes are reads that fan out to the clusters: they need the read or
	// the admin token whenever either is configured.
	costlyReader
	// writer routes change what esdr does: they need the admin token.
	writer
)

// tokens holds the configured tokens as SHA-256 sums, so that every comparison is
// between values of one length and in constant time; nil is a token not configured.
type tokens struct {
	write, read *[sha256.Size]byte
}

func newTokens(write, read string) tokens {
	var t tokens
	if write != "" {
		sum := sha256.Sum256([]byte(write))
		t.write = &sum
	}
	if read != "" {
		sum := sha256.Sum256([]byte(read))
		t.read = &sum
	}
	return t
}

// Error codes of refused callers.
const (
	codeUnauthorized = "unauthorized"
	codeForbidden    = "forbidden"
	codeDisabled     = "commands_disabled"
)

// authorize checks the caller's bearer token against what route access a asks. It
// returns 0 when the call may go on, or the status, code and message to answer with.
func (t tokens) authorize(r *http.Request, a access) (status int, code, msg string) {
	switch {
	case a == public,
		a == reader && t.read == nil,
		a == costlyReader && t.read == nil && t.write == nil:
		return 0, "", ""
	case a == writer && t.write == nil:
		return http.StatusForbidden, codeDisabled, "commands are disabled: no admin token is configured; set one in esdr's config and restart"
	}
	want := "admin token"
	if a != writer {
		want = "read token or admin token"
	}
	const scheme = "bearer "
	h := r.Header.Get("Authorization")
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return http.StatusUnauthorized, codeUnauthorized, "missing bearer token; send Authorization: Bearer <" + want + ">"
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(h[len(scheme):])))
	isWrite := t.write != nil && subtle.ConstantTimeCompare(got[:], t.write[:]) == 1
	isRead := t.read != nil && subtle.ConstantTimeCompare(got[:], t.read[:]) == 1
	switch {
	case isWrite, isRead && a != writer:
		return 0, "", ""
	case isRead:
		return http.StatusForbidden, codeForbidden, "the read token cannot change what esdr does; send the admin token"
	}
	return http.StatusUnauthorized, codeUnauthorized, "wrong bearer token; check the " + want
}
