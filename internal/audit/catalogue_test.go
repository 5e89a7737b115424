package audit

import (
	"os"
	"strings"
	"testing"
)

func TestCatalogueComplete(t *testing.T) {
	for c, r := range Catalogue {
		if r.Severity < Info || r.Severity > Error || r.Area == "" || r.Title == "" || r.Why == "" || r.Fix == "" {
			t.Errorf("%s: incomplete rule %+v", c, r)
		}
		if strings.ToLower(string(c)) != string(c) || strings.ContainsAny(string(c), " _") {
			t.Errorf("%s: codes are lowercase words joined by dashes", c)
		}
	}
}

// TestDocListsEveryRule keeps docs/audit.md's rule section identical to the catalogue.
// Regenerate it with: ESDR_UPDATE_DOC=1 go test ./internal/audit -run TestDocListsEveryRule
func TestDocListsEveryRule(t *testing.T) {
	const path = "../../docs/audit.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	const begin, end = "<!-- rules:begin -->\n", "<!-- rules:end -->"
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s: no %q ... %q section", path, begin, end)
	}
	want := Markdown()
	if os.Getenv("ESDR_UPDATE_DOC") == "1" {
		if err := os.WriteFile(path, []byte(doc[:i+len(begin)]+want+doc[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got := doc[i+len(begin) : j]; got != want {
		t.Errorf("%s is out of date with the catalogue; run ESDR_UPDATE_DOC=1 go test ./internal/audit -run TestDocListsEveryRule", path)
	}
	for c := range Catalogue {
		if !strings.Contains(doc, "`"+string(c)+"`") {
			t.Errorf("%s does not list %s", path, c)
		}
	}
}
