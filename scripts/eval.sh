#!/usr/bin/env bash
# Accuracy of the committed models, with the project's own evaluation command:
#   1. held-out 70 um phantoms (seeds 2000-2019, never used for training or tuning): clusters of
#      microcalcifications (>= 5, morphologies cycling) plus scattered benign distractors;
#   2. INFN patches (assumed 0.1 mm pixels): fraction of 1/ patches with a detection, 0/ without, by
#      the image model alone (--no-patch-model); and at 0.07 mm called as the analyze contract (the
#      patch model since session 19: in-sample there, its cross-validation is models/patch-cv.txt);
#   2b. phantom patches (0.07 mm, seeds 4400-4429 / 4500-4509, scripts/lib/phantom-patches.sh), with
#      and without the patch model;
#   3. mini-MIAS with the final models (IN-SAMPLE: the models were trained on these images; the
#      honest MIAS figure is the cross-validation table in models/cv-table.txt).
# Results go to docs/results/. Needs ../shared/data (SHARED=... to override).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
OUT=docs/results
WORK=${WORK:-/tmp/calcscope-eval}
CS=build/release/calcscope
bash scripts/build.sh >/dev/null
mkdir -p "$OUT" "$WORK"

echo "== held-out phantoms, 70 um"
rm -rf "$WORK/ph70" "$WORK/infn" "$WORK/infn-all" "$WORK/infn-all07" "$WORK/infn07" && mkdir -p "$WORK/ph70"
source scripts/lib/eval-recipe.sh
make_eval_recipe "$CS" 2000 20 "$WORK/ph70"
$CS analyze "$WORK/ph70" --pixel-size 0.07 --min-score 0 --output "$WORK/ph70/out" -q
$CS eval --results "$WORK/ph70/out" --phantom-truth "$WORK/ph70" --output "$OUT/phantom70-heldout.json" \
  | tee "$OUT/phantom70-heldout.txt"

if [ -d "$SHARED/data/infn-patches" ]; then
  echo "== INFN patches (assumed pixel size 0.1 mm, default operating point), image model alone (--no-patch-model: never trained on INFN)"
  for c in 0 1; do
    $CS analyze "$SHARED/data/infn-patches/$c" --pixel-size 0.1 --whole-image --no-patch-model --output "$WORK/infn/$c" -q || true
  done
  $CS eval --patches-positive "$WORK/infn/1" --patches-negative "$WORK/infn/0" --output "$OUT/infn.json" \
    | tee "$OUT/infn.txt"
  echo "== INFN patches, image model alone, every candidate kept (--min-score 0): threshold-free ROC AUC of the best calcification score"
  for c in 0 1; do
    $CS analyze "$SHARED/data/infn-patches/$c" --pixel-size 0.1 --whole-image --no-patch-model --min-score 0 --output "$WORK/infn-all/$c" -q || true
  done
  $CS eval --patches-positive "$WORK/infn-all/1" --patches-negative "$WORK/infn-all/0" --output "$OUT/infn-all.json" \
    | grep "ROC AUC" | tee "$OUT/infn-auc.txt"
  # Since session 28 the candidate-patch network learns from the normal patches of half the INFN cases;
  # the other half (--infn-case-half 1) is the independent check of the image model.
  echo "== INFN patches of the kept-out half of the cases, image model alone, every candidate kept, at 0.1 and 0.07 mm"
  for c in 0 1; do
    $CS analyze "$SHARED/data/infn-patches/$c" --pixel-size 0.07 --whole-image --no-patch-model --min-score 0 --output "$WORK/infn-all07/$c" -q || true
  done
  { echo "-- 0.1 mm"
    $CS eval --patches-positive "$WORK/infn-all/1" --patches-negative "$WORK/infn-all/0" --infn-case-half 1 | grep -v "^  "
    echo "-- 0.07 mm"
    $CS eval --patches-positive "$WORK/infn-all07/1" --patches-negative "$WORK/infn-all07/0" --infn-case-half 1 | grep -v "^  "
  } | tee "$OUT/infn-keptout.txt"
  echo "== INFN patches at 0.07 mm as an outside harness calls analyze (no flag; the patch model, IN-SAMPLE: its cross-validation is models/patch-cv.txt)"
  for c in 0 1; do
    $CS analyze "$SHARED/data/infn-patches/$c" --pixel-size 0.07 --output "$WORK/infn07/$c" -q
  done
  $CS eval --patches-positive "$WORK/infn07/1" --patches-negative "$WORK/infn07/0" --output "$OUT/infn-070.json" \
    | tee "$OUT/infn-070.txt"
fi

echo "== phantom patches, 0.07 mm (clusters of seeds 4400-4429, tissue of normals 4500-4509; never trained on)"
source scripts/lib/phantom-patches.sh
rm -rf "$WORK/ppatch" && make_phantom_patches "$CS" 4400 4429 4500 4509 "$WORK/ppatch" >/dev/null
for mode in patch image; do
  flag=""; [ $mode = image ] && flag="--no-patch-model"
  suffix=""; [ $mode = image ] && suffix="-image-model"
  for ms in default 0; do
    extra=""; [ $ms = 0 ] && extra="--min-score 0"
    for c in 0 1; do
      $CS analyze "$WORK/ppatch/$c" --pixel-size 0.07 $flag $extra --output "$WORK/ppatch/out-$mode-$ms/$c" -q
    done
  done
  echo "-- $mode model${flag:+ ($flag)}, default operating point"
  $CS eval --patches-positive "$WORK/ppatch/out-$mode-default/1" --patches-negative "$WORK/ppatch/out-$mode-default/0" \
    --output "$OUT/phantom-patches$suffix.json" | tee "$OUT/phantom-patches$suffix.txt"
  echo "-- $mode model, every candidate kept: threshold-free ROC AUC"
  $CS eval --patches-positive "$WORK/ppatch/out-$mode-0/1" --patches-negative "$WORK/ppatch/out-$mode-0/0" \
    | grep "ROC AUC" | tee -a "$OUT/phantom-patches$suffix.txt"
done

if [ -d "$SHARED/data/mias" ]; then
  echo "== mini-MIAS with the final models (in-sample, see models/cv-table.txt for cross-validation)"
  $CS analyze "$SHARED"/data/mias/*.png --pixel-size 0.2 --min-score 0 --output "$WORK/mias" -q
  $CS eval --results "$WORK/mias" --mias-truth "$SHARED/data/mias/truth.txt" --output "$OUT/mias-insample.json" \
    | tee "$OUT/mias-insample.txt"
fi
