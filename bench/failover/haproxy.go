package main

import (
	"fmt"
	"strings"
)

// anchorConfig is HAProxy configured as the anchor esdr is compared with: the primary's
// nodes as servers, the standby as a backup server, health checks on /_cluster/health.
// X-Esdr-Cluster names the cluster that answered, as esdr's proxy does, so that the same
// client measures both.
const anchorConfig = `global
    maxconn 4096
defaults
    mode http
    option http-keep-alive
    timeout connect 1s
    timeout client 30s
    timeout server 5s
    retries 3
    option redispatch
frontend fe
    bind %s
    default_backend es
backend es
    balance roundrobin
    option httpchk GET /_cluster/health
    default-server inter 2s fall 3 rise 2
    http-response set-header X-Esdr-Cluster standby if { srv_name standby }
    http-response set-header X-Esdr-Cluster primary unless { srv_name standby }
%s    server standby %s check backup
`

// haproxyConfigFor renders anchorConfig for the primary's node addresses and the standby's node.
func haproxyConfigFor(listen string, primary []string, standby string) string {
	var servers strings.Builder
	for i, u := range primary {
		fmt.Fprintf(&servers, "    server primary%d %s check\n", i+1, strings.TrimPrefix(u, "http://"))
	}
	return fmt.Sprintf(anchorConfig, listen, servers.String(), strings.TrimPrefix(standby, "http://"))
}
