package haproxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// maxReply bounds what esdr reads from one runtime API answer; show servers state for
// a backend of a few hundred servers is well under it.
const maxReply = 1 << 20

// Admin-state bits of srv_admin_state (HAProxy's SRV_ADMF_*). FMAINT and FDRAIN are the
// ones the runtime API's "set server state" sets; the others come from the config,
// DNS resolution or a tracked server, and still keep traffic away.
const (
	admFMaint = 0x01
	admIMaint = 0x02
	admFDrain = 0x08
	admIDrain = 0x10
	admRMaint = 0x20
	// admAway is every bit that keeps new traffic off a server.
	admAway = admFMaint | admIMaint | admFDrain | admIDrain | admRMaint
)

// runtime speaks HAProxy's runtime API in its non-interactive mode: one command per
// connection, the answer ends when HAProxy closes the connection.
type runtime struct {
	network, address string
	timeout          time.Duration
}

// exec sends cmd and returns the answer, bounded in size and by ctx and r.timeout.
func (r runtime) exec(ctx context.Context, cmd string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, r.network, r.address)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := io.WriteString(conn, cmd+"\n"); err != nil {
		return "", err
	}
	out, err := io.ReadAll(io.LimitReader(conn, maxReply+1))
	if err != nil {
		return "", err
	}
	if len(out) > maxReply {
		return "", fmt.Errorf("answer to %q larger than %d bytes", cmd, maxReply)
	}
	return string(out), nil
}

// command runs a command whose success is an empty answer; anything else is HAProxy's
// error message ("No such server.", "Permission denied").
func (r runtime) command(ctx context.Context, cmd string) error {
	out, err := r.exec(ctx, cmd)
	if err != nil {
		return err
	}
	if msg := strings.TrimSpace(out); msg != "" {
		return fmt.Errorf("%q: %s", cmd, firstLine(msg))
	}
	return nil
}

// serverStates runs "show servers state BACKEND" and returns srv_admin_state by server
// name. Columns are found by the header line, not by position, because HAProxy appends
// columns between versions.
func (r runtime) serverStates(ctx context.Context, backend string) (map[string]int, error) {
	out, err := r.exec(ctx, "show servers state "+backend)
	if err != nil {
		return nil, err
	}
	return parseServerStates(out)
}

func parseServerStates(out string) (map[string]int, error) {
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), maxReply)
	nameCol, admCol := -1, -1
	states := map[string]int{}
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line == "1": // the format version line
		case strings.HasPrefix(line, "# "):
			for i, col := range strings.Fields(line[2:]) {
				switch col {
				case "srv_name":
					nameCol = i
				case "srv_admin_state":
					admCol = i
				}
			}
		case nameCol < 0 || admCol < 0:
			return nil, errors.New(firstLine(out)) // "Can't find backend."
		default:
			f := strings.Fields(line)
			if len(f) <= max(nameCol, admCol) {
				return nil, fmt.Errorf("short line in show servers state: %q", line)
			}
			adm, err := strconv.Atoi(f[admCol])
			if err != nil {
				return nil, fmt.Errorf("srv_admin_state %q of %s: %w", f[admCol], f[nameCol], err)
			}
			states[f[nameCol]] = adm
		}
	}
	if nameCol < 0 || admCol < 0 {
		return nil, fmt.Errorf("no header in show servers state: %q", firstLine(out))
	}
	return states, sc.Err()
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
