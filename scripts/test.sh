#!/usr/bin/env bash
# Builds ocore and runs the whole test suite: unit, integration and TUI tests. The tests start
# every service they need themselves (a throwaway PostgreSQL 15 cluster, OpenSSH servers on
# 127.0.0.2 and 127.0.0.3, moto_server for S3, tmux) and stop them when they finish.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup-debian.sh
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"

# moto's S3 server with signature checking and pyftpdlib's FTP/FTPS server, from PyPI (not Debian packages).
if ! command -v moto_server >/dev/null || ! python3 -c 'import boto3, flask, pyftpdlib, OpenSSL' 2>/dev/null; then
  echo "test: installing moto[server], pyftpdlib and pyopenssl from PyPI"
  python3 -m pip install --quiet 'moto[server]' pyftpdlib pyopenssl || python3 -m pip install --quiet --break-system-packages 'moto[server]' pyftpdlib pyopenssl
fi

swift build --build-tests
swift test --skip-build "$@"
