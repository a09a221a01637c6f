#!/usr/bin/env bash
# Lighthouse (npm `lighthouse`, Debian's Chromium, mobile form factor) on the storefront pages of issue 14:
# /, /verzeichnis/, an organisation page, /veranstaltungen/ and the month view, with make run's demo content.
#
# The site runs as in production — production settings, collectstatic with compressed and hashed files, served
# by WhiteNoise — on a loopback port, against the demo database of `make run` (var/crosscluster.sqlite3).
# Lighthouse is installed into var/lighthouse/ on first use (npm); nothing of it is needed to run the site.
#
#   bash bench/lighthouse.sh                 # prints a Markdown table; JSON reports in var/lighthouse/
#   MODE=dev bash bench/lighthouse.sh        # against the development server instead (DEBUG, WhiteNoise finders)
#   PORT=8799 LIGHTHOUSE_VERSION=13.5.0 CHROMIUM=/usr/bin/chromium bash bench/lighthouse.sh
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
port="${PORT:-8799}"
mode="${MODE:-production}"
version="${LIGHTHOUSE_VERSION:-13.5.0}"
chromium="${CHROMIUM:-$(command -v chromium || command -v chromium-browser)}"
out="$here/var/lighthouse"
cc="$here/.venv/bin/crosscluster"
base="http://127.0.0.1:$port"
mkdir -p "$out"

if [ ! -x "$out/node_modules/.bin/lighthouse" ]; then
  npm install --silent --no-audit --no-fund --prefix "$out" "lighthouse@$version" >/dev/null
fi

make --no-print-directory setup >/dev/null
"$cc" load-demo >/dev/null

export SITE_URL="$base" ALLOWED_HOSTS=127.0.0.1
if [ "$mode" = production ]; then
  export DJANGO_SETTINGS_MODULE=crosscluster.settings.production
  export SECRET_KEY="lighthouse-only-$(date +%s)-not-a-secret" STATIC_ROOT="$out/static"
  # Plain HTTP on loopback: no redirect to HTTPS, no HSTS, cookies without the Secure flag.
  export SECURE_SSL_REDIRECT=false SECURE_HSTS_SECONDS=0 SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false
  "$cc" collectstatic --noinput >/dev/null
fi
"$cc" runserver --noreload "127.0.0.1:$port" >"$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -fs -o /dev/null "$base/healthz" && break; sleep 0.5; done

organization="$(curl -fs "$base/verzeichnis/" | grep -o 'href="/organisationen/[a-z0-9-]*/"' | head -1 | cut -d'"' -f2)"
month="$(curl -fs "$base/veranstaltungen/" | grep -o 'href="/veranstaltungen/monat/[0-9]*/[0-9]*/' | head -1 | cut -d'"' -f2)"
pages=("/" "/verzeichnis/" "$organization" "/veranstaltungen/" "$month")

echo "| Page | Performance | Accessibility | Best practices | SEO | FCP | LCP | TBT | CLS |"
echo "|---|---|---|---|---|---|---|---|---|"
for path in "${pages[@]}"; do
  name="$(echo "$path" | tr '/' '_' | sed 's/^_*//;s/_*$//')"
  report="$out/${name:-home}.json"
  "$out/node_modules/.bin/lighthouse" "$base$path" --quiet --form-factor=mobile --output=json \
    --output-path="$report" --chrome-path="$chromium" \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu" \
    --only-categories=performance,accessibility,best-practices,seo >/dev/null 2>&1
  python3 - "$report" "$path" <<'EOF'
import json
import sys

report = json.load(open(sys.argv[1], encoding="utf-8"))
scores = [round(report["categories"][key]["score"] * 100) for key in ("performance", "accessibility", "best-practices", "seo")]
audits = report["audits"]
metrics = [audits[key]["displayValue"] for key in ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift")]
print(f"| `{sys.argv[2]}` | " + " | ".join(str(score) for score in scores) + " | " + " | ".join(metrics) + " |")
EOF
done
