package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/esdr/esdr/internal/audit"
	"github.com/esdr/esdr/internal/config"
	"github.com/esdr/esdr/internal/esclient"
)

func init() {
	commands["audit"] = command{
		summary: "check node config files, a live cluster and primary/standby parity for DR readiness",
		run:     runAudit,
	}
}

// listFlag is a repeatable flag; each use may also hold a comma-separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// auditFlags are the parsed flags of `esdr audit`.
type auditFlags struct {
	files, urls, primary, standby listFlag
	format, failOn, user, passEnv string
	caFile, configPath            string
	insecure, listRules           bool
	timeout                       time.Duration
}

func parseAuditFlags(args []string, stderr io.Writer) (*auditFlags, error) {
	f := &auditFlags{}
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&f.files, "file", "a node's elasticsearch.yml or opensearch.yml; repeat, one per node of one cluster")
	fs.Var(&f.urls, "url", "a node URL of the cluster to audit live; repeat for more nodes")
	fs.Var(&f.primary, "primary", "a node URL of the primary cluster (with --standby: parity)")
	fs.Var(&f.standby, "standby", "a node URL of the standby cluster")
	fs.StringVar(&f.configPath, "c", "", "esdr configuration: its first cluster is the primary, its second the standby")
	fs.StringVar(&f.format, "format", "text", "report format: text or json")
	fs.StringVar(&f.failOn, "fail-on", "error", "exit 1 when a finding has this severity or higher: error, warning or info")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Second, "bound of each request to a node")
	fs.StringVar(&f.user, "user", "", "basic auth user for --url/--primary/--standby")
	fs.StringVar(&f.passEnv, "password-env", "", "name of the environment variable holding the password")
	fs.StringVar(&f.caFile, "ca-file", "", "PEM bundle to verify https nodes")
	fs.BoolVar(&f.insecure, "insecure", false, "do not verify TLS certificates (test beds only)")
	fs.BoolVar(&f.listRules, "list-rules", false, "print the rule catalogue as Markdown and exit")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case f.format != "text" && f.format != "json":
		return nil, fmt.Errorf("--format %q: want text or json", f.format)
	case f.timeout <= 0:
		return nil, errors.New("--timeout: want a positive duration such as 10s")
	case (len(f.primary) > 0) != (len(f.standby) > 0):
		return nil, errors.New("--primary and --standby go together")
	case f.configPath != "" && len(f.primary) > 0:
		return nil, errors.New("-c names the primary and standby already; drop --primary/--standby")
	case !f.listRules && len(f.files)+len(f.urls)+len(f.primary) == 0 && f.configPath == "":
		return nil, errors.New("nothing to audit: give --file, --url, --primary with --standby, or -c")
	}
	if _, err := audit.ParseSeverity(f.failOn); err != nil {
		return nil, fmt.Errorf("--fail-on %q: want error, warning or info", f.failOn)
	}
	return f, nil
}

// runAudit exits 0 when no finding reaches --fail-on, 1 when one does, and 2 on usage
// errors or when clusters were named and none answered.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f, err := parseAuditFlags(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "esdr audit: %v\n", err)
			fmt.Fprintln(stderr, "usage: esdr audit [--file F]... [--url U]... [--primary U --standby U | -c esdr.yaml] [--format text|json] [--fail-on error|warning|info]")
		}
		return exitUsage
	}
	if f.listRules {
		fmt.Fprint(stdout, audit.Markdown())
		return exitOK
	}
	opts, err := f.auditOptions()
	if err != nil {
		fmt.Fprintf(stderr, "esdr audit: %v\n", err)
		return exitUsage
	}
	rep := audit.Run(ctx, opts)
	if f.format == "json" {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "esdr audit: writing the report: %v\n", err)
		return exitFail
	}
	failOn, _ := audit.ParseSeverity(f.failOn)
	switch {
	case !rep.Reached:
		fmt.Fprintln(stderr, "esdr audit: no cluster could be reached")
		return exitUsage
	case rep.AtLeast(failOn) > 0:
		return exitFail
	}
	return exitOK
}

// auditOptions turns the flags (and the esdr configuration, with -c) into audit options.
func (f *auditFlags) auditOptions() (audit.Options, error) {
	opts := audit.Options{Files: f.files, Env: os.LookupEnv, Now: time.Now()}
	eo := esclient.Options{Username: f.user, Timeout: f.timeout, CAFile: f.caFile, InsecureSkipVerify: f.insecure}
	if f.passEnv != "" {
		pw, ok := os.LookupEnv(f.passEnv)
		if !ok {
			return opts, fmt.Errorf("--password-env %s: the variable is not set", f.passEnv)
		}
		eo.Password = pw
	}
	for _, fl := range []struct {
		name string
		urls []string
	}{{"url", f.urls}, {"primary", f.primary}, {"standby", f.standby}} {
		if err := checkNodeFlags(fl.name, fl.urls); err != nil {
			return opts, err
		}
	}
	if len(f.urls) > 0 {
		opts.Cluster = &audit.Target{Name: "cluster " + strings.Join(f.urls, ","), URLs: f.urls, Options: eo}
	}
	if len(f.primary) > 0 {
		opts.Primary = &audit.Target{Name: "primary " + strings.Join(f.primary, ","), URLs: f.primary, Options: eo}
		opts.Standby = &audit.Target{Name: "standby " + strings.Join(f.standby, ","), URLs: f.standby, Options: eo}
	}
	if f.configPath != "" {
		cfg, err := config.LoadForAudit(f.configPath)
		if err != nil {
			return opts, err
		}
		target := func(role string, cl config.ClusterConfig) *audit.Target {
			return &audit.Target{Name: role + " " + cl.Name, URLs: cl.Nodes, Options: cl.ClientOptions(f.timeout)}
		}
		opts.Primary, opts.Standby = target("primary", cfg.Clusters[0]), target("standby", cfg.Clusters[1])
	}
	return opts, nil
}

// checkNodeFlags refuses a node URL esdr cannot use before anything is sent, and one
// that carries credentials before it is printed in the report.
func checkNodeFlags(flagName string, urls []string) error {
	for _, u := range urls {
		if _, err := esclient.ParseNode(u); err != nil {
			msg := strings.TrimPrefix(err.Error(), "esclient: ")
			if strings.Contains(msg, "credentials") {
				msg = strings.Replace(msg, "put credentials in the options, not the URL", "give credentials with --user and --password-env, not in the URL", 1)
			}
			return fmt.Errorf("--%s: %s", flagName, msg)
		}
	}
	return nil
}
