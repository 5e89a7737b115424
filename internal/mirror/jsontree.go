package mirror

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/goccy/go-yaml"
)

// An answer esdr reshapes for the client (filter_path, YAML) is decoded into a tree that
// keeps the order of every object's keys, as Elasticsearch wrote them: jsonObject,
// []any, json.Number, string, bool or nil.
type jsonObject []jsonMember

type jsonMember struct {
	Key   string
	Value any
}

// maxTreeDepth bounds the nesting of an answer esdr decodes: garbage from a cluster is
// an error, never a stack overflow.
const maxTreeDepth = 512

var errTreeTooDeep = fmt.Errorf("mirror: answer nested deeper than %d levels", maxTreeDepth)

// decodeTree decodes one JSON value, the whole of b.
func decodeTree(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if err != nil {
		return nil, fmt.Errorf("mirror: unreadable answer: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("mirror: unreadable answer: data after the JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxTreeDepth {
		return nil, errTreeTooDeep
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		obj := jsonObject{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			obj = append(obj, jsonMember{Key: k.(string), Value: v})
		}
		_, err := dec.Token() // }
		return obj, err
	case json.Delim('['):
		arr := []any{}
		for dec.More() {
			v, err := decodeValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := dec.Token() // ]
		return arr, err
	}
	return tok, nil // json.Number, string, bool or nil
}

// encodeJSON writes v as compact JSON, or indented by two spaces for ?pretty, keys in
// the tree's order and without escaping HTML characters (as Elasticsearch writes).
func encodeJSON(v any, pretty bool) []byte {
	b := appendJSON(nil, v)
	if !pretty {
		return b
	}
	var out bytes.Buffer
	_ = json.Indent(&out, b, "", "  ") // b is valid JSON
	out.WriteByte('\n')
	return out.Bytes()
}

func appendJSON(b []byte, v any) []byte {
	switch t := v.(type) {
	case jsonObject:
		b = append(b, '{')
		for i, m := range t {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(appendString(b, m.Key), ':')
			b = appendJSON(b, m.Value)
		}
		return append(b, '}')
	case []any:
		b = append(b, '[')
		for i, e := range t {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, e)
		}
		return append(b, ']')
	case json.Number:
		return append(b, t...)
	case string:
		return appendString(b, t)
	case bool:
		return strconv.AppendBool(b, t)
	}
	return append(b, "null"...)
}

// appendString appends s as a JSON string, escaped by encoding/json but without its
// HTML escaping (Elasticsearch writes <, > and & as they are).
func appendString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// encodeYAML writes v as a YAML document, as Elasticsearch answers ?format=yaml: keys in
// the tree's order, numbers as numbers.
func encodeYAML(v any) ([]byte, error) {
	b, err := yaml.Marshal(toYAML(v))
	if err != nil {
		return nil, fmt.Errorf("mirror: rendering the answer as YAML: %w", err)
	}
	return append([]byte("---\n"), b...), nil
}

func toYAML(v any) any {
	switch t := v.(type) {
	case jsonObject:
		out := make(yaml.MapSlice, len(t))
		for i, m := range t {
			out[i] = yaml.MapItem{Key: m.Key, Value: toYAML(m.Value)}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = toYAML(e)
		}
		return out
	case json.Number:
		if n, err := t.Int64(); err == nil {
			return n
		}
		if n, err := strconv.ParseUint(string(t), 10, 64); err == nil {
			return n
		}
		if f, err := t.Float64(); err == nil {
			return f
		}
		return string(t)
	}
	return v
}
