package main

// TLS for the operator subcommands: how the CLI trusts an admin API served over https
// (admin.tls), and the client certificate it presents when the API asks for one
// (admin.tls.client_ca_file).

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/esdr/esdr/internal/admin"
	"github.com/esdr/esdr/internal/tlsfile"
)

// tlsFlags are the files the CLI verifies the admin API with and proves itself with.
type tlsFlags struct {
	caFile, certFile, keyFile string
}

// addTLSFlags registers --ca-file, --cert and --key, each defaulting to its variable.
func (o *opsFlags) addTLSFlags() {
	o.fs.StringVar(&o.tls.caFile, "ca-file", os.Getenv("ESDR_CA_FILE"), "PEM CA to verify an https admin API with, instead of the system roots (env ESDR_CA_FILE)")
	o.fs.StringVar(&o.tls.certFile, "cert", os.Getenv("ESDR_CERT"), "PEM client certificate, for an admin API with admin.tls.client_ca_file (env ESDR_CERT)")
	o.fs.StringVar(&o.tls.keyFile, "key", os.Getenv("ESDR_KEY"), "PEM private key of --cert (env ESDR_KEY)")
}

func (t tlsFlags) set() bool { return t.caFile != "" || t.certFile != "" || t.keyFile != "" }

// adminURL is --addr as every command reaches it, API calls and drill's /metrics alike:
// a bare host:port is https:// when a TLS flag is given, http:// otherwise.
func (o *opsFlags) adminURL() string {
	switch {
	case strings.Contains(o.addr, "://"):
		return o.addr
	case o.tls.set():
		return "https://" + o.addr
	}
	return "http://" + o.addr
}

// newClient is the admin API client for --addr (see adminURL) with the token, bounded
// by timeout. TLS flags with an http:// address are a mistake, reported rather than
// ignored.
func (o *opsFlags) newClient(token string, timeout time.Duration) (*admin.Client, error) {
	addr := o.adminURL()
	if o.tls.set() && strings.HasPrefix(addr, "http://") {
		return nil, fmt.Errorf("--ca-file, --cert or --key (or ESDR_CA_FILE, ESDR_CERT, ESDR_KEY) given with the http address %s, want an https:// --addr", addr)
	}
	c, err := admin.NewClient(addr, token, timeout)
	if err != nil {
		return nil, fmt.Errorf("--addr/--timeout: %s", strings.TrimPrefix(err.Error(), "admin: "))
	}
	cfg, err := o.tlsConfig()
	if err != nil {
		return nil, err
	}
	if cfg != nil {
		c.SetTLS(cfg)
	}
	return c, nil
}

// tlsConfig is what --ca-file, --cert and --key say, or nil when none is given.
func (o *opsFlags) tlsConfig() (*tls.Config, error) {
	if !o.tls.set() {
		return nil, nil
	}
	if (o.tls.certFile == "") != (o.tls.keyFile == "") {
		return nil, errors.New("--ca-file/--cert/--key: a client certificate needs both a certificate file and a key file")
	}
	cfg, err := tlsfile.Peer{CAFile: o.tls.caFile, CertFile: o.tls.certFile, KeyFile: o.tls.keyFile}.Config()
	var fe *tlsfile.FileError
	if errors.As(err, &fe) {
		// The peer's errors name configuration keys; the CLI has files given by flags.
		err = fmt.Errorf("%s: %w", cliFiles[fe.Key], fe.Err)
	}
	if err != nil {
		return nil, fmt.Errorf("--ca-file/--cert/--key: %w", err)
	}
	return cfg, nil
}

// cliFiles are tlsfile.FileError's keys as the CLI's messages say them.
var cliFiles = map[string]string{"ca_file": "CA file", "cert_file": "certificate file", "key_file": "key file"}

// tlsCause says what to do about a TLS failure reaching the admin API, or "".
func tlsCause(ue *url.Error) string {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var alert tls.AlertError
	var rec tls.RecordHeaderError
	switch {
	case errors.As(ue, &unknown):
		return "its certificate is not signed by a CA this machine trusts; give the CA with --ca-file (or ESDR_CA_FILE)"
	case errors.As(ue, &host):
		return fmt.Sprintf("its certificate is not valid for %s (%v); use in --addr a name the certificate carries", host.Host, ue.Err)
	case errors.As(ue, &invalid):
		return fmt.Sprintf("its certificate is not valid (%v)", invalid)
	case errors.As(ue, &alert) && alert == 116, strings.Contains(ue.Error(), "certificate required"):
		// 116: certificate_required (RFC 8446); TLS 1.2 servers send bad_certificate.
		return "it wants a client certificate; give --cert and --key (or ESDR_CERT and ESDR_KEY)"
	case errors.As(ue, &rec) || strings.Contains(ue.Error(), "server gave HTTP response to HTTPS client"):
		return "it does not speak TLS there; use an http:// --addr"
	}
	return ""
}
