#!/usr/bin/env bash
# Installs everything esdr's tests and demo need on this machine: Debian packages, the
# non-Debian peers (moto), then the test-bed engines' jars. Idempotent; on a complete
# machine it takes seconds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/install-deps.sh"
"$here/install-peers.sh"
"$here/install-engines.sh"
