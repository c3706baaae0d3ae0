#!/bin/sh
# Installs the Debian 12 packages that building, the demo and every test need.
set -eu
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PACKAGES="build-essential cmake pkg-config libunwind-dev uthash-dev python3 \
  nginx-light redis-server redis-tools memcached wrk strace ltrace clang libclang-rt-14-dev liburing-dev chromium \
  fonts-dejavu-core dnsmasq-base bind9-dnsutils vsftpd apache2-bin apache2-utils \
  scdoc mandoc man-db bash-completion"
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# node and npm run the real consumers of the Chrome export; a machine may have them from elsewhere.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
  echo "installing:$missing"
  $SUDO apt-get update -qq
  # Debian starts a service when its package is installed; the tests start their own servers.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
