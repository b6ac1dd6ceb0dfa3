#!/bin/sh
# Renders the Asterisk configuration from the engine's settings (ENGINE_* variables:
# the secrets come from the environment, never from the image), starts Asterisk, then
# runs the engine in the foreground. If either process exits, the container stops.
set -eu
cd /opt/tenure
.venv/bin/python -m engine.sandbox.render /etc/asterisk /usr/share/asterisk/sounds/tenure
asterisk -f &
asterisk_pid=$!
.venv/bin/python -m engine run &
engine_pid=$!
trap 'kill -TERM $engine_pid $asterisk_pid 2>/dev/null' TERM INT
wait -n $asterisk_pid $engine_pid 2>/dev/null || wait $engine_pid
kill -TERM $engine_pid $asterisk_pid 2>/dev/null || true
wait
