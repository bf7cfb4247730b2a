#!/usr/bin/env bash
# Renders the hicolor PNG icons from the scalable SVG (needs rsvg-convert: apt-get install
# librsvg2-bin). The PNGs are committed; run this after changing the SVG.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
id="io.github.vmdesk.Vmdesk"
svg="$root/assets/icons/hicolor/scalable/apps/$id.svg"
for n in 16 24 32 48 64 128 256 512; do
  dir="$root/assets/icons/hicolor/${n}x${n}/apps"
  mkdir -p "$dir"
  rsvg-convert --width "$n" --height "$n" --keep-aspect-ratio "$svg" --output "$dir/$id.png"
  echo "render-icons: ${n}x${n}/apps/$id.png"
done
