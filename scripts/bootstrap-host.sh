#!/usr/bin/env bash
# Idempotent host setup for the README's commands: Debian packages the sandbox, tests
# and demo need, then the project's virtualenv with the dev, speech and emotion extras.
set -euo pipefail
cd "$(dirname "$0")/.."

# buildah, podman and runc build and run the Docker image in tests/image (no Docker
# engine, no registry: scripts/image-smoke.sh); chromium (and a CJK font) runs the
# browser tests of the desk and wallboard; baresip is the real SIP phone (agents, callers,
# a carrier's customer) of tests/integration/test_real_phones.py; postgresql is the shared
# store of several engines (tests start their own server as the postgres user).
packages=(debootstrap redis-server espeak-ng sox openssl ca-certificates python3-venv
  buildah podman runc chromium fonts-wqy-microhei baresip postgresql)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi
# The distribution's redis-server service is not used: tests start their own (and their
# own PostgreSQL on another port; a postgresql service already running is left alone).
if command -v systemctl > /dev/null && systemctl is-active -q redis-server 2>/dev/null; then
  systemctl stop redis-server || true
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "installing the Python environment (.venv)"
  log=$(mktemp)
  if ! { .venv/bin/pip install -q --upgrade pip && .venv/bin/pip install -q -e '.[dev,speech,emotion]'; } > "$log" 2>&1; then
    cat "$log" >&2
    exit 1
  fi
  rm -f "$log"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
