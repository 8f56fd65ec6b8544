#!/usr/bin/env bash
# Installs what ocore needs to build, run and test on Debian 12: the C libraries it links
# (ncursesw, libssh2, libcurl, sqlite3), PostgreSQL 15, OpenSSH server, tmux, xfsprogs (a reflink file
# system for the copy-on-write test), and moto (S3 test
# server). Idempotent: installs only what is missing. Runs apt-get as root, or through sudo.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: run as root or install sudo" >&2; exit 1; }
  SUDO="sudo"
fi

packages=(libncursesw5-dev libssh2-1-dev libsqlite3-dev sqlite3 zlib1g-dev unzip curl openssl libcurl4-openssl-dev pkg-config
          openssh-server openssh-client tmux postgresql-15 postgresql-client-15 python3-pip xfsprogs)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Swift toolchain is not a Debian package: it lives in /opt/swift on ocore's machines.
if ! command -v swift >/dev/null; then
  if [ -x /opt/swift/usr/bin/swift ]; then export PATH="/opt/swift/usr/bin:$PATH"; else
    echo "setup: Swift 6 is required (https://www.swift.org/install/linux/), expected on PATH or in /opt/swift" >&2
    exit 1
  fi
fi
