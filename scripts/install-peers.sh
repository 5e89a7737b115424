#!/usr/bin/env bash
# Installs the non-Debian peers the route targets' tests run against. Today that is moto
# (the Route 53 and CloudWatch emulator) in a venv at .cache/moto; the Debian peers
# (named, etcd, haproxy) come from install-deps.sh. Idempotent: a venv whose stamp matches
# the pinned version is kept, so on a complete machine this takes well under a second.
# Called by scripts/install.sh after install-deps.sh (python3-venv must be there).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
venv=${ESDR_MOTO_DIR:-$root/.cache/moto}
# Pinned so every machine runs the same emulator; bump on purpose, with the tests.
moto_spec='moto[server]==5.2.5'

if [[ -x $venv/bin/moto_server && -f $venv/.stamp && $(cat "$venv/.stamp") == "$moto_spec" ]]; then
	exit 0
fi

echo "install-peers: installing $moto_spec into $venv"
rm -rf "$venv"
python3 -m venv "$venv"
if ! "$venv/bin/pip" install -q --disable-pip-version-check "$moto_spec"; then
	rm -rf "$venv"
	echo "install-peers: pip failed to install $moto_spec" >&2
	exit 1
fi
echo "$moto_spec" >"$venv/.stamp"
echo "install-peers: done"
