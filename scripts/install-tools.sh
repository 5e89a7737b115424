#!/usr/bin/env bash
# Installs the Go tools `make test` runs besides the compiler (staticcheck) into the
# project-local .cache/bin, from the Go module proxy at pinned versions. Idempotent: a tool
# already at its pinned version is left alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.cache/bin"
mkdir -p "$bin"

# staticcheck 2026.2.2 (v0.8.2) is built for Go 1.26, the version go.mod names.
staticcheck_version=v0.8.2

if [[ -x $bin/staticcheck ]] && "$bin/staticcheck" -version 2>/dev/null | grep -qF "(${staticcheck_version#v})"; then
	exit 0
fi
echo "install-tools: installing staticcheck $staticcheck_version into $bin"
GOBIN="$bin" go install "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version"
