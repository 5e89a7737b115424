package config

import (
	"errors"
	"reflect"
	"strconv"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// decoder fills the struct tree from the YAML syntax tree, strictly: an unknown key, a
// key given twice or a value of the wrong shape is a problem, as with go-yaml's
// yaml.Strict(). It walks the tree itself rather than calling go-yaml's decoder for
// three reasons: go-yaml stops at the first error while an operator wants them all;
// ${ENV} must be expanded in values after parsing (so a variable cannot inject YAML)
// yet before they are converted (so a threshold can come from the environment); and a
// scalar must be read from its source text, so that a password written 0123 is not
// turned into 83 by integer parsing.
//
// The struct tree's `yaml` tags are the schema. Supported field types: string types
// (including Secret), bool, int, time.Duration, pointers to those, slices, structs.
type decoder struct {
	env     Env
	p       *collector
	anchors map[string]ast.Node
	budget  int // values left to decode; bounds alias expansion
}

// maxValues bounds how many values one document may decode to. A real file has a few
// hundred; aliases to aliases could otherwise multiply a 1 MiB file into billions.
const maxValues = 100_000

var (
	durationType = reflect.TypeFor[time.Duration]()
	secretType   = reflect.TypeFor[Secret]()
)

// presetter is implemented by types whose defaults must be set on every new list
// element before its keys are applied (a bool that defaults to true).
type presetter interface{ preset() }

func newDecoder(env Env, p *collector) *decoder {
	return &decoder{env: env, p: p, anchors: map[string]ast.Node{}, budget: maxValues}
}

// decode applies node n, found at key, to v. A null or absent value leaves v as it
// is, so an empty block keeps its defaults.
func (d *decoder) decode(key string, n ast.Node, v reflect.Value) {
	n = d.resolve(key, n)
	if n == nil {
		return
	}
	if _, null := n.(*ast.NullNode); null {
		return
	}
	switch t := v.Type(); {
	case t.Kind() == reflect.Pointer:
		e := reflect.New(t.Elem())
		if ps, ok := e.Interface().(presetter); ok {
			ps.preset()
		}
		d.decode(key, n, e.Elem())
		v.Set(e)
	case t.Kind() == reflect.Struct:
		d.mapping(key, n, v)
	case t.Kind() == reflect.Slice:
		d.sequence(key, n, v)
	case t.Kind() == reflect.Map:
		d.dict(key, n, v)
	default:
		d.scalar(key, n, v)
	}
}

// resolve follows anchors, aliases and tags to the node they stand for. It returns
// nil, after recording a problem, when there is nothing usable.
func (d *decoder) resolve(key string, n ast.Node) ast.Node {
	for n != nil {
		d.budget--
		if d.budget < 0 {
			if d.budget == -1 {
				d.p.add(key, "the document expands to more than %d values, want a smaller file (fewer aliases)", maxValues)
			}
			return nil
		}
		switch t := n.(type) {
		case *ast.AnchorNode:
			if name := tokenText(t.Name); name != "" {
				d.anchors[name] = t.Value
			}
			n = t.Value
		case *ast.AliasNode:
			name := tokenText(t.Value)
			target, ok := d.anchors[name]
			if !ok {
				d.p.add(key, "alias *%s refers to no anchor above it, want &%s defined earlier on a key esdr reads", name, name)
				return nil
			}
			n = target
		case *ast.TagNode:
			if tag := tokenValue(t.Start); tag != "!!str" {
				d.p.add(key, "tag %s is not supported, want a plain value (only !!str is accepted)", quote(tag))
				return nil
			}
			n = t.Value
		default:
			return n
		}
	}
	return nil
}

// mapping applies a YAML mapping to a struct.
func (d *decoder) mapping(key string, n ast.Node, v reflect.Value) {
	pairs, ok := pairsOf(n)
	if !ok {
		what := describe(n)
		if holdsSecret(v.Type()) { // auth: hunter2 must not echo hunter2
			what = "a single value"
		}
		d.p.add(key, "%s is not a mapping, want a mapping with the keys %s", what, allowedKeys(v.Type()))
		return
	}
	fields := schemaOf(v.Type())
	seen := map[string]bool{}
	for _, kv := range pairs {
		if kv == nil {
			continue
		}
		name, ok := d.keyName(key, kv.Key)
		if !ok {
			continue
		}
		fk := field(key, displayKey(name))
		i, known := fields.index[name]
		switch {
		case seen[name]:
			d.p.add(fk, "set twice, want each key once")
		case !known:
			d.p.add(fk, "unknown key, allowed keys here are: %s", allowedKeys(v.Type()))
		default:
			d.decode(fk, kv.Value, v.Field(i))
		}
		seen[name] = true
	}
}

// pairsOf returns the key/value pairs of a YAML mapping node, and false for anything else.
func pairsOf(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch t := n.(type) {
	case *ast.MappingNode:
		return t.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{t}, true
	}
	return nil, false
}

// dict applies a YAML mapping with free-form keys (cluster names, as in
// targets.route53[0].values) to a map with string keys, replacing any default map.
func (d *decoder) dict(key string, n ast.Node, v reflect.Value) {
	pairs, ok := pairsOf(n)
	if !ok {
		d.p.add(key, "%s is not a mapping, want NAME: value pairs such as primary: ...", describe(n))
		return
	}
	out := reflect.MakeMapWithSize(v.Type(), len(pairs))
	for _, kv := range pairs {
		if kv == nil {
			continue
		}
		name, ok := d.keyName(key, kv.Key)
		if !ok {
			continue
		}
		fk := field(key, displayKey(name))
		if out.MapIndex(reflect.ValueOf(name)).IsValid() {
			d.p.add(fk, "set twice, want each key once")
			continue
		}
		e := reflect.New(v.Type().Elem()).Elem()
		d.decode(fk, kv.Value, e)
		out.SetMapIndex(reflect.ValueOf(name), e)
	}
	v.Set(out)
}

// sequence applies a YAML list to a slice, replacing any default list.
func (d *decoder) sequence(key string, n ast.Node, v reflect.Value) {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.p.add(key, "%s is not a list, want a list (one \"- item\" per line, or [a, b])", describe(n))
		return
	}
	out := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
	for i, item := range seq.Values {
		e := out.Index(i)
		if ps, ok := e.Addr().Interface().(presetter); ok {
			ps.preset()
		}
		d.decode(index(key, i), item, e)
	}
	v.Set(out)
}

// scalar expands variables in a scalar's text and converts it to v's type.
func (d *decoder) scalar(key string, n ast.Node, v reflect.Value) {
	secret := v.Type() == secretType
	text, ok := scalarText(n)
	if !ok {
		text, ok = rejoinSplit(n)
	}
	if !ok {
		d.p.add(key, "%s is not a single value, want %s", describe(n), wantFor(v.Type()))
		return
	}
	s, err := expand(text, d.env, secret)
	if err != nil {
		d.p.add(key, "%v", err)
		return
	}
	switch {
	case v.Type() == durationType:
		dur, err := time.ParseDuration(s)
		if err != nil {
			d.p.add(key, "%s is not a duration, want %s", quote(s), wantFor(durationType))
			return
		}
		v.SetInt(int64(dur))
	case v.Kind() == reflect.String:
		v.SetString(s)
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil || (s != "true" && s != "false") {
			d.p.add(key, "%s is not a boolean, want true or false", quote(s))
			return
		}
		v.SetBool(b)
	case v.Kind() == reflect.Int:
		i, err := strconv.ParseInt(s, 10, 32)
		switch {
		case errors.Is(err, strconv.ErrRange):
			d.p.add(key, "%s is out of range, want a number within this key's range (docs/configuration.md)", quote(s))
			return
		case err != nil:
			d.p.add(key, "%s is not a whole number, want digits such as 3", quote(s))
			return
		}
		v.SetInt(i)
	default:
		d.p.add(key, "cannot be set from a file, want it left out")
	}
}
