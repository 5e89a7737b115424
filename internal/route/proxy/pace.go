package proxy

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"
)

// Client-side timeouts, shared by both servers. net/http's Server only offers bounds on
// a whole request (ReadTimeout, WriteTimeout), which would cut a legitimate 500 MB _bulk
// over a slow link; what is wanted is to cut a client that stops taking part. So:
//
//   - Reading a request body: each read may wait body_timeout for a byte, and over the
//     time spent waiting for the client the body must average min_body_rate bytes a
//     second after a first body_timeout of grace (Apache's mod_reqtimeout MinRate and
//     Kestrel's MinRequestBodyDataRate work the same way). Time the proxy spends not
//     reading (the node taking the bytes slowly) does not count against the client.
//     Inactivity alone would let a client trickling a byte every few seconds hold its
//     place for ever.
//   - Writing an answer: each write to the client may wait write_timeout. Writes are at
//     most 32 KiB, so a client that reads nothing, or a byte now and then, is cut once
//     the kernel's buffers are full.

// Labels of esdr_proxy_client_timeouts_total: what the client stopped doing.
const (
	timeoutBody   = "body"   // sending its request body
	timeoutAnswer = "answer" // reading its answer
)

// bodyPace decides each read's deadline for one request body. Not safe for concurrent
// use: the body reader that holds it serializes its reads.
type bodyPace struct {
	timeout time.Duration
	rate    int64         // bytes a second; 0: no rate rule
	waited  time.Duration // time spent in reads waiting for the client
	got     int64
	// slow: the body fell below the rate. The next read that needs the connection
	// fails as a stall; what is buffered already is still read.
	slow bool
}

func newBodyPace(cfg Config) bodyPace {
	return bodyPace{timeout: cfg.BodyTimeout, rate: max(cfg.MinBodyRate, 0)}
}

// deadline is the read deadline for a read starting at now: body_timeout ahead, or in
// the past once the body is too slow, so that both servers see the same error as for a
// client that stopped (a read failed on its deadline). Checking the rate after each
// read, rather than shortening the deadline to the budget left, keeps every deadline
// body_timeout away from a read that may end the body: net/http's background read of
// the connection starts inside that read, and must not fail on a deadline about to pass.
func (p *bodyPace) deadline(now time.Time) time.Time {
	if p.slow {
		return time.Unix(1, 0)
	}
	return now.Add(p.timeout)
}

// account records a read that started at start, ended at end and got n bytes.
func (p *bodyPace) account(start, end time.Time, n int) {
	p.waited += end.Sub(start)
	p.got += int64(n)
	if p.rate > 0 {
		earned := time.Duration(float64(p.got) / float64(p.rate) * float64(time.Second))
		p.slow = p.slow || p.waited > p.timeout+earned
	}
}

// deadlineHit reports a read or write that failed on its deadline.
func deadlineHit(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// stallError is the answer to a request whose body stopped arriving: 408, as nginx and
// Apache answer. The node got a request cut short of its framing (Content-Length or the
// last chunk) and its connection closed, so it applied nothing.
func stallError(cfg Config) *esError {
	why := fmt.Sprintf("no byte for proxy.body_timeout (%s)", cfg.BodyTimeout)
	if cfg.MinBodyRate > 0 {
		why += fmt.Sprintf(" or slower than proxy.min_body_rate (%d bytes a second)", cfg.MinBodyRate)
	}
	return newESError(http.StatusRequestTimeout, typeClientTimeout,
		"the request body stopped arriving ("+why+"): the request was cut before any node received it whole, nothing was applied")
}
