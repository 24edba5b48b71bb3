#!/usr/bin/env bash
# Refreshes the three screenshots the README shows (docs/screenshots/) from the ones the
# browser test `interop::browser_pages` leaves in target/screenshots/ (it never writes under
# docs/ itself, so running the tests leaves the working tree clean).
#
# Usage: scripts/update-screenshots.sh [--run]
#   --run  first run the browser test (needs what the interop tier needs: README, "Test tiers")
# Reads the target folder of CARGO_TARGET_DIR, else target/. Exits 1 when a screenshot is
# missing, naming it.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$repo/target}"
case "${1:-}" in
    --run)
        (cd "$repo" && cargo nextest run -p tessera --test api --profile interop \
            -E 'test(=interop::browser_pages::every_page_fits_both_widths_and_renders_chinese)')
        ;;
    "") ;;
    *) echo "usage: $0 [--run]" >&2; exit 2 ;;
esac
shots="$target/screenshots"
mkdir -p "$repo/docs/screenshots"
for name in workbench permissions consent; do
    from="$shots/$name-1280.png"
    if [ ! -s "$from" ]; then
        echo "update-screenshots: $from is missing; run the browser test first (or pass --run)" >&2
        exit 1
    fi
    cp "$from" "$repo/docs/screenshots/$name.png"
    echo "docs/screenshots/$name.png <- ${from#"$repo/"}"
done
