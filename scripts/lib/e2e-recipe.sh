# Sourced by scripts/robustness.sh and scripts/stress.sh: the three clusters of the e2e test's recipe
# (kClusterRecipe in tests/e2e/phantom_detection_test.cpp; a test there checks that the two agree):
# fine pleomorphic 8 (0.35 mm, 8 mm), punctate 6 (0.3 mm, 6 mm), coarse heterogeneous 7 in a line
# (0.6 mm, 12 mm).
# e2e_clusters [CONTRAST] sets the array E2E_CLUSTERS to the --cluster arguments; with CONTRAST, each
# cluster gets contrast=CONTRAST (the generator's physics times it).
e2e_clusters() {
  local c=${1:+,contrast=$1}
  E2E_CLUSTERS=(
    --cluster "morphology=fine_pleomorphic,distribution=grouped,count=8,diameter=0.35,extent=8$c"
    --cluster "morphology=punctate,distribution=grouped,count=6,diameter=0.3,extent=6$c"
    --cluster "morphology=coarse_heterogeneous,distribution=linear,count=7,diameter=0.6,extent=12$c"
  )
}
