#!/usr/bin/env bash
# Fine-tune a C4 detector of the DetCo benchmarks (backbone res2-res4 + the
# res5 RoI shared head) from a DetCo checkpoint on GPUS local GPUs.
#
# Usage: tools/benchmarks/mmdetection/mim_dist_train_c4.sh \
#            CFG PRETRAIN GPUS [train.py args]
#   e.g. ... configs/benchmarks/mmdetection/voc0712/faster-rcnn_r50-c4_ms-24k_voc0712.py \
#            work_dirs/detco_resnet50_8xb32-coslr-200e_in1k/epoch_200.pth 8
#
# As mim_dist_train_fpn.sh (work dir, PORT, MIM, the fallback without mim),
# and the query backbone `backbone.*` of PRETRAIN also initialises the shared
# head (res5 = `layer4.*`, from `backbone.layer4.*`).
PRETRAIN=$2
exec "$(dirname "$0")/mim_dist_train_fpn.sh" "$1" "$2" "$3" \
    model.roi_head.shared_head.init_cfg.type=Pretrained \
    model.roi_head.shared_head.init_cfg.checkpoint="$PRETRAIN" \
    model.roi_head.shared_head.init_cfg.prefix=backbone. "${@:4}"
