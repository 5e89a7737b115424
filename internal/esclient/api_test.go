package esclient

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/esdr/esdr/internal/health"
)

func TestAuthHeaders(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{Username: "elastic", Password: "s3cret"}, "Basic ZWxhc3RpYzpzM2NyZXQ="},
		{Options{APIKey: "abc=="}, "ApiKey abc=="},
		{Options{}, ""},
	} {
		var got string
		srv := serve(t, map[string]http.HandlerFunc{"/_cluster/health": func(w http.ResponseWriter, r *http.Request) {
			got = r.Header.Get("Authorization")
			body(401, `{"error":{"type":"security_exception","reason":"missing authentication credentials"},"status":401}`)(w, r)
		}})
		_, err := newClient(t, []string{srv.URL}, tc.opts).Health(context.Background())
		if got != tc.want {
			t.Errorf("Authorization %q, want %q", got, tc.want)
		}
		if err == nil || strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "ZWxhc3Rp") {
			t.Errorf("err = %v", err)
		}
		var se *StatusError
		if !errors.As(err, &se) || se.Code != 401 || se.Type != "security_exception" {
			t.Errorf("StatusError = %+v", se)
		}
	}
}

func TestTLSVerifiedWithCA(t *testing.T) {
	srv := httptest.NewTLSServer(body(200, os2Health))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := newClient(t, []string{srv.URL}, Options{CAFile: ca}).Health(context.Background()); err != nil {
		t.Errorf("with CA: %v", err)
	}
	_, err := newClient(t, []string{srv.URL}, Options{}).Health(context.Background())
	if Classify(err) != health.KindBlind || !strings.Contains(err.Error(), "certificate not trusted") {
		t.Errorf("without CA: %s %v", Classify(err), err)
	}
	if _, err := newClient(t, []string{srv.URL}, Options{InsecureSkipVerify: true}).Health(context.Background()); err != nil {
		t.Errorf("insecure: %v", err)
	}
	if _, err := New([]string{srv.URL}, Options{CAFile: filepath.Join(t.TempDir(), "none.pem")}); err == nil {
		t.Error("missing CA file accepted")
	}
}

func TestInfoEngines(t *testing.T) {
	for _, tc := range []struct {
		body string
		want Info
	}{
		{es710Root, Info{Name: "es01", ClusterName: "docker-cluster", ClusterUUID: "2fMtiwd2R8KqvQ0yvWQJGA",
			Version: "7.10.2", Distribution: "elasticsearch", Tagline: "You Know, for Search"}},
		{os2Root, Info{Name: "opensearch-node1", ClusterName: "opensearch-cluster", ClusterUUID: "W0B8gPotTAajhMPbC9D4ww",
			Version: "2.11.0", Distribution: "opensearch", Tagline: "The OpenSearch Project: https://opensearch.org/"}},
	} {
		srv := serve(t, map[string]http.HandlerFunc{"/": body(200, tc.body)})
		got, err := newClient(t, []string{srv.URL}, Options{}).Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if *got != tc.want {
			t.Errorf("Info = %+v, want %+v", *got, tc.want)
		}
	}
}

func TestNodesInfoEngines(t *testing.T) {
	for _, tc := range []struct {
		name, nodes, master string
		want                []Node
	}{
		{"elasticsearch", es710Nodes, `[{"id":"aaa","host":"172.18.0.2","ip":"172.18.0.2","node":"es01"}]`, []Node{
			{ID: "aaa", Name: "es01", HTTPAddress: "172.18.0.2:9200", Roles: []string{"data", "ingest", "master", "remote_cluster_client"}, MasterEligible: true, ElectedMaster: true},
			{ID: "bbb", Name: "es02", HTTPAddress: "172.18.0.3:9200", Roles: []string{"data", "ingest"}},
		}},
		{"opensearch no master", os2Nodes, `[{"id":"-","host":"-","ip":"-","node":"-"}]`, []Node{
			{ID: "ccc", Name: "opensearch-node1", HTTPAddress: "10.0.0.5:9200", Roles: []string{"data", "ingest", "master", "remote_cluster_client"}, MasterEligible: true},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := serve(t, map[string]http.HandlerFunc{
				"/_nodes/_all/http": body(200, tc.nodes),
				"/_cat/master": func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Query().Get("local") != "true" {
						t.Errorf("_cat/master without local=true")
					}
					body(200, tc.master)(w, r)
				},
			})
			got, err := newClient(t, []string{srv.URL}, Options{}).NodesInfo(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("NodesInfo =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestClusterSettings(t *testing.T) {
	var put map[string]map[string]any
	srv := serve(t, map[string]http.HandlerFunc{"/_cluster/settings": func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			body(200, es710Settings)(w, r)
		case http.MethodPut:
			if r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
			}
			b, _ := io.ReadAll(r.Body)
			_ = json.Unmarshal(b, &put)
			body(200, `{"acknowledged":true,"persistent":{},"transient":{}}`)(w, r)
		}
	}})
	c := newClient(t, []string{deadPort(t), srv.URL}, Options{})
	got, err := c.ClusterSettings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"cluster.blocks.read_only": "true", "cluster.routing.allocation.enable": "primaries"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ClusterSettings = %v", got)
	}
	if err := c.PutClusterSettings(context.Background(), map[string]any{"cluster.blocks.read_only": true}); err != nil {
		t.Fatal(err)
	}
	if put["persistent"]["cluster.blocks.read_only"] != true {
		t.Errorf("PUT body %v", put)
	}
}

func TestDoRetriesOnlyOnConnectionFailure(t *testing.T) {
	calls := 0
	bad := serve(t, map[string]http.HandlerFunc{"/x": func(w http.ResponseWriter, r *http.Request) {
		calls++
		body(500, `{}`)(w, r)
	}})
	good := serve(t, map[string]http.HandlerFunc{"/x": body(200, `{"ok":true}`)})
	c := newClient(t, []string{deadPort(t), good.URL}, Options{})
	status, b, err := c.Do(context.Background(), http.MethodGet, "/x", nil)
	if err != nil || status != 200 || string(b) != `{"ok":true}` {
		t.Errorf("Do = %d %s %v", status, b, err)
	}
	// An HTTP answer, even 500, is an answer: the next node is not tried.
	c = newClient(t, []string{bad.URL, good.URL}, Options{})
	status, _, err = c.Do(context.Background(), http.MethodPost, "/x", strings.NewReader("{}"))
	if err != nil || status != 500 || calls != 1 {
		t.Errorf("Do = %d %v, calls %d", status, err, calls)
	}
	if _, _, err := c.Do(context.Background(), http.MethodGet, "x", nil); err == nil {
		t.Error("relative path accepted")
	}
}
