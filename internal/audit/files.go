package audit

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
)

// maxFileSize bounds a node configuration file; real ones are a few KiB.
const maxFileSize = 1 << 20

// NodeFile is one node's elasticsearch.yml or opensearch.yml after the engine's own
// processing: nested and flat keys flattened to dotted names, lists kept as lists,
// ${VAR} and ${VAR:default} replaced.
type NodeFile struct {
	Path     string
	Settings map[string]Setting
	// Unresolved names the placeholders that had neither a value nor a default; the
	// setting keeps the literal ${VAR} text.
	Unresolved []string
}

// Setting is one flattened value: a scalar, or a list (YAML sequence).
type Setting struct {
	Values []string
	List   bool
}

// String is the scalar value, or the list joined with commas.
func (s Setting) String() string { return strings.Join(s.Values, ",") }

// Get returns the scalar value of key and whether it is set.
func (f *NodeFile) Get(key string) (string, bool) {
	s, ok := f.Settings[key]
	return s.String(), ok
}

// List returns the value of a list setting. Like the engines, a scalar is read as a
// comma-separated list.
func (f *NodeFile) List(key string) ([]string, bool) {
	s, ok := f.Settings[key]
	if !ok {
		return nil, false
	}
	if s.List {
		return s.Values, true
	}
	var out []string
	for _, v := range strings.Split(s.String(), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out, true
}

// LoadFile reads and parses one configuration file, with env giving the values of
// placeholders (nil: none are set).
func LoadFile(path string, env func(string) (string, bool)) (*NodeFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("audit: %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("audit: %s: over %d bytes, not a node configuration file", path, maxFileSize)
	}
	return ParseFile(path, data, env)
}

// ParseFile parses a configuration file's content. The name is used in messages only.
func ParseFile(name string, data []byte, env func(string) (string, bool)) (*NodeFile, error) {
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("audit: %s: %w", name, err)
	}
	nf := &NodeFile{Path: name, Settings: map[string]Setting{}}
	if doc == nil {
		return nf, nil // an empty file: every setting at its default
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("audit: %s: top level is %s, want a mapping of settings", name, kindOf(doc))
	}
	if err := flatten(nf.Settings, "", root); err != nil {
		return nil, fmt.Errorf("audit: %s: %w", name, err)
	}
	unresolved := map[string]bool{}
	for k, s := range nf.Settings {
		for i, v := range s.Values {
			s.Values[i] = substitute(v, env, unresolved, 0)
		}
		nf.Settings[k] = s
	}
	for v := range unresolved {
		nf.Unresolved = append(nf.Unresolved, v)
	}
	slices.Sort(nf.Unresolved)
	return nf, nil
}

// flatten turns nested mappings into dotted keys, as the engines do; the same key given
// twice (once nested, once flat) is an error there and here.
func flatten(out map[string]Setting, prefix string, m map[string]any) error {
	for k, v := range m {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		switch v := v.(type) {
		case map[string]any:
			if err := flatten(out, key, v); err != nil {
				return err
			}
			continue
		case nil:
			continue // "key:" with no value leaves the default
		}
		if _, dup := out[key]; dup {
			return fmt.Errorf("duplicate setting %q (given both nested and flat)", key)
		}
		if l, ok := v.([]any); ok {
			s := Setting{List: true}
			for _, e := range l {
				if _, nested := e.(map[string]any); nested {
					return fmt.Errorf("setting %q: a list of mappings is not a setting value", key)
				}
				s.Values = append(s.Values, scalar(e))
			}
			out[key] = s
			continue
		}
		out[key] = Setting{Values: []string{scalar(v)}}
	}
	return nil
}

func scalar(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func kindOf(v any) string {
	switch v.(type) {
	case []any:
		return "a list"
	case string:
		return "a string"
	}
	return fmt.Sprintf("%T", v)
}

// maxDepth bounds nested and recursive placeholders.
const maxDepth = 8

// substitute replaces ${NAME} and ${NAME:default} as the engines' PropertyPlaceholder
// does: the name may itself contain placeholders, and the value found is resolved again.
// Unset names without default keep their literal text and are recorded.
func substitute(s string, env func(string) (string, bool), unresolved map[string]bool, depth int) string {
	if depth > maxDepth || !strings.Contains(s, "${") {
		return s
	}
	var b strings.Builder
	for {
		start := strings.Index(s, "${")
		if start < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := closing(s, start+2)
		if end < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:start])
		name := substitute(s[start+2:end], env, unresolved, depth+1)
		def, hasDef := "", false
		if i := strings.IndexByte(name, ':'); i >= 0 {
			name, def, hasDef = name[:i], name[i+1:], true
		}
		val, ok := "", false
		if env != nil {
			val, ok = env(name)
		}
		switch {
		case ok:
			b.WriteString(substitute(val, env, unresolved, depth+1))
		case hasDef:
			b.WriteString(substitute(def, env, unresolved, depth+1))
		default:
			unresolved[name] = true
			b.WriteString(s[start : end+1])
		}
		s = s[end+1:]
	}
}

// closing finds the "}" that closes a placeholder whose name starts at from.
func closing(s string, from int) int {
	depth := 0
	for i := from; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "${"):
			depth++
			i++
		case s[i] == '}':
			if depth == 0 {
				return i
			}
			depth--
		}
	}
	return -1
}
