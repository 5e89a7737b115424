package tlsfile

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// maxKeypairFile bounds how much of a certificate chain or a key is read.
const maxKeypairFile = 1 << 20

// DefaultPoll is how often Keypair.Watch looks at the files.
const DefaultPoll = 2 * time.Second

// Keypair is a certificate and its key served from two files, for a listener. The pair
// in use changes only to another valid pair: Reload (on SIGHUP) and Watch (when the files
// change) keep the previous one when the files hold a pair that does not load, so that a
// half-written rotation never takes the listener down. Connections already established
// keep the certificate they were made with; new handshakes get the new one
// (GetCertificate).
type Keypair struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]

	mu                sync.Mutex // serializes reloads
	lastCert, lastKey []byte     // the contents last tried, loaded or not
}

// LoadKeypair reads the pair at certFile and keyFile; a pair that does not load is an
// error naming the file at fault when it can.
func LoadKeypair(certFile, keyFile string) (*Keypair, error) {
	k := &Keypair{certFile: certFile, keyFile: keyFile}
	certPEM, keyPEM, err := k.read()
	if err != nil {
		return nil, err
	}
	cert, err := parsePair(certPEM, keyPEM)
	if err != nil {
		return nil, &PairError{CertFile: certFile, KeyFile: keyFile, Err: err}
	}
	k.lastCert, k.lastKey = certPEM, keyPEM
	k.cur.Store(cert)
	return k, nil
}

// Files are the certificate and key paths, for messages.
func (k *Keypair) Files() (certFile, keyFile string) { return k.certFile, k.keyFile }

// GetCertificate is the tls.Config hook: the pair in use at the time of the handshake.
func (k *Keypair) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return k.cur.Load(), nil
}

// Certificate is the pair in use.
func (k *Keypair) Certificate() *tls.Certificate { return k.cur.Load() }

// Reload reads the files again and switches to the pair they hold. It reports whether
// the pair changed; on an error the pair in use is kept.
func (k *Keypair) Reload() (changed bool, err error) {
	return k.reload(true)
}

// reload loads the files; with force false, contents already tried are skipped, so a
// bad pair left in place is reported once, not at every poll.
func (k *Keypair) reload(force bool) (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	certPEM, keyPEM, err := k.read()
	if err != nil {
		return false, err
	}
	same := bytes.Equal(certPEM, k.lastCert) && bytes.Equal(keyPEM, k.lastKey)
	if same && !force {
		return false, nil
	}
	k.lastCert, k.lastKey = certPEM, keyPEM
	cert, err := parsePair(certPEM, keyPEM)
	if err != nil {
		return false, fmt.Errorf("%w; still serving the previous certificate", &PairError{CertFile: k.certFile, KeyFile: k.keyFile, Err: err})
	}
	old := k.cur.Load()
	if old != nil && bytes.Equal(old.Certificate[0], cert.Certificate[0]) {
		return false, nil
	}
	k.cur.Store(cert)
	return true, nil
}

// Watch polls the files every interval (DefaultPoll when 0) until ctx ends, switching to
// a new valid pair when their contents change. It calls changed after each switch and
// refused after each new contents that did not load (or files that cannot be read).
func (k *Keypair) Watch(ctx context.Context, every time.Duration, changed func(), refused func(error)) {
	if every <= 0 {
		every = DefaultPoll
	}
	t := time.NewTicker(every)
	defer t.Stop()
	var lastReadErr string
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ok, err := k.reload(false)
		switch {
		case err != nil && isReadError(err):
			// A file being replaced can be missing for a moment: report a read error
			// once until it changes.
			if err.Error() != lastReadErr {
				refused(err)
			}
			lastReadErr = err.Error()
		case err != nil:
			lastReadErr = ""
			refused(err)
		case ok:
			lastReadErr = ""
			changed()
		default:
			lastReadErr = ""
		}
	}
}

// PairError is a certificate file and a key file that were read but do not load as a
// pair: no PEM certificate, no PEM key, or a key that does not match the leaf.
type PairError struct {
	CertFile, KeyFile string
	Err               error // crypto/tls's reason
}

func (e *PairError) Error() string {
	return fmt.Sprintf("tls: %s and %s: %v", e.CertFile, e.KeyFile, e.Err)
}

func (e *PairError) Unwrap() error { return e.Err }

// readError marks a failure to read a file (as opposed to a pair that does not parse).
type readError struct{ err error }

func (e readError) Error() string { return e.err.Error() }
func (e readError) Unwrap() error { return e.err }

func isReadError(err error) bool { _, ok := err.(readError); return ok }

// read reads both files, bounded.
func (k *Keypair) read() (certPEM, keyPEM []byte, err error) {
	if certPEM, err = readBounded(k.certFile); err != nil {
		return nil, nil, readError{fmt.Errorf("tls: certificate file: %w", err)}
	}
	if keyPEM, err = readBounded(k.keyFile); err != nil {
		return nil, nil, readError{fmt.Errorf("tls: key file: %w", err)}
	}
	return certPEM, keyPEM, nil
}

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeypairFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > maxKeypairFile {
		return nil, fmt.Errorf("%s: larger than %d bytes, want a PEM file", path, maxKeypairFile)
	}
	return b, nil
}

// parsePair loads a PEM pair; tls.X509KeyPair checks that the key matches and fills Leaf.
func parsePair(certPEM, keyPEM []byte) (*tls.Certificate, error) {
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	return &cert, nil
}
