#!/usr/bin/env bash
# Development suite: the data a detector change is judged on before the held-out sets are run
# (docs/evaluation.md). Session 10 found that gains of 0.01-0.02 in the training cross-validation's
# partial area did not carry to independent phantoms; this suite gives a second, independent-of-
# training opinion on development data only. Never the held-out seeds 2000-2019 or robustness B/C.
#   1. 80 phantoms of the held-out recipe, seeds 2600-2679 (160 clusters): cluster and
#      calcification FROC (calcscope eval, --min-score 0);
#   2. robustness set A (seeds 1400-1435, 70 um, varied imaging, 36 normals): cluster FROC;
#   3. the e2e test's recipes on many seeds at the default operating point: clusters found
#      (seeds 1103-1214, 70 + 100 um) and false clusters per normal image (3200-3219; full size 3100-3109).
# About 8 minutes on 2 cores. Tables go to $WORK (default /tmp/calcscope-devsuite), not to docs/.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-/tmp/calcscope-devsuite}
CS=build/release/calcscope
bash scripts/build.sh >/dev/null
rm -rf "$WORK" && mkdir -p "$WORK/dev"
summary() { grep -E "^  (0\.|1\.|2\.)|partial area" "$1" | sed 's/^/  /'; }

echo "== 1. development phantoms of the held-out recipe, seeds 2600-2679"
source scripts/lib/eval-recipe.sh
make_eval_recipe "$CS" 2600 80 "$WORK/dev"
$CS analyze "$WORK/dev" --pixel-size 0.07 --min-score 0 --output "$WORK/dev/out" -q
$CS eval --results "$WORK/dev/out" --phantom-truth "$WORK/dev" --output "$WORK/dev.json" > "$WORK/dev.txt"
summary "$WORK/dev.txt"

echo "== 2. robustness set A (development)"
SETS=A RESULTS="$WORK" WORK="$WORK/robustness" bash scripts/robustness.sh > "$WORK/robustness.log"
summary "$WORK/robustness-A.txt" | head -6

echo "== 3. e2e recipes, default operating point"
CALCSCOPE_E2E_SEEDS=1103-1214 CALCSCOPE_E2E_NORMAL_SEEDS=3200-3219 CALCSCOPE_E2E_FULL_NORMAL_SEEDS=3100-3109 \
  build/release/tests/test_e2e --gtest_filter='PhantomDetection.ManySeeds' > "$WORK/e2e.log"
grep -E "^(clusters|normals|full-size)" "$WORK/e2e.log" | sed 's/^/  /'
echo "tables and logs in $WORK/"
