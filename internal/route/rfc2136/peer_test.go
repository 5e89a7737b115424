package rfc2136

import (
	"testing"

	"github.com/esdr/esdr/testbed/peers"
)

// Test zone and record served by the test's named, and the secret of the key it accepts.
const (
	testZone   = "example.com."
	testName   = "es.example.com."
	testSecret = peers.NamedSecret
)

// startNamed runs a real BIND named for example.com, es.example.com at 192.0.2.1,
// updatable with peers.NamedKey; it returns the server's host:port.
func startNamed(t *testing.T) string {
	t.Helper()
	return peers.StartNamedT(t, testZone, "es  IN A   192.0.2.1").Addr
}
