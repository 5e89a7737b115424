package proxy

import (
	"errors"
	"io"
	"net/http"
)

// headerValuer is a ResponseWriter that keeps an array for its header's values from one
// answer to the next (the own server's).
type headerValuer interface {
	headerValues(n int) []string
}

// respond sends the node's response to the client: its status and headers, the part
// already read, then the rest as it arrives. A non-nil error means the node's body broke
// off after the client had started receiving it.
func (p *Proxy) respond(w http.ResponseWriter, pl *pool, res *result) (int, error) {
	resp := res.resp
	h := w.Header()
	n := valueCount(resp.Header) + 2
	var vals []string
	if hv, ok := w.(headerValuer); ok {
		vals = hv.headerValues(n)
	} else {
		vals = make([]string, n)
	}
	copyResponseHeader(h, resp.Header, pl.cluster, pl.epochText, vals)
	w.WriteHeader(resp.StatusCode)
	if len(res.first) > 0 {
		if _, err := w.Write(res.first); err != nil {
			return resp.StatusCode, nil // the client went away
		}
	}
	if res.eof {
		return resp.StatusCode, nil
	}
	rc := http.NewResponseController(w)
	flush := resp.ContentLength < 0
	buf := res.first[:cap(res.first)]
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return resp.StatusCode, nil
			}
			if flush {
				_ = rc.Flush()
			}
		}
		if errors.Is(err, io.EOF) {
			return resp.StatusCode, nil
		}
		if err != nil {
			return resp.StatusCode, err
		}
	}
}
