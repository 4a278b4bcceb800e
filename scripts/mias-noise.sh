#!/usr/bin/env bash
# How much of the MIAS cross-validation figure is the training draw? Re-runs the nested patient-pair
# cross-validation of `calcscope train` (as scripts/train.sh does) with trivial perturbations of the
# training (a tree more or less in the calcification model, a few training phantoms more or fewer) and
# prints the MIAS cluster-level figures of each draw with their mean and standard deviation.
# Nothing is written to models/. About 3-4 minutes per draw on 2 cores (6 draws: ~20 minutes).
# Usage: bash scripts/mias-noise.sh [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
if [ ! -d "$SHARED/data/mias" ]; then echo "mias-noise: $SHARED/data/mias not found (set SHARED=...)"; exit 3; fi
WORK=${1:-$(mktemp -d /tmp/calcscope-mias-noise.XXXXXX)}
mkdir -p "$WORK"
bash scripts/build.sh >/dev/null
CS=build/release/calcscope
draws=("committed settings:" "--calc-trees 99" "--calc-trees 101" "--calc-trees 102" "--phantoms 236" "--phantoms 244")
printf '%-20s %-13s %-40s %s\n' "draw" "partial area" "sensitivity at 0.1/0.25/0.5/1/2 FP/image" "image AUC"
areas=()
for d in "${draws[@]}"; do
  name=$(echo "$d" | tr -cd 'a-z0-9')
  args=(--mias "$SHARED/data/mias" --phantoms 240 --folds 5 --threads "$(nproc)" --out "$WORK/$name")
  case "$d" in
    --phantoms*) args[3]=${d#--phantoms } ;;
    --*) read -r -a extra <<<"$d"; args+=("${extra[@]}") ;;
  esac
  "$CS" train "${args[@]}" >"$WORK/$name.log" 2>&1
  table="$WORK/$name/cv-table.txt"
  # the MIAS table is the first one in cv-table.txt
  mias=$(awk '/^== MIAS/{on=1} on && /^== training/{exit} on' "$table")
  sens=$(echo "$mias" | awk '$1 ~ /^[0-9.]+$/ && NF >= 5 {printf "%s%s", sep, $2; sep=" / "}')
  area=$(echo "$mias" | awk '/partial area/ {print $NF; exit}')
  auc=$(echo "$mias" | awk '/ROC AUC/ {for (i = 1; i <= NF; ++i) if ($i == "AUC") {print $(i + 1); exit}}')
  printf '%-20s %-13s %-40s %s\n' "$d" "$area" "$sens" "$auc"
  areas+=("$area")
done
printf '%s\n' "${areas[@]}" | awk '{s += $1; q += $1 * $1; n++} END {m = s / n; printf "partial area over %d draws: mean %.3f, sd %.3f\n", n, m, sqrt((q - n * m * m) / (n - 1))}'
echo "work files: $WORK"
