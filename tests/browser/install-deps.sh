#!/usr/bin/env bash
# Installs what the browser tests need: Debian's Chromium and axe-core (npm registry).
# Without them the browser tests are skipped with a visible reason, except under CI=true, where they fail.
set -u
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "browser-deps: installing Debian's chromium"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "browser-deps: chromium could not be installed" >&2
  else
    echo "browser-deps: chromium is missing and cannot be installed here (not root); browser tests will be skipped" >&2
  fi
fi

if [ ! -f node_modules/axe-core/axe.min.js ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "browser-deps: installing axe-core from the npm registry"
    npm ci --silent --no-audit --no-fund || echo "browser-deps: npm could not install axe-core" >&2
  else
    echo "browser-deps: npm is missing; accessibility checks will be skipped" >&2
  fi
fi
exit 0
