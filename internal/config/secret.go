package config

import (
	"log/slog"
	"reflect"
	"slices"
)

// redacted is what a secret prints as, everywhere.
const redacted = "<redacted>"

// Secret is a credential read from the configuration (a password, an API key, the admin
// token). Every way of printing it — fmt's %v, %s and %#v, slog, JSON, YAML — shows
// "<redacted>", so that logging a config struct or an error that quotes one can never
// leak it. Code that needs the value calls Reveal, which is easy to find in review.
type Secret string

// Reveal returns the secret itself. Call it only where the value leaves for its
// destination (an Authorization header, a constant-time comparison).
func (s Secret) Reveal() string { return string(s) }

// IsSet reports whether a non-empty secret was configured.
func (s Secret) IsSet() bool { return s != "" }

// String hides the value; an unset secret prints as "" so that "missing" stays visible.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString hides the value from %#v.
func (s Secret) GoString() string { return `config.Secret("` + s.String() + `")` }

// LogValue hides the value from log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText hides the value from encoding/json, goccy/go-yaml and any other encoder
// that honours encoding.TextMarshaler, so a config served by the admin API is safe too.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Redacted returns a deep copy of c with every secret replaced by "<redacted>" (unset
// secrets stay empty), for printing by `esdr check-config` and for the admin API. The
// copy shares nothing with c, so it may be handed to other goroutines.
func (c *Config) Redacted() *Config {
	r := c.clone()
	for i := range r.Clusters {
		a := &r.Clusters[i].Auth
		a.Password = redactSecret(a.Password)
		a.APIKey = redactSecret(a.APIKey)
		if pa := r.Clusters[i].ProxyAuth; pa != nil {
			pa.Password = redactSecret(pa.Password)
			pa.APIKey = redactSecret(pa.APIKey)
		}
	}
	r.Admin.Token = redactSecret(r.Admin.Token)
	r.Admin.ReadToken = redactSecret(r.Admin.ReadToken)
	if r.Fleet != nil {
		r.Fleet.Etcd.Password = redactSecret(r.Fleet.Etcd.Password)
	}
	return r
}

// LogValue lets a whole *Config be logged (slog.Any("config", cfg)) without secrets.
func (c *Config) LogValue() slog.Value {
	r := c.Redacted()
	names := make([]string, len(r.Clusters))
	for i, cl := range r.Clusters {
		names[i] = cl.Name
	}
	return slog.GroupValue(
		slog.Any("clusters", names),
		slog.Duration("interval", r.Health.Interval),
		slog.Bool("auto_failover", r.Failover.Auto),
		slog.String("failback", r.Failover.Failback),
		slog.String("state", r.State.Path),
		slog.String("admin", r.Admin.Listen),
	)
}

func redactSecret(s Secret) Secret {
	if s == "" {
		return ""
	}
	return redacted
}

// clone copies c deeply: every slice and pointer is fresh.
func (c *Config) clone() *Config {
	r := *c
	r.Clusters = slices.Clone(c.Clusters)
	for i := range r.Clusters {
		r.Clusters[i].Nodes = slices.Clone(r.Clusters[i].Nodes)
		r.Clusters[i].Health = r.Clusters[i].Health.clone()
		r.Clusters[i].ProxyAuth = clonePtr(r.Clusters[i].ProxyAuth)
	}
	r.Health.Checks = cloneChecks(c.Health.Checks)
	r.Admin.AllowedHosts = slices.Clone(c.Admin.AllowedHosts)
	if c.Fleet != nil {
		f := *c.Fleet
		f.Etcd.Endpoints = slices.Clone(f.Etcd.Endpoints)
		r.Fleet = &f
	}
	return &r
}

func cloneChecks(cs []CheckConfig) []CheckConfig {
	if cs == nil {
		return nil
	}
	out := make([]CheckConfig, len(cs))
	for i, ch := range cs {
		out[i] = ch
		out[i].Accept = slices.Clone(ch.Accept)
	}
	return out
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// SecretValues returns the value of every secret set anywhere in c, longest first, for
// redacting them from text esdr did not write itself (a hook's stderr). It walks the
// whole tree, so a secret added to the schema later is covered without a change here.
func (c *Config) SecretValues() []string {
	var out []string
	walkSecrets(reflect.ValueOf(c).Elem(), func(s Secret) {
		if s.IsSet() && !slices.Contains(out, s.Reveal()) {
			out = append(out, s.Reveal())
		}
	})
	slices.SortStableFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

func walkSecrets(v reflect.Value, found func(Secret)) {
	switch v.Kind() {
	case reflect.String:
		if v.Type() == secretType {
			found(Secret(v.String()))
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkSecrets(v.Elem(), found)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				walkSecrets(v.Field(i), found)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkSecrets(v.Index(i), found)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			walkSecrets(it.Value(), found)
		}
	}
}
