#!/usr/bin/env bash
# Fine-tune a C4 detector of the DetCo benchmarks (backbone res2-res4 + the
# res5 RoI shared head) from a DetCo checkpoint on a Slurm cluster.
#
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#        tools/benchmarks/mmdetection/mim_slurm_train_c4.sh \
#            PARTITION CFG PRETRAIN [train.py args]
#
# As mim_slurm_train_fpn.sh (GPUS and the rest from the environment), and
# the query backbone `backbone.*` of PRETRAIN also initialises the shared
# head (res5 from `backbone.layer4.*`).
set -e

if [ $# -lt 3 ]; then
    echo "usage: [GPUS=8] $0 PARTITION CFG PRETRAIN [train.py args]" >&2
    exit 2
fi
if ! [[ ${4:-} =~ ^[0-9]+$ ]]; then
    # no GPUS argument: the environment's GPUS, default 8
    PARTITION=$1 CFG=$2 PRETRAIN=$3
    shift 3
    set -- "$PARTITION" "$CFG" "$PRETRAIN" "${GPUS:-8}" "$@"
fi
PRETRAIN=$3
exec "$(dirname "$0")/mim_slurm_train_fpn.sh" "$1" "$2" "$3" "$4" \
    model.roi_head.shared_head.init_cfg.type=Pretrained \
    model.roi_head.shared_head.init_cfg.checkpoint="$PRETRAIN" \
    model.roi_head.shared_head.init_cfg.prefix=backbone. "${@:5}"
