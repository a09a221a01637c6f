#!/usr/bin/env bash
# Installs what the browser tests need: Debian's Chromium and axe-core (npm registry), and ical.js (npm
# registry), the second calendar client of tests/events/test_exports.py (run with the machine's node).
# Without them those tests are skipped with a visible reason, except under CI=true, where they fail.
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

if [ ! -f node_modules/axe-core/axe.min.js ] || [ ! -f node_modules/ical.js/package.json ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "browser-deps: installing axe-core and ical.js from the npm registry"
    npm ci --silent --no-audit --no-fund || echo "browser-deps: npm could not install axe-core and ical.js" >&2
  else
    echo "browser-deps: npm is missing; accessibility checks and the ical.js checks will be skipped" >&2
  fi
fi
exit 0
