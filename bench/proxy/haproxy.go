package main

// haproxyConfig is the HAProxy the proxy benchmark compares with: one backend server,
// keep-alive on both sides and server connections reused across clients.
const haproxyConfig = `global
    maxconn 4096
defaults
    mode http
    option http-keep-alive
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 60s
frontend fe
    bind %s
    default_backend es
backend es
    http-reuse always
    server node1 %s
`
