#!/usr/bin/env bash
# Re-fetches the vendored assets at their recorded versions and compares them byte for byte.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
check() { # package version path-in-package vendored-file
  npm pack --silent "$1@$2" >/dev/null
  tgz=$(ls -t *.tgz | head -1); mkdir -p "x$2"; tar xzf "$tgz" -C "x$2"; rm "$tgz"
  if cmp -s "x$2/package/$3" "$here/$4"; then echo "ok   $4"; else echo "DIFF $4"; exit 1; fi
}
check htmx.org 2.0.11 dist/htmx.min.js vendor/htmx-2.0.11.min.js
check @picocss/pico 2.1.1 css/pico.min.css vendor/pico-2.1.1.min.css
check swagger-ui-dist 5.35.0 swagger-ui-bundle.js vendor/swagger-ui-bundle-5.35.0.js
check swagger-ui-dist 5.35.0 swagger-ui.css vendor/swagger-ui-5.35.0.css
check tus-js-client 4.3.1 dist/tus.min.js vendor/tus-js-client-4.3.1.min.js
