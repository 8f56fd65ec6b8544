#!/usr/bin/env bash
# Builds ocore and runs `ocore demo`: a private PostgreSQL 15 cluster with an Odoo-17-shaped
# production database, staging and development, a local backup storage, then the dashboard.
# Extra arguments go to `ocore demo` (e.g. --scale medium, --no-tui, --stop, --home DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup-debian.sh
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
swift build -c release --product ocore
exec .build/release/ocore demo "$@"
