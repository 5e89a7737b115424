package proxy

import (
	"errors"
	"io"
	"net/http"
)

// respond sends the node's response to the client: its status and headers, the part
// already read, then the rest as it arrives. A non-nil error means the node's body broke
// off after the client had started receiving it.
func (p *Proxy) respond(w http.ResponseWriter, pl *pool, res *result) (int, error) {
	resp := res.resp
	h := w.Header()
	copyResponseHeader(h, resp.Header, pl.cluster, pl.epochText)
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
