#!/usr/bin/env bash
# Installs the operator console's third-party files from the lockfile (npm ci) and copies the ones the console loads
# into app/vendor/, which the server build copies next to its binary. Nothing is fetched at run time.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error
mkdir -p app/vendor
cp node_modules/chart.js/dist/chart.umd.min.js app/vendor/chart.umd.min.js
cp node_modules/chart.js/LICENSE.md app/vendor/chart.js.LICENSE.md
