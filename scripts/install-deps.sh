#!/usr/bin/env bash
# Installs the Debian packages esdr's tests need. Idempotent: only missing packages are
# installed, `apt-get update` runs at most once and only when something is missing, and
# nothing is started (installs run under a policy-rc.d that forbids starting daemons).
# To add a package for a new peer, append it to the list below with the reason.
set -euo pipefail

packages=(
	curl                         # readiness probes in scripts, debugging
	procps                       # ps, pgrep for the test bed's process checks
	psmisc                       # fuser, killall-free process inspection
	maven                        # fetches the engines' jars (install-engines.sh)
	python3-venv                 # moto server (Route 53) in a venv
	haproxy                      # route: HAProxy runtime API
	bind9                        # route: RFC 2136 dynamic DNS
	bind9-dnsutils               # nsupdate, dig
	etcd-server                  # route: etcd actuator (3.4)
	prometheus                   # promtool check/test rules; scrapes esdr and the exporter in e2e
	prometheus-elasticsearch-exporter # cluster metrics for the rules in deploy/prometheus
	libsearch-elasticsearch-perl # Perl client tier
	starman                      # PSGI server for the example app
	libplack-perl                # PSGI toolkit
	chromium                     # headless page tests of the admin UI
	wrk                          # load for make bench
)
# Java 17 for the opensearch2 and es7 engines, unless a java is already there.
if ! command -v java >/dev/null 2>&1; then
	packages+=(openjdk-17-jdk-headless)
fi

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if ((${#missing[@]} == 0)); then
	exit 0
fi

sudo=()
if ((EUID != 0)); then
	sudo=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
policy=/usr/sbin/policy-rc.d
had_policy=0
if [[ -e $policy ]]; then
	had_policy=1
else
	printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
	"${sudo[@]}" chmod +x "$policy"
	trap '"${sudo[@]}" rm -f "$policy"' EXIT
fi
((had_policy)) && echo "install-deps: keeping the existing $policy"

apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300)
"${apt[@]}" update -qq
"${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
