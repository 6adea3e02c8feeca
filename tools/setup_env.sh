#!/usr/bin/env bash
# Create (or update) an mmdetco environment -- idempotent.
#
# Installs torch/torchvision (or keeps those installed), gets mmcv with its
# ops (needed by MMDetection): an installed one of the right version, else a
# wheel from the cache outside the checkout, else OpenMMLab's prebuilt wheel
# where its index has one for this torch, else a build from the source
# distribution -- with CUDA ops when a CUDA compiler matching torch's CUDA is
# found and the GPU architectures are known (tools/misc/mmcv_build_plan.py)
# -- cached under a key naming mmcv, torch, Python and the ops. Then installs
# the pinned OpenMMLab stack, the test requirements and mmdetco (editable),
# and checks mmcv's ops on the GPU when one is visible
# (tools/analysis_tools/gpu_check.py --ops-only). See docs/en/gpu_install.md.
#
# Two OpenMMLab stacks (MMDETCO_STACK), each in its own environment, as the
# two cannot be imported in one process:
#   mmpretrain  (default) mmcv 2.1.0, mmpretrain 1.2.0, mmdet 3.3.0
#               (requirements/runtime.txt), kornia (requirements/gpuaug.txt,
#               the extra mmdetco[gpuaug]) and mmsegmentation 1.2.2
#               (requirements/seg.txt, the extra mmdetco[seg]), in .venv
#   mmselfsup   mmcv 2.0.1, mmselfsup 1.0.0, mmcls 1.0.0rc6, mmdet 3.3.0
#               (requirements/mmselfsup.txt), in .venv-mmselfsup
#
# Environment variables:
#   MMDETCO_STACK        mmpretrain or mmselfsup (default: mmpretrain)
#   VENV                 virtual environment path (default: see above)
#   PYTHON               interpreter used to create it (default: python3)
#   TORCH_VERSION        torch to install (default: the installed one, else
#                        2.14.1); e.g. 2.1.2 for the classic GPU stack
#   TORCHVISION_VERSION  torchvision to install (default: 0.29.1 with torch
#                        2.14.1, else the one pip pairs with TORCH_VERSION)
#   TORCH_INDEX_URL      package index of torch/torchvision (e.g. PyTorch's
#                        cu118 index for older drivers; default: pip's)
#   FORCE_CUDA           1: mmcv with CUDA ops or fail; 0: CPU ops only
#                        (default: CUDA ops when possible)
#   TORCH_CUDA_ARCH_LIST GPU architectures of a CUDA build of mmcv (default:
#                        those of the visible GPUs)
#   MMDETCO_CACHE        wheel cache (default: ${XDG_CACHE_HOME:-~/.cache}/mmdetco)
#   MAX_JOBS             parallel compile jobs for mmcv (default: cores)
set -euo pipefail

DEFAULT_TORCH=2.14.1
DEFAULT_TORCHVISION=0.29.1
STACK="${MMDETCO_STACK:-mmpretrain}"
case "$STACK" in
    mmpretrain)
        MMCV_VERSION=2.1.0
        REQUIREMENTS=(requirements/runtime.txt requirements/gpuaug.txt
                      requirements/seg.txt)
        DEFAULT_VENV=.venv ;;
    mmselfsup)
        MMCV_VERSION=2.0.1
        REQUIREMENTS=(requirements/mmselfsup.txt)
        DEFAULT_VENV=.venv-mmselfsup ;;
    *)
        echo "MMDETCO_STACK must be mmpretrain or mmselfsup, got '$STACK'" >&2
        exit 2 ;;
esac

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${VENV:-$DEFAULT_VENV}"
PYTHON="${PYTHON:-python3}"
CACHE="${MMDETCO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmdetco}"

log() { echo "[setup $(date +%H:%M:%S)] $*"; }

# The stamp records what the environment was built from; when nothing changed
# the set-up is a no-op.
stamp_inputs() {
    echo "$STACK ${TORCH_VERSION:-} ${TORCHVISION_VERSION:-}" \
        "${TORCH_INDEX_URL:-} ${FORCE_CUDA:-} ${TORCH_CUDA_ARCH_LIST:-}"
    cat tools/setup_env.sh tools/misc/mmcv_build_plan.py requirements/*.txt \
        setup.cfg setup.py
}
STAMP="$VENV/.mmdetco-setup"
if [ -f "$STAMP" ] && [ "$(stamp_inputs | sha256sum)" = "$(cat "$STAMP")" ]; then
    log "environment $VENV is up to date"
    exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
    log "creating virtual environment $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
fi
PY="$ROOT/$VENV/bin/python"
PIP=("$PY" -m pip install --progress-bar off)

log "installing build requirements"
"${PIP[@]}" -r requirements/build.txt 'numpy<2'

INSTALLED_TORCH="$("$PY" -c 'import torch, torchvision; print(torch.__version__)' 2>/dev/null || true)"
if [ -n "$INSTALLED_TORCH" ] && [ -z "${TORCH_VERSION:-}" ]; then
    log "keeping the installed torch $INSTALLED_TORCH (set TORCH_VERSION to change it)"
else
    TORCH_VERSION="${TORCH_VERSION:-$DEFAULT_TORCH}"
    if [ -z "${TORCHVISION_VERSION:-}" ] && [ "$TORCH_VERSION" = "$DEFAULT_TORCH" ]; then
        TORCHVISION_VERSION=$DEFAULT_TORCHVISION
    fi
    TORCH_SPECS=("torch==$TORCH_VERSION" "torchvision${TORCHVISION_VERSION:+==$TORCHVISION_VERSION}")
    log "installing ${TORCH_SPECS[*]}${TORCH_INDEX_URL:+ from $TORCH_INDEX_URL}"
    "${PIP[@]}" ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} "${TORCH_SPECS[@]}"
fi
# pinned from here on, so that no later install changes them
TORCH_PINS=($("$PY" -c 'from importlib.metadata import version; print(*(f"{p}=={version(p)}" for p in ("torch", "torchvision")))'))

eval "$("$PY" tools/misc/mmcv_build_plan.py "$MMCV_VERSION")"
has_mmcv() {  # the installed mmcv is $MMCV_VERSION with the planned ops
    "$PY" -c "
import mmcv, mmcv.ops, sys
cuda = mmcv.ops.get_compiling_cuda_version() != 'not available'
sys.exit(mmcv.__version__ != '$MMCV_VERSION' or ('$MMCV_OPS' == 'cuda' and not cuda))" 2>/dev/null
}

if has_mmcv; then
    log "keeping the installed mmcv $MMCV_VERSION with ops"
else
    WHEEL_DIR="$CACHE/wheels/$MMCV_KEY"
    log "mmcv $MMCV_VERSION with $MMCV_OPS ops: $MMCV_REASON"
    if ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
        log "installing mmcv from $WHEEL_DIR"
        "${PIP[@]}" --no-deps --force-reinstall "$WHEEL_DIR"/mmcv-*.whl
    elif [ -n "$MMCV_PREBUILT_URL" ] && "${PIP[@]}" --no-deps --no-index --timeout 20 \
            --retries 1 -f "$MMCV_PREBUILT_URL" "mmcv==$MMCV_VERSION" 2>/dev/null && has_mmcv; then
        log "installed OpenMMLab's prebuilt mmcv $MMCV_VERSION ($MMCV_PREBUILT_URL)"
    else
        [ -z "$MMCV_PREBUILT_URL" ] || log "no prebuilt mmcv from $MMCV_PREBUILT_URL: building it"
        BUILD="$(mktemp -d)"
        trap 'rm -rf "$BUILD"' EXIT
        log "downloading the mmcv $MMCV_VERSION source distribution"
        "$PY" -m pip download --no-deps --no-binary :all: --no-build-isolation \
            -d "$BUILD" "mmcv==$MMCV_VERSION"
        tar -xzf "$BUILD/mmcv-$MMCV_VERSION.tar.gz" -C "$BUILD"
        SRC="$BUILD/mmcv-$MMCV_VERSION"
        # mmcv hard-codes -std=c++14/17; torch >= 2.10 headers need C++20
        sed -i -E "s/-std=c\+\+1[47]/-std=$MMCV_CXX_STD/g" "$SRC/setup.py"
        log "building mmcv $MMCV_VERSION with $MMCV_OPS ops (CPU ops: about 15"
        log "minutes on 2 cores, CUDA ops for one architecture: about an hour;"
        log "the wheel is cached in $WHEEL_DIR for every later set-up)"
        mkdir -p "$WHEEL_DIR.partial"
        BUILD_LOG="$WHEEL_DIR.partial/build.log"
        BUILD_ENV=(MAX_JOBS="${MAX_JOBS:-$(nproc)}" MMCV_WITH_OPS=1)
        if [ "$MMCV_OPS" = cuda ]; then
            BUILD_ENV+=(FORCE_CUDA=1 CUDA_HOME="$MMCV_CUDA_HOME"
                        PATH="$MMCV_CUDA_HOME/bin:$PATH"
                        TORCH_CUDA_ARCH_LIST="$MMCV_ARCHS"
                        CPATH="$MMCV_CPATH${CPATH:+:$CPATH}")
        else
            # mmcv builds CUDA ops whenever torch sees a GPU
            BUILD_ENV+=(FORCE_CUDA=0 CUDA_VISIBLE_DEVICES=)
        fi
        env "${BUILD_ENV[@]}" "$PY" -m pip wheel -v --no-deps --no-build-isolation \
            -w "$WHEEL_DIR.partial" "$SRC" > "$BUILD_LOG" 2>&1 &
        BUILD_PID=$!
        while kill -0 "$BUILD_PID" 2>/dev/null; do
            sleep 30
            DONE="$(grep -oE '^ *\[[0-9]+/[0-9]+\]' "$BUILD_LOG" | tail -1 | tr -d ' ' || true)"
            log "building mmcv: ${DONE:-preparing} (log: $BUILD_LOG)"
        done
        if ! wait "$BUILD_PID" || ! ls "$WHEEL_DIR.partial"/mmcv-*.whl >/dev/null 2>&1; then
            tail -n 40 "$BUILD_LOG"
            log "mmcv build failed; the full log is $BUILD_LOG"
            exit 1
        fi
        rm -rf "$WHEEL_DIR"
        mv "$WHEEL_DIR.partial" "$WHEEL_DIR"
        log "installing mmcv from $WHEEL_DIR"
        "${PIP[@]}" --no-deps --force-reinstall "$WHEEL_DIR"/mmcv-*.whl
    fi
fi

log "installing the OpenMMLab stack ($STACK) and test requirements"
REQUIREMENT_ARGS=()
for file in "${REQUIREMENTS[@]}"; do
    REQUIREMENT_ARGS+=(-r "$file")
done
"${PIP[@]}" "${REQUIREMENT_ARGS[@]}" -r requirements/tests.txt \
    "${TORCH_PINS[@]}" "mmcv==$MMCV_VERSION" -r requirements/build.txt
# MIM without its dataset downloader's pins (requirements/mim.txt)
"${PIP[@]}" -r requirements/mim.txt "${TORCH_PINS[@]}"
"${PIP[@]}" --no-deps openmim==0.3.9

# --no-deps: setup.cfg requires mmpretrain, which must not be installed
# beside mmselfsup
log "installing mmdetco (editable)"
"${PIP[@]}" --no-deps --no-build-isolation -e .

"$PY" -c "import mmcv.ops, mmdet, $STACK, mmdetco, mmdetco.compat as c; assert c.BACKEND == '$STACK', c.BACKEND; print('mmdetco', mmdetco.__version__, '| mmcv', mmcv.__version__, '| $STACK', $STACK.__version__, '| mmdet', mmdet.__version__)"
"$PY" tools/analysis_tools/gpu_check.py --ops-only
stamp_inputs | sha256sum > "$STAMP"
log "environment $VENV is ready"
