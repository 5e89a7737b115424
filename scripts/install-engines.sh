#!/usr/bin/env bash
# Fetches the Maven jars of each test-bed engine into .cache/engines/<engine>/ from the tiny
# pom in testbed/engines/<engine>/pom.xml. Idempotent: an engine whose stamp matches its pom
# is skipped. Usage: scripts/install-engines.sh [engine...]   (default: every engine)
# Required engines fail the script; optional ones (opensearch3) only warn.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${ESDR_ENGINES_DIR:-$root/.cache/engines}
required=(opensearch2 es7)
optional=(opensearch3)

fetch() { # fetch ENGINE
	local engine=$1 pom=$root/testbed/engines/$1/pom.xml dir=$cache/$1
	local sum
	sum=$(sha256sum "$pom" | cut -d' ' -f1)
	if [[ -f $dir/.stamp && $(cat "$dir/.stamp") == "$sum" ]]; then
		return 0
	fi
	echo "install-engines: fetching $engine jars into $dir"
	rm -rf "$dir"
	mkdir -p "$dir"
	if ! mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies -DoutputDirectory="$dir"; then
		rm -rf "$dir"
		echo "install-engines: $engine: maven failed" >&2
		return 1
	fi
	echo "$sum" >"$dir/.stamp"
}

if (($# > 0)); then
	for e in "$@"; do fetch "$e"; done
	exit 0
fi
for e in "${required[@]}"; do fetch "$e"; done
for e in "${optional[@]}"; do
	fetch "$e" || echo "install-engines: optional engine $e not installed" >&2
done
