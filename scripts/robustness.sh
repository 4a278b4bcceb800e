#!/usr/bin/env bash
# Robustness to imaging the generator's defaults do not show (docs/accuracy.md, "Robustness to
# imaging"): phantoms of the e2e recipe (120 x 150 mm; fine pleomorphic 8, punctate 6, coarse
# heterogeneous 7) with tissue texture exponent 2.6-3.4, detector blur 0.05-0.09 mm, noise 0.8-1.8
# and density 0.2-0.8 varied per seed, plus one normal phantom (no calcifications) per seed with the
# same imaging. Three sets: A seeds 1400-1435 and B 1500-1535 at 70 um, C 1600-1635 at 100 um.
# Set D (session 15), seeds 1700-1735 at 70 um, renders the tissue with a texture model of another
# kind, the clustered lumpy background (calcscope phantom --texture lumpy), which no model has seen.
# Analysed with --min-score 0 and scored with calcscope eval (FP/image counts the normals too);
# results go to docs/results/robustness-{A,B,C,D}.txt. About 4 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-/tmp/calcscope-robustness}
SETS=${SETS:-A B C D}                 # which sets (scripts/devsuite.sh runs A only)
RESULTS=${RESULTS:-docs/results}      # where the tables go
CS=build/release/calcscope
bash scripts/build.sh >/dev/null
source scripts/lib/e2e-recipe.sh
e2e_clusters
betas=(2.6 2.8 3.0 3.2 3.4 2.7 2.9 3.1 3.3); blurs=(0.05 0.07 0.09 0.06 0.08); noises=(0.8 1.2 1.6 1.0 1.4 1.8 0.9)
for set in A:1400:0.07:power-law B:1500:0.07:power-law C:1600:0.1:power-law D:1700:0.07:lumpy; do
  IFS=: read -r name first px texture <<<"$set"
  [[ " $SETS " == *" $name "* ]] || continue
  dir="$WORK/$name"; rm -rf "$dir"; mkdir -p "$dir"
  for i in $(seq 0 35); do
    s=$((first + i))
    img="--pixel-size $px --width-mm 120 --height-mm 150 --beta ${betas[$((i % 9))]} --blur-mm ${blurs[$((i % 5))]}"
    img="$img --noise ${noises[$((i % 7))]} --density 0.$((2 + i % 7)) --texture $texture"
    $CS phantom --output "$dir/p_$s.dcm" --seed $s $img "${E2E_CLUSTERS[@]}" >/dev/null
    $CS phantom --output "$dir/n_$s.dcm" --seed $((s + 5000)) $img --clusters 0 --benign 0 >/dev/null
  done
  $CS analyze "$dir" --min-score 0 --output "$dir/out" -q
  echo "== set $name: seeds $first-$((first + 35)) at $px mm, $texture texture, 36 cluster phantoms + 36 normals"
  $CS eval --results "$dir/out" --phantom-truth "$dir" --output "$RESULTS/robustness-$name.json" \
    | tee "$RESULTS/robustness-$name.txt"
done
