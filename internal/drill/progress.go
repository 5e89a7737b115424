package drill

import (
	"net/http"
	"sync"
)

// Counter is an http.RoundTripper for Load.Client that counts answers as they happen, so
// that a drill can show progress while Load.Run is still collecting its samples.
type Counter struct {
	Next http.RoundTripper

	mu  sync.Mutex
	cur Tally
}

// Tally is what the load saw so far.
type Tally struct {
	OK, Failed int
	// Serving is cluster@epoch of the latest successful answer, from the proxy's headers.
	Serving string
}

// RoundTrip forwards to Next (http.DefaultTransport when nil) and counts the outcome.
func (c *Counter) RoundTrip(r *http.Request) (*http.Response, error) {
	next := c.Next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(r)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil || resp.StatusCode < 200 || resp.StatusCode > 299 {
		c.cur.Failed++
		return resp, err
	}
	c.cur.OK++
	if cl := resp.Header.Get("X-Esdr-Cluster"); cl != "" {
		c.cur.Serving = cl + "@" + resp.Header.Get("X-Esdr-Epoch")
	}
	return resp, err
}

// Take returns the counts since the previous Take and who serves now.
func (c *Counter) Take() Tally {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.cur
	c.cur = Tally{Serving: t.Serving}
	return t
}

// httpTransport is how the drill reaches esdr's listeners: http.DefaultTransport, or a
// copy verifying with d.TLS.
func (d *Drill) httpTransport() http.RoundTripper {
	if d.TLS == nil {
		return http.DefaultTransport
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = d.TLS
	return tr
}
