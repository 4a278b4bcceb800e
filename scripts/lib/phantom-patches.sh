# shellcheck shell=bash
# Sourced by scripts that need the phantom patch set: 60 x 60 8-bit patches cut from synthetic
# mammograms, positives centred on inserted microcalcification clusters, negatives all tissue.
#
# make_phantom_patches CS POS_FIRST POS_LAST NEG_FIRST NEG_LAST DIR [NEG_COUNT]
#   CS                 the calcscope binary
#   POS_FIRST..LAST    seeds of the cluster phantoms  (the reference set: 4400..4429 -> 90 positives)
#   NEG_FIRST..LAST    seeds of the normal phantoms   (the reference set: 4500..4509 -> 460 negatives)
#   DIR                writes DIR/src (phantoms + truth), DIR/1 (positives), DIR/0 (negatives);
#                      those three subdirectories are emptied first so no stale patch survives
#   NEG_COUNT          negatives to keep (default 460)
#
# Recipe (all phantoms 120 x 150 mm at 70 um, i.e. 1714 x 2143 px, 16-bit PNG):
#   positives: the e2e cluster recipe (tests/e2e/phantom_detection_test.cpp, kClusterRecipe):
#              density 0.5 and three clusters, fine pleomorphic grouped (8 x 0.35 mm over 8 mm),
#              punctate grouped (6 x 0.3 mm over 6 mm), coarse heterogeneous linear (7 x 0.6 mm over
#              12 mm); `cut-patches clusters` cuts one window centred on each truth cluster
#              (<stem>_c<k>.png; a window leaving the image is skipped with a message).
#   negatives: normal phantoms (--clusters 0 --benign 0); `cut-patches tissue` keeps the evenly
#              spaced NEG_COUNT of all non-overlapping tiles whose darkest pixel is >= 0.25 x the
#              image's 99th percentile (<stem>_<row>_<col>.png).
#   8 bits:    one linear scale per image (value * 255 / 65535 for these 16-bit phantoms), no
#              per-patch stretching, so patch brightness is comparable across the set.
# Same seeds, same calcscope phantom generator -> byte-identical PNGs.
make_phantom_patches() {
  local cs=$1 pos_first=$2 pos_last=$3 neg_first=$4 neg_last=$5 dir=$6 neg_count=${7:-460}
  local geometry=(--pixel-size 0.07 --width-mm 120 --height-mm 150)
  local s negatives=()
  rm -rf "${dir:?}/src" "$dir/1" "$dir/0"
  mkdir -p "$dir/src" "$dir/1" "$dir/0" || return
  # 1. positives: three clusters per phantom, one window per truth cluster
  for s in $(seq "$pos_first" "$pos_last"); do
    "$cs" phantom --output "$dir/src/ph$s.png" --seed "$s" "${geometry[@]}" --density 0.5 \
      --cluster morphology=fine_pleomorphic,distribution=grouped,count=8,diameter=0.35,extent=8 \
      --cluster morphology=punctate,distribution=grouped,count=6,diameter=0.3,extent=6 \
      --cluster morphology=coarse_heterogeneous,distribution=linear,count=7,diameter=0.6,extent=12 \
      >/dev/null || return
    "$cs" cut-patches clusters "$dir/src/ph$s.png" --truth "$dir/src/ph$s.truth.json" --output "$dir/1" || return
  done
  # 2. negatives: normal phantoms, no clusters, no benign calcifications
  for s in $(seq "$neg_first" "$neg_last"); do
    "$cs" phantom --output "$dir/src/n$s.png" --seed "$s" "${geometry[@]}" --clusters 0 --benign 0 \
      >/dev/null || return
    negatives+=("$dir/src/n$s.png")
  done
  "$cs" cut-patches tissue "${negatives[@]}" --count "$neg_count" --output "$dir/0" || return
  echo "phantom patches in $dir: positives $(find "$dir/1" -name '*.png' | wc -l), negatives $(find "$dir/0" -name '*.png' | wc -l)"
}
