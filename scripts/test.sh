#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need (Debian
# packages, the Python environment, the sandbox Asterisk's root filesystem, the Mandarin
# speech model), checks lint, format and types (ruff check, ruff format --check, mypy),
# then runs pytest. Integration tests start the sandbox Asterisk and a private
# redis-server themselves; tests/image builds docker/Dockerfile and runs the image with
# buildah and podman (scripts/image-smoke.sh). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/test.sh needs root (apt-get, debootstrap and chroot for the sandbox Asterisk)" >&2
  exit 2
fi

echo "== host packages and Python environment"
bash scripts/bootstrap-host.sh

echo "== lint (ruff check), format (ruff format --check), types (mypy)"
# All three run so one pass shows every problem (at most 30 lines each, then the last
# line: the count); any failure stops here, before pytest.
checks=0
check() {
  local out lines
  if ! out=$("$@" 2>&1); then
    lines=$(printf '%s\n' "$out" | wc -l)
    printf '%s\n' "$out" | head -n 30
    [ "$lines" -le 30 ] || printf '... %s more lines; last: %s\n' "$((lines - 30))" \
      "$(printf '%s\n' "$out" | tail -n 1)"
    checks=1
  fi
}
check .venv/bin/ruff check --quiet --output-format concise engine tests benchmarks
check .venv/bin/ruff format --check --quiet --output-format concise engine tests benchmarks
check .venv/bin/mypy --no-pretty
if [ $checks -ne 0 ]; then
  echo "lint, format or type check failed (fix the lines above; \`ruff format\` rewrites the files)" >&2
  exit 1
fi

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
