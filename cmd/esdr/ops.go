package main

// The operator subcommands: thin shells over the admin API client that turn flags into
// one call and the answer (or the failure) into something a person on call can act on.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/esdr/esdr/internal/admin"
)

const (
	defaultAdminAddr = "http://127.0.0.1:9310"
	maxTokenFile     = 4 << 10
	maxEventLimit    = 1000 // the server's bound; checked here to fail before the call
)

func init() {
	commands["status"] = command{"show the active cluster, every cluster's health and the last decision", runStatus}
	commands["events"] = command{"show the event history (decisions, refusals, verdict changes)", runEvents}
	commands["switchover"] = command{"move traffic to another cluster (planned)", runSwitchover}
	commands["pause"] = command{"enter maintenance: keep observing, never act", opCommand("pause", (*admin.Client).Pause)}
	commands["resume"] = command{"leave maintenance", opCommand("resume", (*admin.Client).Resume)}
	commands["ack"] = command{"acknowledge the last automatic transition and lift the hold-down", opCommand("ack", (*admin.Client).Ack)}
}

// opsFlags are the flags every operator subcommand shares.
type opsFlags struct {
	fs        *flag.FlagSet
	addr      string
	token     string
	tokenFile string
	json      bool
	timeout   time.Duration
	tls       tlsFlags
}

func newOpsFlags(name, synopsis string, stderr io.Writer) *opsFlags {
	o := &opsFlags{fs: flag.NewFlagSet("esdr "+name, flag.ContinueOnError)}
	o.fs.SetOutput(stderr)
	o.fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: esdr %s [flags]\n\n%s\n\nflags:\n", strings.TrimSpace(name+" "+synopsis), commands[name].summary)
		o.fs.PrintDefaults()
	}
	addr := os.Getenv("ESDR_ADDR")
	if addr == "" {
		addr = defaultAdminAddr
	}
	o.fs.StringVar(&o.addr, "addr", addr, "admin API URL; a bare host:port is http://, or https:// with --ca-file, --cert or --key (env ESDR_ADDR)")
	// No default shown for the token: a usage message must never print a secret.
	o.fs.StringVar(&o.token, "token", "", "admin token, or the read token for reads (default env ESDR_ADMIN_TOKEN, else ESDR_READ_TOKEN; prefer the env or --token-file, a flag shows in ps)")
	o.fs.StringVar(&o.tokenFile, "token-file", "", "read the admin token (or the read token) from this file")
	o.fs.BoolVar(&o.json, "json", false, "print the API's JSON instead of text")
	o.fs.DurationVar(&o.timeout, "timeout", 5*time.Second, "give up on the admin API after this long")
	o.addTLSFlags()
	return o
}

// parse parses args and builds the client. It returns a non-negative exit code when the
// command must stop here (-h, or bad flags: exitUsage).
func (o *opsFlags) parse(args []string, stderr io.Writer) (*admin.Client, int) {
	if err := o.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, exitOK
		}
		return nil, exitUsage
	}
	name := strings.TrimPrefix(o.fs.Name(), "esdr ")
	if o.fs.NArg() > 0 {
		fmt.Fprintf(stderr, "esdr %s: unexpected argument %q; run 'esdr %s -h'\n", name, o.fs.Arg(0), name)
		return nil, exitUsage
	}
	token, err := o.resolveToken()
	if err != nil {
		fmt.Fprintf(stderr, "esdr %s: %v\n", name, err)
		return nil, exitUsage
	}
	c, err := o.newClient(token, o.timeout)
	if err != nil {
		fmt.Fprintf(stderr, "esdr %s: %v\n", name, err)
		return nil, exitUsage
	}
	c.By = operator()
	return c, -1
}

// resolveToken picks the token: --token, else --token-file, else ESDR_ADMIN_TOKEN, else
// ESDR_READ_TOKEN (which reads, when esdr has admin.read_token, but runs no command).
func (o *opsFlags) resolveToken() (string, error) {
	switch {
	case o.token != "" && o.tokenFile != "":
		return "", errors.New("--token and --token-file: give one, not both")
	case o.token != "":
		return o.token, nil
	case o.tokenFile != "":
		f, err := os.Open(o.tokenFile)
		if err != nil {
			return "", fmt.Errorf("--token-file: %w", err)
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
		if err != nil {
			return "", fmt.Errorf("--token-file %s: %w", o.tokenFile, err)
		}
		tok := strings.TrimSpace(string(b))
		if len(b) > maxTokenFile || tok == "" || strings.ContainsAny(tok, "\r\n") {
			return "", fmt.Errorf("--token-file %s: want one line holding the admin token", o.tokenFile)
		}
		return tok, nil
	}
	if tok := os.Getenv("ESDR_ADMIN_TOKEN"); tok != "" {
		return tok, nil
	}
	return os.Getenv("ESDR_READ_TOKEN"), nil
}

// call bounds one API call by --timeout, on top of the client's own bound.
func (o *opsFlags) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, o.timeout)
}

// longCall is a client and a context bounded by --timeout plus a minute, for calls that
// esdr bounds itself and that can take longer (targets verifying what they did, counts
// compared with retries). Call it after parse, which has checked the token.
func (o *opsFlags) longCall(ctx context.Context) (*admin.Client, context.Context, context.CancelFunc, error) {
	token, _ := o.resolveToken()
	c, err := o.newClient(token, o.timeout+time.Minute)
	if err != nil {
		return nil, nil, nil, err
	}
	c.By = operator()
	ctx, cancel := context.WithTimeout(ctx, o.timeout+time.Minute)
	return c, ctx, cancel, nil
}

// operator names who runs the CLI, for the event log: user@host when known.
func operator() string {
	u := os.Getenv("USER")
	if u == "" {
		u = "unknown"
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return u + "@" + h
	}
	return u
}

// fail prints one line saying what went wrong and what to do next, and returns exitFail.
func (o *opsFlags) fail(stderr io.Writer, err error) int {
	var ae *admin.Error
	var ue *url.Error
	switch {
	case errors.As(err, &ae) && ae.Status == 401:
		fmt.Fprintf(stderr, "esdr: the admin API at %s rejected the token (%s); check --token, --token-file, ESDR_ADMIN_TOKEN or ESDR_READ_TOKEN\n", o.addr, ae.Message)
	case errors.As(err, &ae) && ae.Code == "forbidden":
		fmt.Fprintf(stderr, "esdr: %s: the token given is esdr's read token, which runs no command; give the admin token (--token, --token-file or ESDR_ADMIN_TOKEN)\n", ae.Op)
	case errors.As(err, &ae) && ae.Status == 503:
		fmt.Fprintf(stderr, "esdr: %s: esdr could not answer: %s; check esdr's log\n", ae.Op, ae.Message)
	case errors.As(err, &ae):
		fmt.Fprintf(stderr, "esdr: %s\n", strings.TrimPrefix(ae.Error(), "admin: "))
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "esdr: cannot reach the admin API at %s: %s; is esdr run started, and is --addr right?\n", o.addr, o.cause(ue))
	default:
		fmt.Fprintf(stderr, "esdr: %s\n", strings.TrimPrefix(err.Error(), "admin: "))
	}
	return exitFail
}

// cause is the short reason a transport error happened, without the URL repeated.
func (o *opsFlags) cause(ue *url.Error) string {
	var dns *net.DNSError
	var ne net.Error
	switch {
	case errors.Is(ue, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(ue, context.DeadlineExceeded) || (errors.As(ue, &ne) && ne.Timeout()):
		return fmt.Sprintf("no answer within %s (raise --timeout if esdr is just slow)", o.timeout)
	case errors.As(ue, &dns):
		return dns.Error()
	}
	if c := tlsCause(ue); c != "" {
		return c
	}
	return ue.Err.Error()
}
