package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// This file turns what the YAML library and the decoder see into problems an operator
// can act on: the key path, what was found, and what is allowed there. No raw library
// error reaches the operator.

// schema is the set of keys a struct accepts, from its `yaml` tags, in field order.
type schema struct {
	names []string
	index map[string]int
}

var schemas sync.Map // reflect.Type → *schema

func schemaOf(t reflect.Type) *schema {
	if s, ok := schemas.Load(t); ok {
		return s.(*schema)
	}
	s := &schema{index: map[string]int{}}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		s.names = append(s.names, name)
		s.index[name] = i
	}
	schemas.Store(t, s)
	return s
}

// allowedKeys lists the keys a struct accepts, for "unknown key" messages.
func allowedKeys(t reflect.Type) string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return strings.Join(schemaOf(t).names, ", ")
}

// holdsSecret reports whether a struct has a Secret field, so that a scalar written in
// its place may be a secret and must not be quoted back.
func holdsSecret(t reflect.Type) bool {
	for i := range t.NumField() {
		if t.Field(i).Type == secretType {
			return true
		}
	}
	return false
}

// keyName returns a mapping key's text. Keys are never expanded: ${...} is for values.
func (d *decoder) keyName(parent string, k ast.MapKeyNode) (string, bool) {
	var n ast.Node = k
	if mk, ok := k.(*ast.MappingKeyNode); ok { // "? key" syntax
		n = mk.Value
	}
	if k != nil && k.IsMergeKey() {
		d.p.add(field(parent, "<<"), "merge keys are not supported, want the keys written out")
		return "", false
	}
	text, ok := scalarText(n)
	if !ok {
		d.p.add(parentOrFile(parent), "%s is used as a key, want a plain key name", describe(n))
		return "", false
	}
	return text, true
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// displayKey quotes a key that would make the key path ambiguous or span lines.
func displayKey(name string) string {
	if plainKey.MatchString(name) {
		return name
	}
	return quote(name)
}

func parentOrFile(key string) string {
	if key == "" {
		return fileKey
	}
	return key
}

// scalarText is the source text of a scalar node; ok is false for mappings and lists.
func scalarText(n ast.Node) (string, bool) {
	switch t := n.(type) {
	case *ast.StringNode:
		return t.Value, true
	case *ast.LiteralNode:
		if t.Value == nil {
			return "", true
		}
		return t.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode, *ast.NullNode:
		return tokenText(n), true
	}
	return "", false
}

func tokenText(n ast.Node) string {
	if n == nil || reflect.ValueOf(n).IsNil() {
		return ""
	}
	return tokenValue(n.GetToken())
}

func tokenValue(tk *token.Token) string {
	if tk == nil {
		return ""
	}
	return tk.Value
}

// rejoinSplit recovers a plain scalar that go-yaml v1.19.2 splits at its last colon
// inside a flow sequence nested in a flow mapping: `{nodes: [http://h:9200]}` parses
// as [{"http://h": 9200}]. It accepts only a one-pair mapping whose key holds "://" and
// whose scalar value starts on the same line right after the colon, which is exactly the
// source text "key:value" with no space; a real mapping needs a space after the colon,
// and a quoted key shifts the columns.
func rejoinSplit(n ast.Node) (string, bool) {
	var kv *ast.MappingValueNode
	switch t := n.(type) {
	case *ast.MappingNode:
		if len(t.Values) == 1 {
			kv = t.Values[0]
		}
	case *ast.MappingValueNode:
		kv = t
	}
	if kv == nil || kv.Key == nil || kv.Value == nil {
		return "", false
	}
	k, ok := kv.Key.(*ast.StringNode)
	value, scalar := scalarText(kv.Value)
	if !ok || !scalar || !strings.Contains(k.Value, "://") {
		return "", false
	}
	kt, vt := k.GetToken(), kv.Value.GetToken()
	if kt == nil || vt == nil || kt.Position == nil || vt.Position == nil ||
		kt.Position.Line != vt.Position.Line ||
		vt.Position.Column != kt.Position.Column+utf8.RuneCountInString(k.Value)+1 {
		return "", false
	}
	return k.Value + ":" + value, true
}

// describe names what was found, for "X is not a Y" messages.
func describe(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	}
	if s, ok := scalarText(n); ok {
		return quote(s)
	}
	return "this value"
}

// wantFor says what a scalar field accepts.
func wantFor(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a Go duration such as 500ms, 10s or 1m"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.Int:
		return "a whole number"
	}
	return "text"
}

// fmtDuration prints 5m rather than Go's 5m0s.
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// quote shows a value in a message, cut to a readable length.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		s = s[:max] + "..."
	}
	return fmt.Sprintf("%q", s)
}

// syntaxProblem turns a go-yaml parse error into a problem at (file) with its position.
func syntaxProblem(err error) Problem {
	var ye yaml.Error
	if errors.As(err, &ye) {
		msg := ye.GetMessage()
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			return Problem{fileKey, fmt.Sprintf("not valid YAML at line %d, column %d: %s, want a YAML mapping such as \"clusters: [...]\"", tk.Position.Line, tk.Position.Column, msg)}
		}
		return Problem{fileKey, fmt.Sprintf("not valid YAML: %s, want a YAML mapping such as \"clusters: [...]\"", msg)}
	}
	return Problem{fileKey, fmt.Sprintf("not valid YAML: %v, want a YAML mapping such as \"clusters: [...]\"", err)}
}
