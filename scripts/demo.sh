#!/usr/bin/env bash
# The demo: generates a synthetic mammogram with known clusters (calcscope phantom),
# analyses it (calcscope analyze) and says where the outputs are.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
OUT=demo-output
mkdir -p "$OUT"
CS=build/release/calcscope
$CS phantom --output "$OUT/demo.dcm" --truth "$OUT/demo.truth.json" --seed 7 \
  --width-mm 180 --height-mm 230 --pixel-size 0.1 --clusters 3 --laterality L --view CC
$CS analyze "$OUT/demo.dcm" --output "$OUT" --overlay --report html,patient,sr
echo
echo "demo: outputs in $OUT/:"
ls -1 "$OUT"
