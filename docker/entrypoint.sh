#!/bin/bash
# The container's entrypoint: renders the Asterisk configuration from the engine's
# settings (ENGINE_* variables or ENGINE_CONFIG: the secrets come from the environment,
# never from the image) with the sandbox's own installer, starts Asterisk, waits until
# it is fully booted, then runs the engine. If either process exits, so does the
# container (and the orchestrator restarts it); SIGTERM stops both cleanly.
# Only this supervisor stays root (to render /etc/asterisk and hand out the folders):
# Asterisk runs as Debian's asterisk user, the engine as the unprivileged tenure user.
set -euo pipefail
cd /opt/tenure
.venv/bin/python -m engine.sandbox.render /etc/asterisk /usr/share/asterisk/sounds/tenure
chgrp -R asterisk /etc/asterisk /usr/share/asterisk/sounds/tenure
# The engine rewrites the trunk files when skills/trunks.yaml changes, then reloads PJSIP.
chown tenure:asterisk /etc/asterisk/pjsip_trunks.conf /etc/asterisk/extensions_trunks.conf
mkdir -p /var/run/asterisk /var/log/asterisk /var/spool/asterisk /var/lib/asterisk /var/lib/tenure
chown -R asterisk:asterisk /var/run/asterisk /var/log/asterisk /var/spool/asterisk /var/lib/asterisk
# The data volume may come from an older image that ran the engine as root.
chown -R tenure:tenure /var/lib/tenure

asterisk -f -U asterisk -G asterisk &
asterisk_pid=$!
for _ in $(seq 120); do
  if asterisk -rx "core waitfullybooted" 2>/dev/null | grep -q "fully booted"; then break; fi
  if ! kill -0 "$asterisk_pid" 2>/dev/null; then
    echo "entrypoint: Asterisk exited during boot" >&2
    tail -n 30 /var/log/asterisk/messages.log >&2 || true
    exit 1
  fi
  sleep 0.5
done

HOME=/var/lib/tenure setpriv --reuid=tenure --regid=tenure --init-groups --inh-caps=-all \
  .venv/bin/python -m engine run &
engine_pid=$!

stop() {
  kill -TERM "$engine_pid" 2>/dev/null || true
  wait "$engine_pid" 2>/dev/null || true
  asterisk -rx "core stop gracefully" > /dev/null 2>&1 || kill -TERM "$asterisk_pid" 2>/dev/null || true
  wait "$asterisk_pid" 2>/dev/null || true
}
trap 'stop; exit 143' TERM INT

status=0
wait -n "$asterisk_pid" "$engine_pid" || status=$?
echo "entrypoint: a process exited (status $status); stopping the other" >&2
stop
exit "$status"
