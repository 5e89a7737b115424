package config

import (
	"fmt"
	"strings"
)

// Env looks a variable up, like os.LookupEnv.
type Env func(name string) (value string, ok bool)

// expand replaces ${VAR} and ${VAR:-default} in one scalar value.
//
// It runs on values after the YAML is parsed, never on the file's text: whatever a
// variable holds (newlines, colons, "- item") stays inside the one value it was written
// in and cannot add keys or list items. The result is not expanded again, so a value
// containing "${" is taken literally.
//
// Rules, as in a shell: ${VAR} is VAR's value, which must be set (an empty value is
// allowed); ${VAR:-default} is the default when VAR is unset or empty. The default is
// literal text up to the first "}". $${ is a literal "${". A "$" not followed by "{"
// is kept as is, so passwords with a "$" need no escaping. A variable that is not set
// and has no default is a problem reported at the value's key, naming the variable.
//
// For secrets (secret true) error messages never quote the text around the reference.
func expand(s string, env Env, secret bool) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		if i > 0 && s[i-1] == '$' { // $${ → literal ${
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("%s has no closing }, want ${NAME} or ${NAME:-default} (write $${ for a literal ${)", show(s[i:], secret))
		}
		v, err := lookup(s[i+2:i+end], env, secret)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
		s = s[i+end+1:]
	}
}

// lookup resolves the inside of one ${...}.
func lookup(expr string, env Env, secret bool) (string, error) {
	name, def, hasDef := strings.Cut(expr, ":-")
	if !validEnvName(name) {
		return "", fmt.Errorf("%s is not a variable reference, want ${NAME} or ${NAME:-default} with NAME of letters, digits and _ (write $${ for a literal ${)", show("${"+expr+"}", secret))
	}
	var v string
	ok := false
	if env != nil {
		v, ok = env(name)
	}
	switch {
	case hasDef && v == "":
		return def, nil
	case !ok:
		return "", fmt.Errorf("environment variable %s is not set, want it set or a default written as ${%s:-default}", name, name)
	}
	return v, nil
}

// validEnvName accepts POSIX names: a letter or _, then letters, digits and _.
func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// show quotes a fragment of a value for an error message, unless the value is secret.
func show(frag string, secret bool) string {
	if secret {
		return "a ${ in the secret"
	}
	return fmt.Sprintf("%q", frag)
}
