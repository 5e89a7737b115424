package mirror

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

func TestShapeOf(t *testing.T) {
	cases := []struct {
		name, query, accept string
		refused             bool
		yaml                bool
		yamlType, acceptFix string
		filtered            bool
	}{
		{"a plain write needs no reshaping", "", "", false, false, "", "", false},
		{"a JSON Accept header is left as it is", "", "application/json", false, false, "", "", false},
		{"a compatible-with JSON Accept header is left as it is", "", "application/vnd.elasticsearch+json; compatible-with=8", false, false, "", "", false},
		{"an unknown Accept header means JSON, as for Elasticsearch", "", "text/html, */*", false, false, "", "", false},
		{"a filter_path is applied by esdr", "filter_path=items.*._id", "", false, false, "", "", true},
		{"an empty filter_path filters nothing", "filter_path=", "", false, false, "", "", false},
		{"format=yaml is rendered by esdr", "format=yaml", "", false, true, "application/yaml", "", false},
		{"an Accept header for YAML is rendered by esdr and asks the cluster for JSON", "", "application/yaml",
			false, true, "application/yaml", "application/json", false},
		{"a compatible-with YAML Accept header keeps its version both ways", "", "application/vnd.elasticsearch+yaml; compatible-with=8",
			false, true, "application/vnd.elasticsearch+yaml; compatible-with=8", "application/vnd.elasticsearch+json; compatible-with=8", false},
		{"format wins over the Accept header", "format=json", "application/yaml", false, false, "", "application/json", false},
		{"format=cbor is refused", "format=cbor", "", true, false, "", "", false},
		{"format=smile is refused whatever the case", "format=SMILE", "", true, false, "", "", false},
		{"an Accept header for CBOR is refused", "", "application/cbor", true, false, "", "", false},
		{"an Accept header for compatible-with SMILE is refused", "", "application/vnd.elasticsearch+smile;compatible-with=7", true, false, "", "", false},
		{"an unknown format falls back to the Accept header", "format=txt", "application/yaml", false, true, "application/yaml", "application/json", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/_bulk?"+c.query, nil)
			if c.accept != "" {
				r.Header.Set("Accept", c.accept)
			}
			s, why := shapeOf(r)
			if (why != "") != c.refused {
				t.Fatalf("refusal %q, want refused %v", why, c.refused)
			}
			if c.refused {
				if !strings.HasPrefix(why, "mirror mode: ") || !strings.Contains(why, "nothing was sent") {
					t.Errorf("refusal %q does not say what happened", why)
				}
				return
			}
			if s.yaml != c.yaml || s.yamlType != c.yamlType || s.acceptFix != c.acceptFix || s.filtered != c.filtered {
				t.Errorf("shape %+v, want yaml %v (%q), Accept to the cluster %q, filtered %v", s, c.yaml, c.yamlType, c.acceptFix, c.filtered)
			}
		})
	}
}

func TestUpstreamQueries(t *testing.T) {
	cases := []struct {
		name, query      string
		bulk             bool
		journal, forward string
	}{
		{"a query without shaping parameters is kept as written", "refresh=true&routing=a%2Fb", true,
			"refresh=true&routing=a%2Fb", "refresh=true&routing=a%2Fb"},
		{"a _bulk filter is extended with the item statuses, versions and update documents and never journaled", "refresh=wait_for&filter_path=items.*._id", true,
			"refresh=wait_for", "refresh=wait_for&filter_path=items.%2A._id%2Citems.%2A.status%2Citems.%2A._version%2Citems.%2A.get._source"},
		{"a _bulk filter with an exclusion is not forwarded", "filter_path=-took&pretty", true, "pretty", "pretty"},
		{"a single write's filter is not forwarded", "filter_path=_id&format=yaml&refresh=true", false, "refresh=true", "refresh=true"},
		{"an escaped parameter name is recognised", "filter%5Fpath=_id&format=yaml", false, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/_bulk?"+c.query, nil)
			s, _ := shapeOf(r)
			journal, forward := s.upstreamQueries(r.URL.RawQuery, c.bulk)
			if journal != c.journal || forward != c.forward {
				t.Errorf("queries %q and %q, want journaled %q and forwarded %q", journal, forward, c.journal, c.forward)
			}
		})
	}
}

func TestReshape(t *testing.T) {
	held := func(status int, body string) *bufferedWriter {
		b := newBufferedWriter(1 << 20)
		b.header.Set("Content-Type", "application/json; charset=UTF-8")
		b.WriteHeader(status)
		_, _ = b.Write([]byte(body))
		return b
	}
	shape := func(query, accept string) answerShape {
		r := httptest.NewRequest("POST", "/_bulk?"+query, nil)
		r.Header.Set("Accept", accept)
		s, _ := shapeOf(r)
		return s
	}
	t.Run("a filtered answer in YAML keeps the answer's key order and numbers", func(t *testing.T) {
		b := held(200, bulkAnswer)
		if err := shape("filter_path=items.*.status,items.*._id", "application/yaml").reshape(b); err != nil {
			t.Fatal(err)
		}
		want := "---\nitems:\n- index:\n    _id: \"1\"\n    status: 201\n- create:\n    _id: \"2\"\n    status: 409\n"
		if got := b.body.String(); got != want || b.header.Get("Content-Type") != "application/yaml" {
			t.Errorf("YAML answer (%s):\n%s\nwant:\n%s", b.header.Get("Content-Type"), got, want)
		}
		var back struct {
			Items []map[string]struct {
				ID     string `yaml:"_id"`
				Status int    `yaml:"status"`
			} `yaml:"items"`
		}
		if err := yaml.Unmarshal(b.body.Bytes(), &back); err != nil || len(back.Items) != 2 || back.Items[1]["create"].Status != 409 {
			t.Errorf("the YAML answer reads back as %+v, %v", back, err)
		}
	})
	t.Run("an error answer is not filtered, as Elasticsearch does not filter it", func(t *testing.T) {
		body := `{"error":{"type":"mapper_parsing_exception","reason":"no"},"status":400}`
		b := held(400, body)
		if err := shape("filter_path=_id", "").reshape(b); err != nil || b.body.String() != body {
			t.Errorf("error answer reshaped to %s (%v)", b.body.String(), err)
		}
	})
	t.Run("a filtered answer asked pretty is indented", func(t *testing.T) {
		b := held(201, `{"_index":"o","_id":"1","result":"created"}`)
		if err := shape("filter_path=_id,result&pretty", "").reshape(b); err != nil {
			t.Fatal(err)
		}
		if want := "{\n  \"_id\": \"1\",\n  \"result\": \"created\"\n}\n"; b.body.String() != want {
			t.Errorf("pretty answer %q, want %q", b.body.String(), want)
		}
	})
	t.Run("an answer that is not JSON is left as it came, with the error", func(t *testing.T) {
		b := held(http.StatusBadGateway, "<html>bad gateway</html>")
		if err := shape("", "application/yaml").reshape(b); err == nil || b.body.String() != "<html>bad gateway</html>" {
			t.Errorf("non-JSON answer reshaped to %q (%v)", b.body.String(), err)
		}
	})
	t.Run("an answer nested past the bound is an error, not a crash", func(t *testing.T) {
		deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
		if _, err := decodeTree([]byte(deep)); err == nil {
			t.Error("a 100000-deep answer was decoded")
		}
	})
}
