#!/usr/bin/env bash
# One prepared script for a session that has the GPU machine (issues 5 and 6): everything it
# should measure there, each step bounded so that one failure leaves time for the others, most
# important first. Every step's stdout/stderr lands in $OUT as it is written.
# Here:   npm ci && npm run build && bash ../shared/gpu/bundle.sh
# Device: carry [".gpu", "dist"], timeout_s 600, command
#           bash .gpu/run.sh bash src/bench/gpu-session.sh [all|profile|overhead|next|diag|quick|round|final|graphs|ab|shapes|pipeline]
# (profile: the PyTorch references, the profiles, the pipeline and the model shapes only;
#  overhead: API time per step by submit batch; next: the follow-up the next session should run)
# Results land in $OUT (JSON and logs), to be copied into docs/benchmarks.md and docs/real-models.md.
set -u
OUT_DIR=${OUT:-/tmp/gpu-session-out}
out=/tmp/gpu-session
mkdir -p "$out" "$OUT_DIR"
t_start=$SECONDS
step() { # step NAME SECONDS COMMAND...: run it, keep its output, note its exit code and time
  local name=$1 secs=$2; shift 2
  local t0=$SECONDS
  timeout -k 5 "$secs" "$@" > "$out/$name.out" 2> "$out/$name.err"
  echo "$name: exit $? after $((SECONDS - t0)) s (session at $((SECONDS - t_start)) s)" | tee -a "$out/steps.log"
  tar -czf "$OUT_DIR/results.tgz" -C "$out" . # one archive: the device returns only a few files
}
nvidia-smi > "$out/nvidia-smi.txt" 2>&1
python3 -c 'import torch; print(torch.__version__, torch.cuda.get_device_name(0))' > "$out/torch.txt" 2>&1
# overhead: what a step spends outside the GPU's kernels (API calls, submits, read-backs), by submit batch.
if [ "${1:-all}" = overhead ]; then
  export SIRIC_DAWN_FLAGS='enable-dawn-features=allow_unsafe_apis'
  for preset in mlp tiny; do for b in 15 1000; do
    step "overhead-$preset-$b" 30 node dist/bench/profile-step.js --backend webgpu --preset $preset --submit-batch $b
  done; done
  SIRIC_WEBGPU_SUBMIT_BATCH=1000 step overhead-sample-0.5b 60 node dist/bench/shapes.js --shape qwen2-0.5b --backend webgpu --batch 16 --prompt 64 --new 8
  exit 0
fi
# diag (session 3): Dawn's own costs without tfjs (webgpu-overhead.js), then the step ratios after
# the upload/AdamW/pool changes, with every WebGPU call timed, unquantized kernel times and a CPU
# profile of one step; then the real shapes' updates.
if [ "${1:-all}" = diag ]; then
  step overhead-raw 40 node dist/bench/webgpu-overhead.js --n 600 --reps 5 --json
  SIRIC_DAWN_FLAGS='enable-dawn-features=skip_validation,disable_robustness' step overhead-raw-novalidation 40 node dist/bench/webgpu-overhead.js --n 600 --reps 5 --json
  step torch-tiny 25 python3 src/bench/torch_reference.py '{"vocab":32,"d_model":64,"layers":2,"heads":4,"kv_heads":4,"ffn":256,"tokens":64,"batch":128,"prompt":8,"new_tokens":56,"reps":5,"device":"cuda"}'
  step torch-mlp 25 python3 src/bench/torch_reference.py '{"model":"mlp","vocab":2048,"d_model":512,"tokens":128,"batch":64,"reps":5,"device":"cuda"}'
  step bench-webgpu 120 node bin/siric.js bench --backend webgpu --preset tiny,small,mlp --reps 5 --json
  export SIRIC_DAWN_FLAGS='enable-dawn-features=allow_unsafe_apis disable-dawn-features=timestamp_quantization'
  step profile-mlp 40 node dist/bench/profile-step.js --backend webgpu --preset mlp --cpu-prof-step --cpu-prof-out "$out/mlp.cpuprofile"
  step cpuprof-mlp 10 node dist/bench/cpuprofile-top.js "$out/mlp.cpuprofile" 40
  step profile-tiny 40 node dist/bench/profile-step.js --backend webgpu --preset tiny --cpu-prof-step --cpu-prof-out "$out/tiny.cpuprofile"
  step cpuprof-tiny 10 node dist/bench/cpuprofile-top.js "$out/tiny.cpuprofile" 40
  unset SIRIC_DAWN_FLAGS
  step shape-0.5b 90 node dist/bench/shapes.js --shape qwen2-0.5b --backend webgpu --batch 1,64 --prompt 64 --new 16 --train 4x128
  cat "$out/steps.log"
  exit 0
fi
# pipeline (session 4, fourth call): the quickstart and the tiny pipeline on webgpu after step graphs
# share held buffers (decode graphs replay beside a live update graph), the tiny one against cpu.
if [ "${1:-all}" = pipeline ]; then
  step quickstart-webgpu 120 bash -c 'time node bin/siric.js run examples/quickstart.siri --backend webgpu --out /tmp/qs-gpu --json'
  step tiny-run-webgpu 40 node bin/siric.js run test/fixtures/runtime/tiny.siri --backend webgpu --out /tmp/gpu-runs --json
  step tiny-run-cpu 25 node bin/siric.js run test/fixtures/runtime/tiny.siri --backend cpu --out /tmp/cpu-runs --json
  step ab-mlp 40 node dist/bench/ab-step.js --backend webgpu --preset mlp --n 40
  cat "$out/steps.log"
  exit 0
fi
# shapes (session 4, third call): the real shapes with 64 new tokens (16 left the recording of the
# decode graph in every number), and the whole quickstart on webgpu.
if [ "${1:-all}" = shapes ]; then
  step shape-0.5b 80 node dist/bench/shapes.js --shape qwen2-0.5b --backend webgpu --batch 1,64 --prompt 64 --new 64 --train 4x128
  step shape-1.5b 100 node dist/bench/shapes.js --shape qwen2-1.5b --backend webgpu --batch 1,64 --prompt 64 --new 64 --train 4x128
  step quickstart-webgpu 170 bash -c 'time node bin/siric.js run examples/quickstart.siri --backend webgpu --out /tmp/qs-gpu --json'
  cat "$out/steps.log"
  exit 0
fi
# ab (session 4, second call): each step with and without step graphs interleaved in one process
# (ab-step.js), after the segment-sum threshold; the MLP step's kernels; the benchmark again.
if [ "${1:-all}" = ab ]; then
  for preset in mlp small tiny; do step "ab-$preset" 60 node dist/bench/ab-step.js --backend webgpu --preset $preset --n 40; done
  step host-mlp 30 node dist/bench/profile-step.js --host --backend webgpu --preset mlp --json
  SIRIC_DAWN_FLAGS='enable-dawn-features=allow_unsafe_apis disable-dawn-features=timestamp_quantization' step profile-mlp 30 node dist/bench/profile-step.js --backend webgpu --preset mlp
  step bench-webgpu 150 node bin/siric.js bench --backend webgpu --preset tiny,small,mlp --reps 9 --json
  step ab-mlp-again 60 node dist/bench/ab-step.js --backend webgpu --preset mlp --n 40
  cat "$out/steps.log"
  exit 0
fi
# graphs (session 4): the step ratios with step graphs (replayed steps and decode steps), the
# pipeline against cpu, the host's share of a step, kernel times, the same benchmark without
# graphs, the real shapes, the submit threshold. Most important first; about 4.5 minutes.
if [ "${1:-all}" = graphs ]; then
  step bench-webgpu 150 node bin/siric.js bench --backend webgpu --preset tiny,small,mlp --reps 7 --json
  step tiny-run-webgpu 40 node bin/siric.js run test/fixtures/runtime/tiny.siri --backend webgpu --out /tmp/gpu-runs --json
  step tiny-run-cpu 25 node bin/siric.js run test/fixtures/runtime/tiny.siri --backend cpu --out /tmp/cpu-runs --json
  for preset in small mlp; do step "host-$preset" 30 node dist/bench/profile-step.js --host --backend webgpu --preset $preset --json; done
  # Kernel times (timestamps) through tfjs; the small step with our segment sum and with tfjs's (the embedding gradient).
  export SIRIC_DAWN_FLAGS='enable-dawn-features=allow_unsafe_apis disable-dawn-features=timestamp_quantization'
  step profile-small 30 node dist/bench/profile-step.js --backend webgpu --preset small
  SIRIC_WEBGPU_SEGMENT_SUM=builtin step profile-small-segbuiltin 30 node dist/bench/profile-step.js --backend webgpu --preset small
  step profile-mlp 30 node dist/bench/profile-step.js --backend webgpu --preset mlp
  unset SIRIC_DAWN_FLAGS
  SIRIC_WEBGPU_GRAPHS=0 step bench-webgpu-nographs 120 node bin/siric.js bench --backend webgpu --preset small,mlp --reps 5 --json
  step shape-0.5b 60 node dist/bench/shapes.js --shape qwen2-0.5b --backend webgpu --batch 1,64 --prompt 64 --new 16 --train 4x128
  step shape-1.5b 70 node dist/bench/shapes.js --shape qwen2-1.5b --backend webgpu --batch 1,64 --prompt 64 --new 16 --train 4x128
  for us in 250 1000; do SIRIC_WEBGPU_SUBMIT_US=$us step "submit-small-$us" 30 node bin/siric.js bench --backend webgpu --preset small --reps 5 --json; done
  cat "$out/steps.log"
  exit 0
fi
# final (session 3): the step ratios and everything the docs report, after the row kernels and the submit policy.
if [ "${1:-all}" = final ]; then
  step bench-webgpu 150 node bin/siric.js bench --backend webgpu --preset tiny,small,mlp --reps 7 --json
  step tiny-run-webgpu 40 node bin/siric.js run test/fixtures/runtime/tiny.siri --backend webgpu --out /tmp/gpu-runs --json
  step tiny-run-cpu 25 node bin/siric.js run test/fixtures/runtime/tiny.siri --backend cpu --out /tmp/cpu-runs --json
  export SIRIC_DAWN_FLAGS='enable-dawn-features=allow_unsafe_apis disable-dawn-features=timestamp_quantization'
  for preset in small mlp; do
    step "profile-$preset" 30 node dist/bench/profile-step.js --backend webgpu --preset $preset --cpu-prof-step --cpu-prof-out "$out/$preset.cpuprofile"
    step "cpuprof-$preset" 10 node dist/bench/cpuprofile-top.js "$out/$preset.cpuprofile" 40
  done
  unset SIRIC_DAWN_FLAGS
  # The submit policy's threshold (µs of estimated GPU work) and what each mechanism is worth.
  for preset in small mlp; do for us in 250 500 1000; do
    SIRIC_WEBGPU_SUBMIT_US=$us step "submit-$preset-$us" 30 node dist/bench/profile-step.js --backend webgpu --preset $preset
  done; done
  SIRIC_WEBGPU_ROW_KERNELS=0 step profile-small-norows 30 node dist/bench/profile-step.js --backend webgpu --preset small
  SIRIC_WEBGPU_DISPATCH_CACHE=0 step profile-small-nocache 30 node dist/bench/profile-step.js --backend webgpu --preset small
  step shape-0.5b 60 node dist/bench/shapes.js --shape qwen2-0.5b --backend webgpu --batch 1,64 --prompt 64 --new 16 --train 4x128
  step shape-1.5b 70 node dist/bench/shapes.js --shape qwen2-1.5b --backend webgpu --batch 1,64 --prompt 64 --new 16 --train 4x128
  cat "$out/steps.log"
  exit 0
fi
# round (session 3, after the fused blocks, packed AdamW and the fixed KV cache): step ratios,
# submit batch sweep, the whole pipeline against cpu, the real shapes with their updates.
if [ "${1:-all}" = round ]; then
  step bench-webgpu 150 node bin/siric.js bench --backend webgpu --preset tiny,small,mlp --reps 5 --json
  step tiny-run-webgpu 40 node bin/siric.js run test/fixtures/runtime/tiny.siri --backend webgpu --out /tmp/gpu-runs --json
  step tiny-run-cpu 25 node bin/siric.js run test/fixtures/runtime/tiny.siri --backend cpu --out /tmp/cpu-runs --json
  for preset in small mlp; do for b in 15 48; do
    step "profile-$preset-$b" 30 node dist/bench/profile-step.js --backend webgpu --preset $preset --submit-batch $b
  done; done
  step shape-0.5b 60 node dist/bench/shapes.js --shape qwen2-0.5b --backend webgpu --batch 1,64 --prompt 64 --new 16 --train 4x128
  step shape-1.5b 70 node dist/bench/shapes.js --shape qwen2-1.5b --backend webgpu --batch 1,64 --prompt 64 --new 16 --train 4x128
  cat "$out/steps.log"
  exit 0
fi
# quick (session 3, after the dispatch caches): step ratios, profiles with CPU profiles, 0.5B decode.
if [ "${1:-all}" = quick ]; then
  step bench-webgpu 150 node bin/siric.js bench --backend webgpu --preset tiny,small,mlp --reps 5 --json
  export SIRIC_DAWN_FLAGS='enable-dawn-features=allow_unsafe_apis disable-dawn-features=timestamp_quantization'
  step profile-tiny 40 node dist/bench/profile-step.js --backend webgpu --preset tiny --cpu-prof-step --cpu-prof-out "$out/tiny.cpuprofile"
  step cpuprof-tiny 10 node dist/bench/cpuprofile-top.js "$out/tiny.cpuprofile" 60
  step profile-mlp 40 node dist/bench/profile-step.js --backend webgpu --preset mlp --cpu-prof-step --cpu-prof-out "$out/mlp.cpuprofile"
  step cpuprof-mlp 10 node dist/bench/cpuprofile-top.js "$out/mlp.cpuprofile" 40
  unset SIRIC_DAWN_FLAGS
  step shape-0.5b 60 node dist/bench/shapes.js --shape qwen2-0.5b --backend webgpu --batch 1,64 --prompt 64 --new 16
  cat "$out/steps.log"
  exit 0
fi
# next: the follow-up to the first session's changes (uploads, fused AdamW, the pool): the step
# ratios against PyTorch again, the profiles, and the real shapes' updates, which were not measured.
if [ "${1:-all}" = next ]; then
  step torch-tiny 25 python3 src/bench/torch_reference.py '{"vocab":32,"d_model":64,"layers":2,"heads":4,"kv_heads":4,"ffn":256,"tokens":64,"batch":128,"prompt":8,"new_tokens":56,"reps":5,"device":"cuda"}'
  step torch-mlp 25 python3 src/bench/torch_reference.py '{"model":"mlp","vocab":2048,"d_model":512,"tokens":128,"batch":64,"reps":5,"device":"cuda"}'
  step bench-webgpu 120 node bin/siric.js bench --backend webgpu --preset tiny,small,mlp --reps 5 --json
  SIRIC_DAWN_FLAGS='enable-dawn-features=allow_unsafe_apis' step profile-mlp 30 node dist/bench/profile-step.js --backend webgpu --preset mlp
  SIRIC_DAWN_FLAGS='enable-dawn-features=allow_unsafe_apis' step profile-tiny 30 node dist/bench/profile-step.js --backend webgpu --preset tiny
  # The CPU side of the MLP step (about 120 ms of it was in no timed WebGPU call).
  step cpuprof-mlp 30 node --cpu-prof --cpu-prof-dir=/tmp/cpuprof dist/bench/profile-step.js --backend webgpu --preset mlp
  step cpuprof-top 10 bash -c 'node dist/bench/cpuprofile-top.js /tmp/cpuprof/*.cpuprofile 40'
  step shape-0.5b 100 node dist/bench/shapes.js --shape qwen2-0.5b --backend webgpu --batch 1,64 --prompt 64 --new 16 --train 4x128
  step shape-1.5b 120 node dist/bench/shapes.js --shape qwen2-1.5b --backend webgpu --batch 1,64 --prompt 64 --new 16 --train 4x128
  exit 0
fi
# 0. The PyTorch CUDA references first (fp32, TF32 off), so that a later timeout cannot lose them.
step torch-tiny 25 python3 src/bench/torch_reference.py '{"vocab":32,"d_model":64,"layers":2,"heads":4,"kv_heads":4,"ffn":256,"tokens":64,"batch":128,"prompt":8,"new_tokens":56,"reps":5,"device":"cuda"}'
step torch-small 25 python3 src/bench/torch_reference.py '{"vocab":64,"d_model":128,"layers":4,"heads":4,"kv_heads":4,"ffn":512,"tokens":128,"batch":64,"prompt":16,"new_tokens":112,"reps":5,"device":"cuda"}'
step torch-mlp 25 python3 src/bench/torch_reference.py '{"model":"mlp","vocab":2048,"d_model":512,"tokens":128,"batch":64,"reps":5,"device":"cuda"}'
step torch-matmul 25 python3 -c '
import torch, time, json
torch.backends.cuda.matmul.allow_tf32 = False
r = {}
for n in (1024, 2048, 4096):
    a, b = torch.randn(n, n, device="cuda"), torch.randn(n, n, device="cuda")
    for _ in range(3): a @ b
    torch.cuda.synchronize(); t = time.perf_counter()
    for _ in range(20): a @ b
    torch.cuda.synchronize(); r[n] = 2 * n**3 * 20 / (time.perf_counter() - t) / 1e12
print(json.dumps({"tflops": r}))'
# 0b. Where a step's time goes: kernels per step and GPU time per kernel kind (timestamp queries).
SIRIC_DAWN_FLAGS='enable-dawn-features=allow_unsafe_apis' step profile-mlp 40 node dist/bench/profile-step.js --backend webgpu --preset mlp
SIRIC_DAWN_FLAGS='enable-dawn-features=allow_unsafe_apis' SIRIC_WEBGPU_MATMUL=builtin step profile-mlp-builtin 40 node dist/bench/profile-step.js --backend webgpu --preset mlp
SIRIC_DAWN_FLAGS='enable-dawn-features=allow_unsafe_apis' step profile-tiny 40 node dist/bench/profile-step.js --backend webgpu --preset tiny
[ "${1:-all}" = profile ] && { step tiny-run-webgpu 40 node bin/siric.js run test/fixtures/runtime/tiny.siri --backend webgpu --out /tmp/gpu-runs --json
  step tiny-run-cpu 25 node bin/siric.js run test/fixtures/runtime/tiny.siri --backend cpu --out /tmp/cpu-runs --json
  step shape-0.5b 65 node dist/bench/shapes.js --shape qwen2-0.5b --backend webgpu --batch 1,16,64 --prompt 64 --new 32 --train 4x128
  step shape-1.5b 150 node dist/bench/shapes.js --shape qwen2-1.5b --backend webgpu --batch 1,16,64 --prompt 64 --new 32 --train 4x128
  exit 0; }
# 1. The matmul kernels: every tiled configuration against tfjs's own, square sizes and the model's shapes.
step matmul 90 node dist/bench/matmul-gpu.js --sizes 1024,2048,4096 --configs all --reps 5 --budget-s 80 --json
# 1b. The same at 4096² without Dawn's bounds-checking transforms (does robustness cost us?).
SIRIC_DAWN_FLAGS='enable-dawn-features=disable_robustness,disable_workgroup_init' \
  step matmul-norobust 50 node dist/bench/matmul-gpu.js --sizes 4096 --configs m128n128k16t8x8,m128n128k8t8x8,m128n128k16t8x8-db,m128n256k16t8x16 --no-model --reps 5 --budget-s 40 --json
# 2. siric bench on webgpu (tiled kernels, 'auto') next to PyTorch CUDA fp32 measured in the same call.
step bench-webgpu 120 node bin/siric.js bench --backend webgpu --preset tiny,small,mlp --reps 5 --json
# 2b. The same steps with tfjs's own matmul: what the kernels changed.
SIRIC_WEBGPU_MATMUL=builtin step bench-builtin 40 node bin/siric.js bench --backend webgpu --preset mlp,small --reps 3 --json
# 3. A whole GRPO pipeline (SFT, sampling, rewards, update, checkpoints, evals) on webgpu and on cpu: same numbers?
step tiny-run-webgpu 40 node bin/siric.js run test/fixtures/runtime/tiny.siri --backend webgpu --out /tmp/gpu-runs --json
step tiny-run-cpu 25 node bin/siric.js run test/fixtures/runtime/tiny.siri --backend cpu --out /tmp/cpu-runs --json
# 4. Real model shapes, randomly initialised: KV-cache sampling and one GRPO update (docs/real-models.md).
step shape-0.5b 65 node dist/bench/shapes.js --shape qwen2-0.5b --backend webgpu --batch 1,16,64 --prompt 64 --new 32 --train 4x128
step shape-1.5b 65 node dist/bench/shapes.js --shape qwen2-1.5b --backend webgpu --batch 1,16,64 --prompt 64 --new 32 --train 4x128
cat "$out/steps.log"
