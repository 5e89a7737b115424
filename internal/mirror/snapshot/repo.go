package snapshot

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// registration is how a cluster has the repository registered.
type registration int

const (
	unregistered registration = iota
	readOnly
	writable
)

func (r registration) String() string {
	return [...]string{"unregistered", "read-only", "writable"}[r]
}

// registration reads the repository's registration on one cluster. One that differs from
// the options in anything but readonly is an error: esdr changes only readonly, and only
// of a registration that is otherwise its own.
func (s *Sync) registration(ctx context.Context, cl cluster) (registration, error) {
	r := s.opts.Repository
	var got map[string]struct {
		Type     string         `json:"type"`
		Settings map[string]any `json:"settings"`
	}
	err := cl.get(ctx, http.MethodGet, "/_snapshot/"+esc(r.Name), nil, &got)
	switch {
	case isType(err, http.StatusNotFound, "repository_missing_exception"):
		return unregistered, nil
	case err != nil:
		return 0, err
	}
	reg, ok := got[r.Name]
	if !ok {
		return 0, fmt.Errorf("snapshot: %s: GET /_snapshot/%s: answer does not name the repository", cl.name, r.Name)
	}
	var diff []string
	if reg.Type != r.Type {
		diff = append(diff, fmt.Sprintf("type %q, want %q", reg.Type, r.Type))
	}
	for k, v := range r.Settings {
		if !sameValue(reg.Settings[k], v) {
			diff = append(diff, fmt.Sprintf("%s=%v, want %v", k, orNone(reg.Settings[k]), v))
		}
	}
	if len(diff) > 0 {
		sort.Strings(diff)
		return 0, fmt.Errorf("snapshot: %s: repository %s is registered with other settings (%s); "+
			"esdr does not change a registration: fix it or delete it so that esdr registers it",
			cl.name, r.Name, strings.Join(diff, ", "))
	}
	if sameValue(reg.Settings["readonly"], true) {
		return readOnly, nil
	}
	return writable, nil
}

// register registers the repository on one cluster, with verification, read-only or
// writable. Registering it again with readonly changed makes the cluster read the
// repository afresh: a cluster that becomes the writer forgets what it knew of the
// repository from before the other wrote to it.
func (s *Sync) register(ctx context.Context, cl cluster, reg registration) error {
	r := s.opts.Repository
	settings := make(map[string]any, len(r.Settings)+1)
	for k, v := range r.Settings {
		settings[k] = v
	}
	if reg == readOnly {
		settings["readonly"] = true
	}
	s.setPhase(fmt.Sprintf("registering repository %s %s on %s", r.Name, reg, cl.name))
	if _, err := cl.call(ctx, http.MethodPut, "/_snapshot/"+esc(r.Name)+"?verify=true",
		map[string]any{"type": r.Type, "settings": settings}); err != nil {
		return fmt.Errorf("%w (registering repository %s %s)", err, r.Name, reg)
	}
	return nil
}

// sameValue compares a setting as the cluster returns it (a string) with a configured
// value of any scalar type.
func sameValue(got, want any) bool {
	return got != nil && fmt.Sprint(got) == fmt.Sprint(want)
}

func orNone(v any) any {
	if v == nil {
		return "(unset)"
	}
	return v
}
