package tlsfile

import (
	"crypto/tls"
	"sync"
	"time"
)

// clientPair is the client certificate a Peer presents, taken from its files again
// when they change, so that a renewed cert_file and key_file take effect without a
// restart. The files are looked at during a handshake that asks for a certificate, at
// most once per DefaultPoll: there is no goroutine to own and stop, and a peer that never
// asks costs nothing. As for a listener (Keypair), only a pair that loads replaces the
// one in use, so a rotation written file by file never leaves esdr without one.
// Connections already open keep the certificate they were made with.
type clientPair struct {
	k     *Keypair
	every time.Duration
	now   func() time.Time

	mu   sync.Mutex
	next time.Time // when the files may be looked at again
}

func newClientPair(k *Keypair, now func() time.Time) *clientPair {
	return &clientPair{k: k, every: DefaultPoll, now: now, next: now().Add(DefaultPoll)}
}

// get is the tls.Config.GetClientCertificate hook. Like crypto/tls with
// Config.Certificates, it sends no certificate rather than one the server has said it
// will not accept (its acceptable CAs, its signature schemes).
func (c *clientPair) get(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
	c.refresh()
	cert := c.k.Certificate()
	if err := cri.SupportsCertificate(cert); err != nil {
		return new(tls.Certificate), nil
	}
	return cert, nil
}

// refresh reads the files again when the last look is older than every. A pair that
// does not load is kept out silently: the one in use still works until it expires, and a
// server that then refuses it makes the cluster blind (or etcd's errors explained) with
// the reason.
func (c *clientPair) refresh() {
	c.mu.Lock()
	now := c.now()
	due := !now.Before(c.next)
	if due {
		c.next = now.Add(c.every)
	}
	c.mu.Unlock()
	if due {
		_, _ = c.k.reload(false)
	}
}

// loadedKeypair is a Keypair over certFile and keyFile holding the pair already read
// from them, so that Peer.Config reads the files once and reports its own errors.
func loadedKeypair(certFile, keyFile string, certPEM, keyPEM []byte, cert *tls.Certificate) *Keypair {
	k := &Keypair{certFile: certFile, keyFile: keyFile, lastCert: certPEM, lastKey: keyPEM}
	k.cur.Store(cert)
	return k
}
