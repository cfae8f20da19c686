#!/usr/bin/env bash
# Re-fetches the vendored assets at their recorded versions and compares them byte for byte.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
check() { # package version path-in-package vendored-file
  dir="x$(echo "$1" | tr '/@' '__')-$2" # each package version is fetched once
  if [ ! -d "$dir" ]; then
    npm pack --silent "$1@$2" >/dev/null
    tgz=$(ls -t *.tgz | head -1); mkdir -p "$dir"; tar xzf "$tgz" -C "$dir"; rm "$tgz"
  fi
  if cmp -s "$dir/package/$3" "$here/$4"; then echo "ok   $4"; else echo "DIFF $4"; exit 1; fi
}
check htmx.org 2.0.11 dist/htmx.min.js vendor/htmx-2.0.11.min.js
check @picocss/pico 2.1.1 css/pico.min.css vendor/pico-2.1.1.min.css
check swagger-ui-dist 5.35.0 swagger-ui-bundle.js vendor/swagger-ui-bundle-5.35.0.js
check swagger-ui-dist 5.35.0 swagger-ui.css vendor/swagger-ui-5.35.0.css
check tus-js-client 4.3.1 dist/tus.min.js vendor/tus-js-client-4.3.1.min.js
# The icons: every vendored file, compared with the same package version.
for f in "$here"/icons/lucide/*.svg; do check lucide-static 1.62.0 "icons/$(basename "$f")" "icons/lucide/$(basename "$f")"; done
check lucide-static 1.62.0 LICENSE icons/lucide/LICENSE.txt
for f in "$here"/icons/simple-icons/*.svg; do check simple-icons 16.37.0 "icons/$(basename "$f")" "icons/simple-icons/$(basename "$f")"; done
check simple-icons 16.37.0 LICENSE.md icons/simple-icons/LICENSE.txt
