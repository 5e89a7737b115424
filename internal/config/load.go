package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// MaxFileSize bounds the configuration file. A real one is a few KiB; the bound keeps a
// wrong path (a log file, a device) from being read into memory.
const MaxFileSize = 1 << 20

// maxLines bounds the number of lines. go-yaml's parser takes time quadratic in the
// number of keys of one block mapping (10,000 keys: under a second; 100,000: minutes);
// a real configuration has a few hundred lines.
const maxLines = 10_000

// maxNesting bounds how deeply brackets and indentation may nest before the file is
// handed to the YAML parser, whose recursion would otherwise follow the input. The
// schema itself is 5 levels deep.
const maxNesting = 64

// Load reads the file at path, then parses it as Parse does with the process
// environment, resolving relative paths against the file's directory. The error is
// either an I/O error or a wrapped Problems listing everything wrong with the file.
func Load(path string) (*Config, error) { return load(path, loadOptions{}) }

// LoadForReload is Load for a SIGHUP reload: it checks everything Load checks except the
// contents of the certificate, key and CA files the TLS blocks name (their keys must
// still be set). A reload applies none of those files — the listeners' pairs are reloaded
// on their own, and refused on their own — so a pair being rotated must not refuse the
// failover policy along with it.
func LoadForReload(path string) (*Config, error) { return load(path, loadOptions{noTLSFiles: true}) }

// LoadForAudit is Load for esdr audit, which reads the clusters only: problems in the
// admin block (its token from an environment variable an auditor's shell lacks) do not
// stop it. The Config's admin block is then not to be used.
func LoadForAudit(path string) (*Config, error) {
	return load(path, loadOptions{ignore: []string{"admin"}})
}

type loadOptions struct {
	noTLSFiles bool
	ignore     []string // top-level keys whose problems are dropped
}

func load(path string, o loadOptions) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	c, err := parse(data, filepath.Dir(abs), os.LookupEnv, o)
	var ps Problems
	if errors.As(err, &ps) {
		return nil, fmt.Errorf("config: %s has %s:\n%w", path, plural(len(ps), "problem"), ps)
	}
	return c, err
}

// Parse decodes a configuration: it parses the YAML, expands ${ENV} in values using env
// (nil means no variables are set), applies the values strictly over Default, fills
// derived defaults, makes relative paths relative to baseDir (when not empty), and
// validates. On any problem it returns a nil *Config and Problems listing all of them.
// It never panics, whatever data holds.
func Parse(data []byte, baseDir string, env func(string) (string, bool)) (*Config, error) {
	return parse(data, baseDir, env, loadOptions{})
}

func parse(data []byte, baseDir string, env func(string) (string, bool), o loadOptions) (*Config, error) {
	p := newCollector()
	p.noTLSFiles, p.ignore = o.noTLSFiles, o.ignore
	c := Default()
	body, prob := parseDocument(data)
	if prob != nil {
		return nil, Problems{*prob}
	}
	newDecoder(env, p).decode("", body, reflect.ValueOf(c).Elem())
	p.validate = true
	c.normalize(baseDir)
	c.validate(p)
	if len(p.list) > 0 {
		return nil, p.list.capped(maxProblems)
	}
	return c, nil
}

// parseDocument checks that data is text, parses it, and returns the body of its one
// document, or the problem that stops decoding altogether.
func parseDocument(data []byte) (body ast.Node, prob *Problem) {
	fail := func(format string, args ...any) (ast.Node, *Problem) {
		return nil, &Problem{Key: fileKey, Msg: fmt.Sprintf(format, args...)}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	switch {
	case len(data) > MaxFileSize:
		return fail("%d bytes, want at most %d (1 MiB)", len(data), MaxFileSize)
	case !utf8.Valid(data):
		return fail("not text (invalid UTF-8 at byte %d), want a YAML file", invalidAt(data))
	case bytes.IndexByte(data, 0) >= 0:
		return fail("not text (a NUL byte at byte %d), want a YAML file", bytes.IndexByte(data, 0))
	case len(bytes.TrimSpace(data)) == 0:
		return fail("empty, want a YAML mapping with at least a clusters list")
	}
	if n := bytes.Count(data, []byte("\n")) + 1; n > maxLines {
		return fail("%d lines, want at most %d", n, maxLines)
	}
	if depth := nesting(data); depth > maxNesting {
		return fail("nested %d levels deep, want at most %d", depth, maxNesting)
	}
	file, err := parseYAML(data)
	if err != nil {
		p := syntaxProblem(err)
		return nil, &p
	}
	var docs []ast.Node
	for _, d := range file.Docs {
		switch b := d.Body.(type) {
		case nil, *ast.CommentGroupNode, *ast.CommentNode:
		default:
			docs = append(docs, b)
		}
	}
	switch {
	case len(docs) == 0:
		return fail("empty, want a YAML mapping with at least a clusters list")
	case len(docs) > 1:
		return fail("%d YAML documents, want one", len(docs))
	}
	return docs[0], nil
}

// parseYAML calls the parser, turning a panic inside it into an error: the parser is
// third-party code fed operator input, and esdr must report bad input, not crash on it.
func parseYAML(data []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("the YAML parser failed (%v)", r)
		}
	}()
	// Duplicate keys are left to the decoder, which reports them at their key path.
	return parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
}

// nesting is a cheap upper bound of how deeply data nests: the deepest run of open
// brackets, or the deepest indentation counted in one-space steps, whichever is larger.
func nesting(data []byte) int {
	depth, deepest, indent := 0, 0, 0
	lineStart := true
	for _, b := range data {
		switch {
		case b == '[' || b == '{':
			depth++
			deepest = max(deepest, depth)
		case (b == ']' || b == '}') && depth > 0:
			depth--
		}
		switch {
		case b == '\n':
			lineStart, indent = true, 0
		case lineStart && (b == ' ' || b == '-'):
			indent++
			deepest = max(deepest, indent/2)
		default:
			lineStart = false
		}
	}
	return deepest
}

// invalidAt is the offset of the first byte that is not UTF-8.
func invalidAt(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(data)
}
