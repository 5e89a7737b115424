#!/usr/bin/env bash
# Installs the non-Debian peers the route targets' tests run against: moto (the Route 53,
# CloudWatch and ELB emulator) in a venv at .cache/moto, cfn-lint in the same venv (it
# validates deploy/aws/*.yaml), and the AWS Lambda Runtime Interface Emulator in
# .cache/bin (the Lambda's tests run bootstrap under it). The Debian peers (named, etcd,
# haproxy) come from install-deps.sh. Idempotent: what is there at the pinned version is
# kept, so on a complete machine this takes well under a second.
# Called by scripts/install.sh after install-deps.sh (python3-venv must be there).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
venv=${ESDR_MOTO_DIR:-$root/.cache/moto}
# Pinned so every machine runs the same emulator; bump on purpose, with the tests.
moto_spec='moto[server]==5.2.5'

# cfn-lint comes with moto[server]; installed on its own only if a moto release drops it.
cfn_lint_spec='cfn-lint>=1,<2'
rie_module=github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie
rie_version=v0.0.0-20261030222936-bef5c4ba774d
bin=$root/.cache/bin

# A venv is bound to its path (its scripts' #! lines name its python) and to the python
# it was made from: the stamp records both the spec and the path, and the interpreter must
# still run, so a venv copied from another checkout or left by a removed python is rebuilt.
stamp="$moto_spec $venv"
if ! [[ -x $venv/bin/moto_server && -f $venv/.stamp && $(cat "$venv/.stamp") == "$stamp" ]] ||
	! "$venv/bin/python3" -c '' 2>/dev/null; then
	echo "install-peers: installing $moto_spec into $venv"
	rm -rf "$venv"
	python3 -m venv "$venv"
	if ! "$venv/bin/pip" install -q --disable-pip-version-check "$moto_spec"; then
		rm -rf "$venv"
		echo "install-peers: pip failed to install $moto_spec" >&2
		exit 1
	fi
	echo "$stamp" >"$venv/.stamp"
fi

if ! [[ -x $venv/bin/cfn-lint ]]; then
	echo "install-peers: installing $cfn_lint_spec into $venv"
	"$venv/bin/pip" install -q --disable-pip-version-check "$cfn_lint_spec"
fi

if ! [[ -x $bin/aws-lambda-rie && -f $bin/.aws-lambda-rie.stamp && $(cat "$bin/.aws-lambda-rie.stamp") == "$rie_version" ]]; then
	echo "install-peers: building aws-lambda-rie@$rie_version into $bin"
	mkdir -p "$bin"
	GOBIN=$bin go install "$rie_module@$rie_version"
	echo "$rie_version" >"$bin/.aws-lambda-rie.stamp"
fi
