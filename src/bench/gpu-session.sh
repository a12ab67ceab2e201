#!/usr/bin/env bash
# One prepared script for a session that has the GPU machine (issues 5 and 6): everything it
# should measure there, each step bounded so that one failure leaves time for the others.
# Here:   npm ci && npm run build && bash ../shared/gpu/bundle.sh
# Device: carry [".gpu", "dist"], timeout_s 540, command
#           bash .gpu/run.sh bash src/bench/gpu-session.sh
# Results land in $OUT (JSON and logs), to be copied into docs/benchmarks.md and docs/real-models.md.
set -u
out=${OUT:-/tmp/gpu-session}
mkdir -p "$out"
step() { # step NAME SECONDS COMMAND...: run it, keep its output, note its exit code and time
  local name=$1 secs=$2; shift 2
  local t0=$SECONDS
  timeout "$secs" "$@" > "$out/$name.out" 2> "$out/$name.err"
  echo "$name: exit $? after $((SECONDS - t0)) s" | tee -a "$out/steps.log"
}
nvidia-smi > "$out/nvidia-smi.txt" 2>&1
# The webgpu backend: does it start, and what does it reach (matmul rate, training step, sampling),
# next to PyTorch CUDA (fp32, TF32 off) on the same work, measured in the same call?
step bench-webgpu 150 node bin/siric.js bench --backend webgpu --json
# A whole GRPO pipeline on webgpu (sampling, update, checkpoint): the tiny test pipeline.
step tiny-run-webgpu 90 node bin/siric.js run test/fixtures/runtime/tiny.siri --backend webgpu --out /tmp/gpu-runs --json
# Real model shapes, randomly initialised: KV-cache sampling speed (docs/real-models.md).
step shape-0.5b 90 node dist/bench/shapes.js --shape qwen2-0.5b --backend webgpu --batch 1,8,64 --prompt 64 --new 64
step shape-1.5b 150 node dist/bench/shapes.js --shape qwen2-1.5b --backend webgpu --batch 1,8,64 --prompt 64 --new 64
cat "$out/steps.log"
