#!/usr/bin/env bash
# Issue 10, point 4, in ONE call on a lent GPU machine (device time is short): the CUDA tests, the
# torch-vs-numpy agreement of the default formulation, and the GPU throughput on
# 20,000 px × 20,000 pairs × 300 bins. Needs only python3 with numpy, scipy, torch, pytest (the
# device image has them). Writes $OUT/gpu.md (or benchmarks/results/gpu.md).
#   run(command="bash benchmarks/gpu_check.sh", timeout_s=540)
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1
mkdir -p .build/plugins && ln -sfn "$PWD" .build/plugins/surface_motion
export PYTHONPATH="$PWD/.build/plugins:$PWD"
results="${OUT:-benchmarks/results}"
mkdir -p "$results"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$results/gpu_device.txt"
# the CUDA tests; --noconftest: the device image lacks moto/zarr, which the suite's conftests import
python3 -m pytest tests/core/itslive/inversion/test_solver.py -m cuda -q -p no:cacheprovider --noconftest 2>&1 \
    | tee "$results/gpu_tests.txt"
python3 benchmarks/bench_inversion.py --backends torch --device cuda --cases tiles,unique \
    --pixels 20000 --pairs 20000 --bins 300 --dense-sample 4 --output "$results/gpu.md" 2>&1 \
    | tee "$results/gpu_bench.txt"
