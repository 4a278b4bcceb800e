#!/usr/bin/env bash
# Speed: per-stage Google Benchmark and whole-process wall time / peak memory of `calcscope analyze`
# on a 3328 x 4096, 16-bit, 70 um DICOM phantom. Results go to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
OUT=bench/results
mkdir -p "$OUT" /tmp/calcscope-bench
CS=build/release/calcscope
$CS phantom --output /tmp/calcscope-bench/full70.dcm --seed 42 --width-mm 232.96 --height-mm 286.72 \
  --pixel-size 0.07 --bits 16 --clusters 3 --benign 10 >/dev/null
build/release/bench/bench_pipeline --benchmark_out="$OUT/bench_pipeline.json" --benchmark_out_format=json \
  | tee "$OUT/bench_pipeline.txt"
hyperfine --warmup 1 --runs 5 --export-markdown "$OUT/analyze_wall.md" \
  "$CS analyze /tmp/calcscope-bench/full70.dcm --output /tmp/calcscope-bench/out -q"
/usr/bin/time -v $CS analyze /tmp/calcscope-bench/full70.dcm --output /tmp/calcscope-bench/out -q 2>&1 \
  | grep -E "Maximum resident|Elapsed" | tee "$OUT/analyze_memory.txt"
