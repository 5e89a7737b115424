package haproxy

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/esdr/esdr/testbed/peers"
)

// node is a tiny HTTP server standing for one Elasticsearch node; it counts requests.
type node struct {
	srv  *httptest.Server
	hits atomic.Int64
}

func newNode(t *testing.T) *node {
	t.Helper()
	n := &node{}
	n.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.hits.Add(1)
		fmt.Fprintln(w, `{"status":"green"}`)
	}))
	t.Cleanup(n.srv.Close)
	return n
}

// startHAProxy runs a real HAProxy with backend "es" holding one server per node, named
// by servers[i].
func startHAProxy(t *testing.T, servers []string, nodes []*node) peers.HAProxy {
	t.Helper()
	list := make([]peers.Server, len(servers))
	for i, s := range servers {
		list[i] = peers.Server{Name: s, Addr: strings.TrimPrefix(nodes[i].srv.URL, "http://")}
	}
	return peers.StartHAProxy(t, list)
}
