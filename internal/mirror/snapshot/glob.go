package snapshot

// PatternsOverlap reports whether some index name matches both patterns (* only), as
// Options checks Indices against Mirrored; the configuration checks the same at load.
func PatternsOverlap(a, b string) bool { return globsOverlap(a, b) }

// globsOverlap reports whether some name matches both patterns, where * matches any run
// of characters (possibly empty) and every other character itself. The search is over
// pairs of positions, so it is quadratic in the patterns' lengths, never exponential.
func globsOverlap(a, b string) bool {
	seen := make(map[[2]int]bool)
	var f func(i, j int) bool
	f = func(i, j int) bool {
		if i == len(a) && j == len(b) {
			return true
		}
		k := [2]int{i, j}
		if seen[k] {
			return false // already explored, without success
		}
		seen[k] = true
		switch {
		case i < len(a) && a[i] == '*':
			// a's star matches nothing more, or also the next thing b can produce.
			return f(i+1, j) || (j < len(b) && f(i, j+1))
		case j < len(b) && b[j] == '*':
			return f(i, j+1) || (i < len(a) && f(i+1, j))
		case i < len(a) && j < len(b):
			return a[i] == b[j] && f(i+1, j+1)
		}
		return false
	}
	return f(0, 0)
}
