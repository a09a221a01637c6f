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
for weight in Regular Medium SemiBold; do
  cp "$package/dist/fonts/fira-sans/FiraSans-$weight.woff2" "$target/fonts/"
done
echo "KERN $(node -p "require('$package/package.json').version") copied; update the version in $target/README.md."
