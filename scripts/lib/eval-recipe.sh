# Sourced by scripts/eval.sh and scripts/devsuite.sh: the held-out phantom recipe (180 x 230 mm at
# 70 um, two microcalcification clusters per image, morphologies cycling, 5 benign distractors).
# make_eval_recipe CS FIRST_SEED COUNT DIR writes DIR/ph<seed>.png + truth for COUNT seeds.
make_eval_recipe() {
  local cs=$1 first=$2 count=$3 dir=$4
  local morph=(punctate fine_pleomorphic fine_linear_branching coarse_heterogeneous amorphous round)
  local i seed m1 m2 d2
  for i in $(seq 0 $((count - 1))); do
    seed=$((first + i))
    m1=${morph[$((i % 6))]}; m2=${morph[$(((i + 3) % 6))]}
    d2=$([ $((i % 2)) -eq 0 ] && echo grouped || echo linear)
    "$cs" phantom --output "$dir/ph$seed.png" --seed $seed --pixel-size 0.07 --width-mm 180 --height-mm 230 \
      --density 0.$((2 + i % 7)) --benign 5 \
      --cluster "morphology=$m1,distribution=grouped,count=$((5 + i % 8))" \
      --cluster "morphology=$m2,distribution=$d2,count=$((6 + i % 6))" >/dev/null
  done
}
