#!/usr/bin/env bash
# Fine-tune a C4 detector of the DetCo benchmarks (backbone res2-res4 + the
# res5 RoI shared head) from a DetCo checkpoint on a Slurm cluster.
#
# Usage: [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#        tools/benchmarks/mmdetection/mim_slurm_train_c4.sh \
#            PARTITION CFG PRETRAIN GPUS [train.py args]
#
# As mim_slurm_train_fpn.sh, and the query backbone `backbone.*` of PRETRAIN
# also initialises the shared head (res5 from `backbone.layer4.*`).
PRETRAIN=$3
exec "$(dirname "$0")/mim_slurm_train_fpn.sh" "$1" "$2" "$3" "$4" \
    model.roi_head.shared_head.init_cfg.type=Pretrained \
    model.roi_head.shared_head.init_cfg.checkpoint="$PRETRAIN" \
    model.roi_head.shared_head.init_cfg.prefix=backbone. "${@:5}"
