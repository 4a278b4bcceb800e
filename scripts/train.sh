#!/usr/bin/env bash
# Reproduces the learned models (models/*.json) and their cross-validation table from ../shared/data.
# The candidate-patch network (~12 minutes on 2 cores; with the normal INFN patches of half the cases as
# real-tissue negatives since session 28), then nested 5-fold cross-validation, MIAS patient pairs kept
# together, for the general (film) and the digital models (~8 minutes), then the patch model (~30 s), then the
# learned descriptors on 70 um phantoms (~15-25 minutes on 2 cores: 701 phantoms generated and analysed).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
if [ ! -d "$SHARED/data/mias" ]; then echo "train: $SHARED/data/mias not found (set SHARED=...)"; exit 3; fi
bash scripts/build.sh >/dev/null
# the candidate-patch network also learns real tissue from half the INFN cases (session 28)
SPECK_INFN=()
if [ -d "$SHARED/data/infn-patches" ]; then SPECK_INFN=(--speck-net-infn "$SHARED/data/infn-patches")
else echo "train: $SHARED/data/infn-patches not found: the candidate-patch network learns from phantoms only"; fi
build/release/calcscope train --mias "$SHARED/data/mias" --phantoms 240 --folds 5 --threads "$(nproc)" "${SPECK_INFN[@]}" --out models
echo "train: rebuilding to embed the new models"
bash scripts/build.sh >/dev/null
# The patch model (models/calcification-patch.json) learns from the embedded digital model's scores on
# the INFN patches and on windows of 120 training phantoms (~30 s); then its cut goes to
# kDefaultCalcificationMinScorePatch (include/calcscope/pipeline/analyze.h; a test checks it).
if [ -d "$SHARED/data/infn-patches" ]; then
  build/release/calcscope train --patches --infn "$SHARED/data/infn-patches" --threads "$(nproc)" --out models
  echo "train: rebuilding to embed the patch model"
  bash scripts/build.sh >/dev/null
else
  echo "train: $SHARED/data/infn-patches not found: the patch model is not retrained"
fi
# Learned cluster descriptors (models/descriptor.json): 70 um phantom seeds 1-300, then the held-out
# report on seeds 1000-1100 (docs/assessment.md). A few minutes on 2 cores.
build/release/calcscope train --descriptors --seeds 1-600 --eval-seeds 1000-1100 --threads "$(nproc)" --out models
echo "train: rebuilding to embed the descriptor model"
bash scripts/build.sh >/dev/null
