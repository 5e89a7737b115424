package snapshot

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// ensureRepositories registers the repository on both clusters where it is missing:
// writable on the primary, read-only on the standby (a repository must have one writer,
// or its metadata can be corrupted).
func (s *Sync) ensureRepositories(ctx context.Context) error {
	if err := s.ensureRepository(ctx, cluster{"primary", s.primary}, false); err != nil {
		return err
	}
	return s.ensureRepository(ctx, cluster{"standby", s.standby}, true)
}

// ensureRepository checks the repository's registration on one cluster and registers it,
// with verification, if it is missing. A registration that differs from the options is
// an error: esdr never changes a repository it did not register.
func (s *Sync) ensureRepository(ctx context.Context, cl cluster, readonly bool) error {
	r := s.opts.Repository
	want := make(map[string]any, len(r.Settings)+1)
	for k, v := range r.Settings {
		want[k] = v
	}
	if readonly {
		want["readonly"] = true
	}
	var got map[string]struct {
		Type     string         `json:"type"`
		Settings map[string]any `json:"settings"`
	}
	err := cl.get(ctx, http.MethodGet, "/_snapshot/"+esc(r.Name), nil, &got)
	switch {
	case isType(err, http.StatusNotFound, "repository_missing_exception"):
		_, err = cl.call(ctx, http.MethodPut, "/_snapshot/"+esc(r.Name)+"?verify=true",
			map[string]any{"type": r.Type, "settings": want})
		if err != nil {
			return fmt.Errorf("%w (registering repository %s)", err, r.Name)
		}
		return nil
	case err != nil:
		return err
	}
	reg, ok := got[r.Name]
	if !ok {
		return fmt.Errorf("snapshot: %s: GET /_snapshot/%s: answer does not name the repository", cl.name, r.Name)
	}
	var diff []string
	if reg.Type != r.Type {
		diff = append(diff, fmt.Sprintf("type %q, want %q", reg.Type, r.Type))
	}
	if !readonly && sameValue(reg.Settings["readonly"], true) {
		diff = append(diff, "readonly, want writable")
	}
	for k, v := range want {
		if !sameValue(reg.Settings[k], v) {
			diff = append(diff, fmt.Sprintf("%s=%v, want %v", k, orNone(reg.Settings[k]), v))
		}
	}
	if len(diff) > 0 {
		sort.Strings(diff)
		return fmt.Errorf("snapshot: %s: repository %s is registered with other settings (%s); "+
			"esdr does not change a registration: fix it or delete it so that esdr registers it",
			cl.name, r.Name, strings.Join(diff, ", "))
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
