// Command testbed starts and breaks local Elasticsearch/OpenSearch clusters for esdr's
// tests and demos: `testbed up`, `status`, `kill`, `pause`, `resume`, `start`, `down`,
// and `forward`, `partition`, `heal`, `unforward` for a network partition of a cluster
// from the clients that reach it through a forwarder. Nodes and forwarders run detached
// and outlive the command; their pids and ports are kept in testbed.json in the state
// folder (--dir, $ESDR_TESTBED_DIR, else .testbed at the repository root).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/esdr/esdr/testbed"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // the operation failed
	exitUsage = 2 // bad input: flags, engine, node count, port, cluster or node name
)

const usage = `usage: testbed COMMAND [flags]
  up      --cluster NAME --engine ENGINE --nodes N [--http-port P --transport-port P]
  status  [--cluster NAME]
  kill    --cluster NAME [--node NODE]
  pause   --cluster NAME [--node NODE]
  resume  --cluster NAME [--node NODE]
  start   --cluster NAME [--node NODE]
  down    [--cluster NAME]
  forward   --cluster NAME   a detached forwarder in front of every node's HTTP port
  partition --cluster NAME   the forwarder drops all traffic silently
  heal      --cluster NAME   the forwarder passes traffic again
  unforward --cluster NAME   stop the forwarder
every command takes --dir DIR (default $ESDR_TESTBED_DIR, else .testbed at the repo root)`

func main() { os.Exit(run()) }

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runArgs(ctx, os.Args[1:], os.Stdout, os.Stderr)
}

// usageError is bad input: reported on one line, exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// options are the flags of every command; each command says which it needs.
type options struct {
	dir, cluster, engine, node string
	nodes, httpPort, tport     int
}

func runArgs(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, usage)
		return exitUsage
	}
	if args[0] == forwarderCmd {
		return report(runForwarder(ctx, args[1:]), stderr)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "testbed: unknown command %q (want up, status, kill, pause, resume, start, down, forward, partition, heal, unforward)\n", args[0])
		return exitUsage
	}
	var o options
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.dir, "dir", defaultDir(), "state folder")
	fs.StringVar(&o.cluster, "cluster", "", "cluster name")
	fs.StringVar(&o.engine, "engine", "", "engine: "+testbed.EngineNames())
	fs.StringVar(&o.node, "node", "", "node name")
	fs.IntVar(&o.nodes, "nodes", testbed.DefaultNodes, "number of nodes")
	fs.IntVar(&o.httpPort, "http-port", 0, "first node's HTTP port (0: free)")
	fs.IntVar(&o.tport, "transport-port", 0, "first node's transport port (0: free)")
	if err := fs.Parse(args[1:]); err != nil {
		fmt.Fprintf(stderr, "testbed %s: %v\n", args[0], err)
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "testbed %s: unexpected argument %q\n", args[0], fs.Arg(0))
		return exitUsage
	}
	return report(cmd(ctx, o, stdout), stderr)
}

// report prints a command's error and returns its exit code.
func report(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return exitOK
	case isUsage(err):
		fmt.Fprintln(stderr, firstLine(err.Error()))
		return exitUsage
	default:
		fmt.Fprintln(stderr, err)
		return exitFail
	}
}

// isUsage tells bad input from a failed operation.
func isUsage(err error) bool {
	var u usageError
	return errors.As(err, &u) || errors.Is(err, testbed.ErrUnknownEngine) ||
		errors.Is(err, testbed.ErrPortInUse) || errors.Is(err, testbed.ErrBadSpec)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// defaultDir is $ESDR_TESTBED_DIR, else .testbed at the repository root, else ./.testbed.
func defaultDir() string {
	if d := os.Getenv("ESDR_TESTBED_DIR"); d != "" {
		return d
	}
	if root, err := testbed.RepoRoot(); err == nil {
		return filepath.Join(root, ".testbed")
	}
	return ".testbed"
}
