#!/usr/bin/env bash
# Evaluate a linear probe trained by mim_dist_train_linear.sh (MMPretrain)
# on GPUS local GPUs.
#
# Usage: [GPUS=8] tools/benchmarks/classification/mim_dist_test.sh \
#            CFG CHECKPOINT [GPUS] [test.py args]
#   e.g. GPUS=8 bash ... \
#            configs/benchmarks/classification/imagenet/resnet50_linear-8xb32-steplr-100e_in1k.py \
#            work_dirs/benchmarks/resnet50_linear-8xb32-steplr-100e_in1k/detco_resnet50_8xb32-coslr-200e_in1k_epoch_200-1a2b3c4d/epoch_100.pth
#
# As MMSelfSup's classification/mim_dist_test.sh: GPUS from the environment
# (default 8; a number right after CHECKPOINT overrides it). CHECKPOINT is
# the trained probe (backbone and classifier), not the DetCo pre-training
# checkpoint. The logs go next to it (WORK_DIR overrides that).
# Env: GPUS, PORT, MIM (default mim), WORK_DIR. Runs `mim test mmpretrain`,
# or without mim tools/benchmarks/classification/test.py (MMPretrain's
# tools/test.py) with torch.distributed.run.
set -e
set -x

# shellcheck source=../launch.sh
source "$(dirname "$0")/../launch.sh"
benchmark_args dist test "$@"
benchmark_test mmpretrain "$ROOT/tools/benchmarks/classification/test.py"
