package config

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a configuration: the key it concerns, in the form
// clusters[1].nodes[0], and a message that says what is wrong and what is allowed.
// Key is "(file)" for problems with the file as a whole (empty, not YAML, not text).
type Problem struct {
	Key string
	Msg string
}

// String renders the problem as one line, "key: message".
func (p Problem) String() string { return p.Key + ": " + p.Msg }

// fileKey names the whole file in problems that concern no single key.
const fileKey = "(file)"

// Problems is every problem found in a configuration. It is returned as an error so
// that an operator fixes the whole file in one pass instead of one error per restart.
type Problems []Problem

// Error lists the problems one per line, in the order they were found: decoding
// problems in document order, then validation problems in schema order.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// maxProblems bounds the list returned: past it, a file is not a configuration with
// mistakes but something else, and the first screenful is what helps.
const maxProblems = 100

// capped keeps the first n problems and says how many were left out.
func (ps Problems) capped(n int) Problems {
	if len(ps) <= n {
		return ps
	}
	out := append(Problems{}, ps[:n]...)
	return append(out, Problem{Key: fileKey, Msg: fmt.Sprintf("%d more problems not listed, want the ones above fixed first", len(ps)-n)})
}

// collector accumulates problems while decoding and validating. Validation skips keys
// that already have a decoding problem (and everything below them): a value that could
// not be decoded keeps its default, and a second complaint about it would only mislead.
type collector struct {
	list     Problems
	decoding map[string]bool
	validate bool // set once decoding is over
	// noTLSFiles skips reading the certificate and CA files the TLS blocks name: a SIGHUP
	// reload applies none of them (the listeners' pairs reload on their own), so a pair
	// caught mid-rotation must not refuse the policy.
	noTLSFiles bool
	// ignore names top-level keys whose problems are dropped (LoadForAudit).
	ignore []string
}

func newCollector() *collector { return &collector{decoding: map[string]bool{}} }

// add records a problem at key; msg is built with fmt.Sprintf(format, args...).
func (c *collector) add(key, format string, args ...any) {
	if key == "" {
		key = fileKey
	}
	for _, k := range c.ignore {
		if key == k || strings.HasPrefix(key, k+".") || strings.HasPrefix(key, k+"[") {
			return
		}
	}
	if c.validate && c.covered(key) {
		return
	}
	if !c.validate {
		c.decoding[key] = true
	}
	c.list = append(c.list, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
}

// covered reports whether key or one of its parents had a decoding problem.
func (c *collector) covered(key string) bool {
	if c.decoding[fileKey] { // the document as a whole could not be applied
		return true
	}
	for k := key; k != ""; k = parentKey(k) {
		if c.decoding[k] {
			return true
		}
	}
	return false
}

// parentKey strips the last element of a key: clusters[1].nodes[0] → clusters[1].nodes
// → clusters[1] → clusters → "".
func parentKey(key string) string {
	i := strings.LastIndexAny(key, ".[")
	if i < 0 {
		return ""
	}
	return key[:i]
}

// field joins a parent key and a field name.
func field(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// index joins a list key and an element index.
func index(parent string, i int) string { return fmt.Sprintf("%s[%d]", parent, i) }

// plural renders "1 cluster" or "3 clusters".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
