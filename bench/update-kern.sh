#!/usr/bin/env bash
# Re-vendor KERN UX (@kern-ux/native) into src/crosscluster/core/static/core/kern/. Developer tool: needs npm once;
# the site itself never fetches anything. Usage: bash bench/update-kern.sh [VERSION]
set -euo pipefail
version="${1:-latest}"
here="$(cd "$(dirname "$0")/.." && pwd)"
target="$here/src/crosscluster/core/static/core/kern"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@kern-ux/native@$version" >/dev/null && tar xzf ./*.tgz)
package="$work/package"
cp "$package/dist/kern.min.css" "$target/kern.min.css"
# Pre-compressed for WhiteNoise in development (production's collectstatic compresses everything itself).
gzip -9 -k -n -f "$target/kern.min.css"
cp "$package/LICENSE.md" "$target/LICENSE.md"
# Fira Sans cut to Latin (Basic, Latin-1, Extended-A), punctuation and the euro sign: about 23 KB a weight
# instead of 130 KB (the Cyrillic and Greek glyphs are never shown here). The OFL allows the subset.
python3 -m venv "$work/venv" && "$work/venv/bin/pip" install --quiet fonttools brotli
unicodes="U+0000-00FF,U+0100-017F,U+0218-021B,U+02BB-02BC,U+02C6,U+02DA,U+02DC,U+0304,U+0308,U+0329,U+1E9E,U+2000-206F,U+20AC,U+2122,U+2191,U+2193,U+2212,U+2215,U+FEFF,U+FFFD"
for weight in Regular Medium SemiBold; do
  "$work/venv/bin/pyftsubset" "$package/dist/fonts/fira-sans/FiraSans-$weight.woff2" --unicodes="$unicodes" \
    --name-IDs='*' --layout-features='kern,liga,calt,ccmp,locl,mark,mkmk,tnum,lnum' --flavor=woff2 \
    --output-file="$target/fonts/FiraSans-$weight.woff2"
done
echo "KERN $(node -p "require('$package/package.json').version") copied; update the version in $target/README.md."
