#!/bin/sh
# Installs Asterisk (Debian sid's Asterisk 22 LTS) inside a Debian sid system.
# The ONE install script: docker/Dockerfile runs it in the image, and the sandbox
# (python -m engine sandbox build) runs it inside its debootstrap chroot.
set -eu
export DEBIAN_FRONTEND=noninteractive
# sid's Release files are short-lived; mirrors that lag (or snapshot mirrors) serve
# expired ones, which apt refuses by default. The packages are still signature-checked.
apt-get -o Acquire::Check-Valid-Until=false update -qq
apt-get install -y -qq --no-install-recommends \
  asterisk asterisk-modules asterisk-core-sounds-en-gsm asterisk-moh-opsound-gsm \
  ca-certificates > /dev/null
apt-get clean
rm -rf /var/lib/apt/lists/*
mkdir -p /var/run/asterisk /var/log/asterisk /var/spool/asterisk /usr/share/asterisk/sounds/tenure
asterisk -V
