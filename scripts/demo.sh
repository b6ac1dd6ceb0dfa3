#!/usr/bin/env bash
# The engine with a demo: the sandbox Asterisk, a private Redis, the engine, and
# simulated callers and agents. Prints every call's progress and a summary.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/demo.sh needs root (debootstrap and chroot for the sandbox Asterisk)" >&2
  exit 2
fi
bash scripts/bootstrap-host.sh

config=var/demo.toml
if [ ! -f "$config" ]; then
  mkdir -p var
  umask 077
  cat > "$config" <<TOML
# Written by scripts/demo.sh with fresh random secrets; delete it to get new ones.
ari_password = "$(openssl rand -hex 16)"
ami_secret = "$(openssl rand -hex 16)"
api_token = "$(openssl rand -hex 24)"
log_level = "warning"
log_format = "console"
TOML
fi
# speech IVR and live transcripts need the Mandarin model (SHA-256 verified, cached)
.venv/bin/python -m engine --config "$config" models fetch
exec .venv/bin/python -m engine --config "$config" demo "$@"
