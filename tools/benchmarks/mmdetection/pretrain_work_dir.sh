#!/usr/bin/env bash
# Sourced by mim_{dist,slurm}_train_fpn.sh (and through them the C4
# scripts) and by ../classification/mim_{dist,slurm}_train_linear.sh: the
# default work dir of a benchmark,
#
#   work_dirs/benchmarks/<cfg name>/<pretrain dir>_<pretrain name>-<hash>
#
# <pretrain dir> and <pretrain name> are the parent folder and the file name
# (without extension) of PRETRAIN, <hash> the first 8 hex digits of the
# SHA-1 of its absolute path (normalised, symbolic links kept as given).
# Every pre-training ends in epoch_200.pth (or epoch_100.pth): the folder
# tells them apart for a reader, the hash for certain (the same folder name
# in two places, a path given as ../x or ./x gives the same hash).
#   e.g. work_dirs/benchmarks/mask-rcnn_r50-c4_ms-1x_coco/
#        detco_resnet50_8xb32-coslr-200e_in1k_epoch_200-1a2b3c4d

# pretrain_work_dir CFG PRETRAIN: print the work dir.
pretrain_work_dir() {
    local cfg=$1 pretrain=$2 abs parent stem hash
    case "$pretrain" in
        /*) abs=$pretrain ;;
        *) abs="$PWD/$pretrain" ;;
    esac
    # lexical normalisation (as Python's os.path.normpath), if available
    abs=$(realpath -m -s -- "$abs" 2>/dev/null || printf '%s' "$abs")
    if command -v sha1sum > /dev/null 2>&1; then
        hash=$(printf '%s' "$abs" | sha1sum)
    elif command -v shasum > /dev/null 2>&1; then
        hash=$(printf '%s' "$abs" | shasum -a 1)
    else
        hash=$(printf '%s' "$abs" | cksum | awk '{printf "%08x", $1}')
    fi
    hash=${hash:0:8}
    parent=$(basename "$(dirname "$abs")")
    stem=$(basename "$abs")
    stem=${stem%.*}
    if [ "$parent" = / ] || [ -z "$parent" ]; then
        parent=root
    fi
    printf '%s\n' "work_dirs/benchmarks/$(basename "${cfg%.*}")/${parent}_${stem}-${hash}"
}
