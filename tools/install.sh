#!/usr/bin/env bash
# Installs the non-Python tools the tests use. Each step says what it skipped and why;
# the tests that need a missing tool skip with that reason.
set -u
here="$(cd "$(dirname "$0")" && pwd)"

if command -v npm >/dev/null 2>&1; then
  for tool in cypher-lint browser; do
    dir="$here/$tool"
    if [ -f "$dir/package-lock.json" ] && [ ! -d "$dir/node_modules" ]; then
      echo "tools: npm ci in tools/$tool"
      npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null 2>&1 \
        || echo "tools: npm ci failed in tools/$tool; its tests will skip"
    fi
  done
else
  echo "tools: npm not found; the Cypher check and browser tests will skip"
fi

if ! command -v chromium >/dev/null 2>&1 && [ -f "$here/browser/package.json" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "tools: installing Debian's chromium for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
      >/dev/null) || echo "tools: chromium could not be installed; browser tests will skip"
  else
    echo "tools: chromium missing and cannot be installed here (needs root + apt-get)"
  fi
fi
exit 0
