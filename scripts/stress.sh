#!/usr/bin/env bash
# Where the detector stops working: one imaging or lesion parameter pushed beyond the ranges the
# models were trained on, the others at the generator's defaults (docs/accuracy.md §2c).
# Each level: 12 phantoms of the e2e recipe (120 x 150 mm, 70 um, density 0.5; fine pleomorphic 8,
# punctate 6, coarse heterogeneous 7: 36 clusters) and 12 normal phantoms with the same imaging,
# seeds 4820-4831 (normals + 5000). Analysed twice: at the default operating point (clusters found,
# false clusters per image over all 24 images) and with --min-score 0 (calcscope eval: partial FROC
# area and sensitivity at 0.25 FP/image, normals included). The training ranges: noise 0.7-1.8,
# blur 0.04-0.10 mm, texture exponent 2.5-3.5 (varied-imaging phantoms, models/README.md); density
# 0.2-0.8; cluster contrast 1 (the generator's physics).
# Usage: bash scripts/stress.sh [AXIS...]   (axes: noise contrast blur beta density; default all)
# About 10 minutes on 2 cores for all axes. Table to stdout and $RESULTS/stress.txt (RESULTS defaults to
# docs/results; a run of some axes writes stress-<axes>.txt instead).
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-/tmp/calcscope-stress}
CS=build/release/calcscope
bash scripts/build.sh >/dev/null
source scripts/lib/e2e-recipe.sh
AXES=${*:-noise contrast blur beta density}
declare -A LEVELS=([noise]="0.5 1 1.5 2 2.5 3" [contrast]="0.5 0.7 1 1.5 3" [blur]="0 0.03 0.06 0.1 0.15"
                   [beta]="2 2.5 3 3.5 4" [density]="0.1 0.5 0.9")
for axis in $AXES; do
  [[ -n "${LEVELS[$axis]:-}" ]] || { echo "stress.sh: unknown axis '$axis' (noise contrast blur beta density)" >&2; exit 2; }
done
RESULTS=${RESULTS:-docs/results}
mkdir -p "$WORK" "$RESULTS"
out="$RESULTS/stress.txt"                             # all axes: the table of docs/accuracy.md §2c
[[ $# -eq 0 ]] || out="$RESULTS/stress-${AXES// /-}.txt"  # some axes: a file of their own
printf '%-9s %-6s %-24s %-22s %-26s %-12s %s\n' axis level "found at the default cut" "fine pleo / punct / coarse" \
  "false clusters per image" "partial area" "sensitivity at 0.25 FP/image" | tee "$out"
for axis in $AXES; do
  for level in ${LEVELS[$axis]}; do
    dir="$WORK/$axis-$level"; rm -rf "$dir"; mkdir -p "$dir"
    img="--pixel-size 0.07 --width-mm 120 --height-mm 150" k=1 dens=0.5
    case $axis in
      noise) img="$img --noise $level" ;;
      blur) img="$img --blur-mm $level" ;;
      beta) img="$img --beta $level" ;;
      density) dens=$level ;;
      contrast) k=$level ;;
    esac
    e2e_clusters "$k"
    for s in $(seq 4820 4831); do
      $CS phantom --output "$dir/p_$s.dcm" --seed $s $img --density $dens "${E2E_CLUSTERS[@]}" >/dev/null
      $CS phantom --output "$dir/n_$s.dcm" --seed $((s + 5000)) $img --density $dens --clusters 0 --benign 0 >/dev/null
    done
    $CS analyze "$dir" --output "$dir/cut" -q
    $CS analyze "$dir" --min-score 0 --output "$dir/all" -q
    # "all candidates" of a default-cut run = what the default operating point reports
    $CS eval --results "$dir/cut" --phantom-truth "$dir" --bootstrap 0 > "$dir/cut.txt"
    $CS eval --results "$dir/all" --phantom-truth "$dir" --bootstrap 0 > "$dir/all.txt"
    at_cut=$(grep -m1 "all candidates" "$dir/cut.txt")
    sens=$(sed -E 's/.*sensitivity ([0-9.]+) at ([0-9.]+) FP.*/\1/' <<<"$at_cut")
    fp=$(sed -E 's/.*sensitivity ([0-9.]+) at ([0-9.]+) FP.*/\2/' <<<"$at_cut")
    found=$(awk -v s="$sens" 'BEGIN { printf "%d / 36", s * 36 + 0.5 }')
    area=$(grep -m1 "partial area" "$dir/all.txt" | sed -E 's/.*: ([0-9.]+).*/\1/')
    s025=$(grep -m1 -E "^  0\.25 " "$dir/all.txt" | awk '{print $2}')
    morph() { grep -m1 -E "^    $1 " "$dir/cut.txt" | awk '{print $3}'; }
    by="$(morph fine_pleomorphic) / $(morph punctate) / $(morph coarse_heterogeneous)"
    printf '%-9s %-6s %-24s %-22s %-26s %-12s %s\n' "$axis" "$level" "$found" "$by" "$fp" "$area" "$s025" | tee -a "$out"
  done
done
