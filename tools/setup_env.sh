#!/usr/bin/env bash
# Create (or update) an mmdetco environment -- idempotent.
#
# Installs torch/torchvision, builds mmcv from its source distribution (with
# its C++ ops, needed by MMDetection) and caches the built wheel outside the
# checkout, keyed by the mmcv, torch and Python versions, so that later set-ups
# (a fresh clone included) reuse it. Then installs the pinned OpenMMLab stack,
# the test requirements and mmdetco itself (editable).
#
# Two stacks (MMDETCO_STACK), each in its own environment, as the two cannot be
# imported in one process:
#   mmpretrain  (default) mmcv 2.1.0, mmpretrain 1.2.0, mmdet 3.3.0
#               (requirements/runtime.txt) and mmsegmentation 1.2.2
#               (requirements/seg.txt, the optional extra mmdetco[seg]), in
#               .venv
#   mmselfsup   mmcv 2.0.1, mmselfsup 1.0.0, mmcls 1.0.0rc6, mmdet 3.3.0
#               (requirements/mmselfsup.txt), in .venv-mmselfsup
#
# Environment variables:
#   MMDETCO_STACK   mmpretrain or mmselfsup (default: mmpretrain)
#   VENV            virtual environment path (default: see above)
#   PYTHON          interpreter used to create it (default: python3)
#   MMDETCO_CACHE   wheel cache (default: ${XDG_CACHE_HOME:-~/.cache}/mmdetco)
#   MAX_JOBS        parallel compile jobs for mmcv (default: number of cores)
set -euo pipefail

TORCH_VERSION=2.14.1
TORCHVISION_VERSION=0.29.1
STACK="${MMDETCO_STACK:-mmpretrain}"
case "$STACK" in
    mmpretrain)
        MMCV_VERSION=2.1.0
        REQUIREMENTS=(requirements/runtime.txt requirements/seg.txt)
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
    echo "$STACK"
    cat tools/setup_env.sh requirements/*.txt setup.cfg setup.py
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

log "installing torch==$TORCH_VERSION torchvision==$TORCHVISION_VERSION"
"${PIP[@]}" "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"

PY_TAG="$("$PY" -c 'import sys; print("py%d%d" % sys.version_info[:2])')"
TORCH_TAG="$("$PY" -c 'import torch; print(torch.__version__.replace("+", "_"))')"
WHEEL_DIR="$CACHE/wheels/mmcv-${MMCV_VERSION}_torch-${TORCH_TAG}_${PY_TAG}"

if "$PY" -c "import mmcv, mmcv.ops, sys; sys.exit(mmcv.__version__ != '$MMCV_VERSION')" 2>/dev/null; then
    log "mmcv $MMCV_VERSION with ops already installed"
else
    if ! ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
        BUILD="$(mktemp -d)"
        trap 'rm -rf "$BUILD"' EXIT
        log "downloading the mmcv $MMCV_VERSION source distribution"
        "$PY" -m pip download --no-deps --no-binary :all: --no-build-isolation \
            -d "$BUILD" "mmcv==$MMCV_VERSION"
        tar -xzf "$BUILD/mmcv-$MMCV_VERSION.tar.gz" -C "$BUILD"
        SRC="$BUILD/mmcv-$MMCV_VERSION"
        # mmcv hard-codes -std=c++14/17; torch >= 2.10 headers need C++20.
        sed -i -E 's/-std=c\+\+1[47]/-std=c++20/g' "$SRC/setup.py"
        log "building mmcv $MMCV_VERSION with ops (about 20 minutes on 2 cores;"
        log "the wheel is cached in $WHEEL_DIR for every later set-up)"
        mkdir -p "$WHEEL_DIR.partial"
        BUILD_LOG="$WHEEL_DIR.partial/build.log"
        MAX_JOBS="${MAX_JOBS:-$(nproc)}" MMCV_WITH_OPS=1 \
            "$PY" -m pip wheel -v --no-deps --no-build-isolation \
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
    fi
    log "installing mmcv from $WHEEL_DIR"
    "${PIP[@]}" --no-deps --force-reinstall "$WHEEL_DIR"/mmcv-*.whl
fi

log "installing the OpenMMLab stack ($STACK) and test requirements"
REQUIREMENT_ARGS=()
for file in "${REQUIREMENTS[@]}"; do
    REQUIREMENT_ARGS+=(-r "$file")
done
"${PIP[@]}" "${REQUIREMENT_ARGS[@]}" -r requirements/tests.txt \
    "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION" \
    "mmcv==$MMCV_VERSION" -r requirements/build.txt

# --no-deps: setup.cfg requires mmpretrain, which must not be installed
# beside mmselfsup
log "installing mmdetco (editable)"
"${PIP[@]}" --no-deps --no-build-isolation -e .

"$PY" -c "import mmcv.ops, mmdet, $STACK, mmdetco, mmdetco.compat as c; assert c.BACKEND == '$STACK', c.BACKEND; print('mmdetco', mmdetco.__version__, '| mmcv', mmcv.__version__, '| $STACK', $STACK.__version__, '| mmdet', mmdet.__version__)"
stamp_inputs | sha256sum > "$STAMP"
log "environment $VENV is ready"
