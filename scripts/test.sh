#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need (Debian
# packages, the Python environment, the sandbox Asterisk's root filesystem, the Mandarin
# speech model), then runs pytest. Integration tests start the sandbox Asterisk and a
# private redis-server themselves. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/test.sh needs root (apt-get, debootstrap and chroot for the sandbox Asterisk)" >&2
  exit 2
fi

echo "== host packages and Python environment"
bash scripts/bootstrap-host.sh

echo "== sandbox Asterisk root filesystem (cached after the first build)"
.venv/bin/python -m engine sandbox build

echo "== Mandarin speech model (verified by SHA-256, cached outside the repository)"
.venv/bin/python -m engine models fetch

echo "== tests"
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
# pytest exits 5 when nothing was collected: that is a failure here, not a pass.
exit $status
