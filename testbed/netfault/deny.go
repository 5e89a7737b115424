package netfault

import (
	"bytes"
	"fmt"
	"net"
	"time"
)

// denyWithin bounds how long a connection in Unauthorized mode may take to send its
// request head.
const denyWithin = 5 * time.Second

// deny answers the first request on c as a node whose security refuses the caller's
// credentials does — 401 with Elasticsearch's security_exception body and a Basic
// challenge — and closes the connection. It never reaches the target: the node itself
// keeps serving everyone else.
func (f *Forwarder) deny(c *net.TCPConn) {
	defer f.wg.Done()
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(denyWithin))
	head := make([]byte, 0, 4096)
	buf := make([]byte, 4096)
	for !bytes.Contains(head, []byte("\r\n\r\n")) && len(head) < 64<<10 {
		n, err := c.Read(buf)
		head = append(head, buf[:n]...)
		if err != nil {
			return
		}
	}
	path := "/"
	if line, _, ok := bytes.Cut(head, []byte("\r\n")); ok {
		if parts := bytes.Fields(line); len(parts) >= 2 {
			path = string(parts[1])
		}
	}
	reason := fmt.Sprintf("unable to authenticate user [esdr] for REST request [%s]", path)
	body := fmt.Sprintf(`{"error":{"root_cause":[{"type":"security_exception","reason":%q,"header":{"WWW-Authenticate":"Basic realm=\"security\" charset=\"UTF-8\""}}],"type":"security_exception","reason":%q},"status":401}`, reason, reason)
	_, _ = fmt.Fprintf(c, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"security\" charset=\"UTF-8\"\r\n"+
		"Content-Type: application/json; charset=UTF-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
}
