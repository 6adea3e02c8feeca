#!/usr/bin/env bash
# DetCo vs MMPretrain's MoCo v2 on one GPU (docs/en/performance.md).
#
# Usage: tools/analysis_tools/gpu_benchmark.sh [OUT_DIR]
#   ResNet-50, batch 64, bf16 + channels_last, 224 px views, 64 px patches:
#   1-4. img/s of both models and the ratios, without / with torch.compile,
#        without / with GPU-side augmentation (the *_gpuaug.py config;
#        benchmark_pretrain.py, JSON lines);
#   5.   a short training run through tools/train.py --amp bf16 --gpu-aug
#        on the generated demo data.
# Environment: PYTHON (default python), ITERS (timed steps, default 30),
# BATCH (default 64), TRAIN_EPOCHS (default 2).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
OUT="${1:-work_dirs/gpu_benchmark}"
PYTHON="${PYTHON:-python}"
ITERS="${ITERS:-30}"
BATCH="${BATCH:-64}"
TRAIN_EPOCHS="${TRAIN_EPOCHS:-2}"
mkdir -p "$OUT"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"

"$PYTHON" -c 'import torch; assert torch.cuda.is_available(), "no GPU"; print(torch.cuda.get_device_name(), "torch", torch.__version__)' \
    | tee "$OUT/device.txt"

run() {  # NAME ARGS...
    local name=$1
    shift
    echo "== $name"
    "$PYTHON" tools/analysis_tools/benchmark_pretrain.py --device cuda \
        --depth 50 --batch-size "$BATCH" --amp bf16 --channels-last \
        --iters "$ITERS" --warmup 10 "$@" 2>"$OUT/$name.err" | tee "$OUT/$name.log"
    tail -n 1 "$OUT/$name.log" >> "$OUT/results.jsonl"
}

: > "$OUT/results.jsonl"
run eager --samples 200 --decode
run eager_gpu-aug --samples 0 --gpu-aug
run compile --samples 0 --compile
run compile_gpu-aug --samples 0 --compile --gpu-aug

echo "== training: tools/train.py --amp bf16 --gpu-aug (demo data)"
DATA="$OUT/demo_data"
"$PYTHON" tools/dataset_converters/generate_demo_data.py --out "$DATA"
CONFIG=configs/detco/detco_resnet18_1xb16-coslr-8e_demo.py
mapfile -t DATA_OPTIONS < <("$PYTHON" -c "
from mmdetco_demo import data_root_options
print('\n'.join(data_root_options('$CONFIG', '$DATA')))")
"$PYTHON" tools/train.py "$CONFIG" --work-dir "$OUT/train" --amp bf16 \
    --gpu-aug --cfg-options "${DATA_OPTIONS[@]}" \
    "train_cfg.max_epochs=$TRAIN_EPOCHS" 2>&1 | tee "$OUT/train.log" | grep -E "Epoch\(train\)" | tail -n 3

"$PYTHON" - "$OUT/results.jsonl" <<'PY'
import json, sys
print(f"{'setting':<18}{'DetCo img/s':>12}{'MoCo v2 img/s':>15}{'step ratio':>12}"
      f"{'pixel ratio':>12}{'peak MB':>9}")
names = ['eager', 'eager + gpu-aug', 'compile', 'compile + gpu-aug']
for name, line in zip(names, open(sys.argv[1])):
    r = json.loads(line)
    print(f"{name:<18}{r['img_per_s']['detco']:>12.0f}"
          f"{r['img_per_s']['mocov2']:>15.0f}{r['step_ratio']:>12.3f}"
          f"{r['pixel_ratio']:>12.3f}{r['peak_memory_mb']['detco']:>9.0f}")
PY
