#!/usr/bin/env bash
# Installs everything esdr's tests and demo need on this machine: Debian packages, the
# non-Debian peers (moto), the test-bed engines' jars, then the Go tools (staticcheck).
# Idempotent; on a complete machine it takes seconds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/install-deps.sh"
"$here/install-peers.sh"
"$here/install-engines.sh"
"$here/install-tools.sh"
