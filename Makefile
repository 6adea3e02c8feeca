# make test            - set up .venv if needed, then run the test suite
#                        (both tiers, as CI does)
# make test-fast       - the fast tier: the tests that spawn no process, build
#                        no Runner and train nothing (-m "not slow"; seconds
#                        each, run it after every change)
# make test-cluster    - the DDP tier: every pre-training config trains 3
#                        iterations in 2 gloo processes (about 8 minutes)
# make demo            - set up .venv if needed, then run the embedded demo
# make test-mmselfsup  - set up .venv-mmselfsup (MMSelfSup 1.x) too, then run
#                        the tests of that environment, against .venv
# make test-classic    - set up .venv-classic (the classic OpenMMLab GPU stack:
#                        Python 3.10, torch 2.1.2, docs/en/gpu_install.md) if
#                        needed, then run the stack-sensitive tests there
# make mmcv-cuda       - build mmcv with CUDA ops in .venv-cuda (slow, not in
#                        CI; TORCH_CUDA_ARCH_LIST, default 9.0)
# make docs            - install requirements/docs.txt into .venv, then build
#                        docs/en to docs/en/_build/html (warnings are errors)
VENV ?= .venv
VENV_MMSELFSUP ?= .venv-mmselfsup
VENV_CLASSIC ?= .venv-classic
VENV_CUDA ?= .venv-cuda
# a Python 3.10: python3.10 if it runs, else pyenv's
PYTHON_CLASSIC ?= $(shell for p in python3.10 \
	$$(pyenv root 2>/dev/null)/versions/3.10*/bin/python3.10; do \
	$$p -c '' 2>/dev/null && echo $$p && break; done)
PYTHON := $(VENV)/bin/python
export VENV

.PHONY: setup setup-mmselfsup setup-classic test test-fast test-cluster \
	test-mmselfsup test-classic mmcv-cuda demo lint docs

setup:
	bash tools/setup_env.sh

setup-mmselfsup:
	MMDETCO_STACK=mmselfsup VENV=$(VENV_MMSELFSUP) bash tools/setup_env.sh

setup-classic:
	@test -n "$(PYTHON_CLASSIC)" || { echo "no Python 3.10 found:" \
		"set PYTHON_CLASSIC=/path/to/python3.10" >&2; exit 1; }
	PYTHON=$(PYTHON_CLASSIC) TORCH_VERSION=2.1.2 TORCHVISION_VERSION=0.16.2 \
		VENV=$(VENV_CLASSIC) bash tools/setup_env.sh

mmcv-cuda:
	FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST=$${TORCH_CUDA_ARCH_LIST:-9.0} \
		VENV=$(VENV_CUDA) bash tools/setup_env.sh

test: setup
	$(PYTHON) -m pytest -m "not cluster" tests

test-fast: setup
	$(PYTHON) -m pytest -m "not slow and not cluster" tests

# docs/en/launch.md#what-the-ddp-tier-rehearses
test-cluster: setup
	$(PYTHON) -m pytest -n 2 -m cluster tests/test_cluster

# --confcutdir: tests/conftest.py belongs to the MMPretrain environment
test-mmselfsup: setup setup-mmselfsup
	MMDETCO_MAIN_PYTHON=$(abspath $(PYTHON)) $(VENV_MMSELFSUP)/bin/python \
		-m pytest --confcutdir=tests/test_mmselfsup tests/test_mmselfsup

# The classic stack (Python 3.10, torch 2.1) runs the fast tier and the slow
# tests marked `stack`: those of the code whose behaviour can differ with
# Python and torch (checkpoints and resume, distributed training and its
# launchers, device-side augmentation, compiled steps); the other slow tests
# (configs trained end to end, benchmarks, the demo application, packaging)
# run the same code on any stack: the main stack runs them.
test-classic: setup-classic
	$(VENV_CLASSIC)/bin/python -m pytest -m "(not slow or stack) and not cluster" \
		tests

demo: setup
	$(PYTHON) tools/run_demo.py

# Sphinx alone: no need for the (mmcv-building) set-up of the other targets.
# -E re-reads every page, so that a rebuild reports every warning again.
docs:
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --progress-bar off -q -r requirements/docs.txt
	$(PYTHON) -m sphinx -E -W --keep-going -b html docs/en docs/en/_build/html

lint: setup
	$(PYTHON) -m flake8 mmdetco tools tests configs
