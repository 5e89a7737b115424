package mirror

import (
	"strings"
)

// filterPath is a client's filter_path, applied by esdr to an answer it had the cluster
// give in full: the same semantics as Elasticsearch 7 and OpenSearch 2 (their
// FilterPath and FilterPathBasedFilter):
//
//   - comma-separated paths of dot-separated segments; `\.` is a dot inside a key;
//   - a segment matches one key, with `*` matching any run of characters in it (`*`
//     alone: any key); `**` matches one or more keys at any depth;
//   - arrays are transparent: a path goes through them to the objects they hold;
//   - a path starting with `-` excludes what it matches; with both kinds, the answer is
//     filtered by the inclusions, then the exclusions;
//   - a key that a path matches entirely comes with everything under it; an object or
//     array left with nothing is dropped, and a scalar under a partly matched key is
//     dropped by inclusions and kept by exclusions. The root object always stays.
//
// Error answers are not filtered (Elasticsearch does not filter them either).
type filterPath struct {
	includes, excludes []pathRest
	rawIncludes        []string // as the client wrote them, to extend upstream
}

// pathRest is the segments of one path still to match.
type pathRest []string

// parseFilterPath parses the value of filter_path; ok is false when it names no path.
func parseFilterPath(v string) (filterPath, bool) {
	var f filterPath
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(p, "-"); ok {
			if rest != "" {
				f.excludes = append(f.excludes, splitPath(rest))
			}
			continue
		}
		f.includes = append(f.includes, splitPath(p))
		f.rawIncludes = append(f.rawIncludes, p)
	}
	return f, len(f.includes)+len(f.excludes) > 0
}

// splitPath cuts a path at the dots not escaped by a backslash.
func splitPath(p string) pathRest {
	var segs pathRest
	var cur strings.Builder
	for i := 0; i < len(p); i++ {
		switch {
		case p[i] == '\\' && i+1 < len(p) && p[i+1] == '.':
			cur.WriteByte('.')
			i++
		case p[i] == '.':
			segs = append(segs, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(p[i])
		}
	}
	return append(segs, cur.String())
}

// upstream is the filter_path to ask the cluster for so that its answer holds both what
// the client asked for and what esdr must read (need), or "" for no filter at all: with
// exclusions, a union of paths is not a superset.
func (f filterPath) upstream(need ...string) string {
	if len(f.excludes) > 0 || len(f.includes) == 0 {
		return ""
	}
	return strings.Join(append(append([]string(nil), f.rawIncludes...), need...), ",")
}

// apply returns the root of an answer filtered as Elasticsearch would have.
func (f filterPath) apply(root any) any {
	if len(f.includes) > 0 {
		root = keepRoot(filterValue(root, f.includes, true))
	}
	if len(f.excludes) > 0 {
		root = keepRoot(filterValue(root, f.excludes, false))
	}
	return root
}

// keepRoot turns a root object filtered to nothing into an empty object.
func keepRoot(v any, kept bool) any {
	if !kept {
		return jsonObject{}
	}
	return v
}

// filterValue filters v, reached by a partial match whose remaining paths are cs, and
// says whether anything of it is written.
func filterValue(v any, cs []pathRest, inclusive bool) (any, bool) {
	switch t := v.(type) {
	case jsonObject:
		out := jsonObject{}
		for _, m := range t {
			full, next := step(cs, m.Key)
			switch {
			case full:
				if inclusive {
					out = append(out, m)
				}
			case len(next) == 0:
				if !inclusive {
					out = append(out, m)
				}
			default:
				if fv, ok := filterValue(m.Value, next, inclusive); ok {
					out = append(out, jsonMember{Key: m.Key, Value: fv})
				}
			}
		}
		return out, len(out) > 0
	case []any:
		out := []any{}
		for _, e := range t {
			if fe, ok := filterValue(e, cs, inclusive); ok {
				out = append(out, fe)
			}
		}
		return out, len(out) > 0
	}
	return v, !inclusive
}

// step matches one key against the paths cs: full when a path ends on it, else the
// paths that go on below it (a `**` stays as well as moving past).
func step(cs []pathRest, key string) (full bool, next []pathRest) {
	for _, c := range cs {
		if !segmentMatch(c[0], key) {
			continue
		}
		if len(c) == 1 {
			return true, nil
		}
		if c[0] == "**" {
			next = append(next, c)
		}
		next = append(next, c[1:])
	}
	return false, next
}

// segmentMatch matches a key against one segment, where `*` matches any run of
// characters (Elasticsearch's Glob.globMatch).
func segmentMatch(pattern, key string) bool {
	if pattern == "*" || pattern == "**" {
		return true
	}
	first, rest, wild := strings.Cut(pattern, "*")
	if !wild {
		return pattern == key
	}
	if !strings.HasPrefix(key, first) {
		return false
	}
	key = key[len(first):]
	for {
		lit, more, wild := strings.Cut(rest, "*")
		if !wild {
			return strings.HasSuffix(key, lit) // the last literal ends the key
		}
		i := strings.Index(key, lit)
		if i < 0 {
			return false
		}
		key, rest = key[i+len(lit):], more
	}
}
