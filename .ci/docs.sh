#!/usr/bin/env bash
# Docs: build the site with mkdocs --strict (the build draws the plot gallery from CDNOW and
# bundles KaTeX from npm; see docs/hooks/build_assets.py), then open every page in headless
# Chromium and fail on unrendered math, a broken image or resource, or a console message.
# Needs the [docs] and [plot] extras, npm, and Debian's chromium (installed here if missing).
# Usage: bash .ci/docs.sh [SCREENSHOT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq chromium
fi
site_dir=$(mktemp -d)
trap 'rm -rf "$site_dir"' EXIT
echo "+ mkdocs build --strict"
NO_MKDOCS_2_WARNING=1 mkdocs build --strict --site-dir "$site_dir"
echo "+ python docs/check_site.py"
python docs/check_site.py "$site_dir" ${1:+--screenshots "$1"}
