# make test            - set up .venv if needed, then run the test suite
# make demo            - set up .venv if needed, then run the embedded demo
# make test-mmselfsup  - set up .venv-mmselfsup (MMSelfSup 1.x) too, then run
#                        the tests of that environment, against .venv
# make docs            - install requirements/docs.txt into .venv, then build
#                        docs/en to docs/en/_build/html (warnings are errors)
VENV ?= .venv
VENV_MMSELFSUP ?= .venv-mmselfsup
PYTHON := $(VENV)/bin/python
export VENV

.PHONY: setup setup-mmselfsup test test-mmselfsup demo lint docs

setup:
	bash tools/setup_env.sh

setup-mmselfsup:
	MMDETCO_STACK=mmselfsup VENV=$(VENV_MMSELFSUP) bash tools/setup_env.sh

test: setup
	$(PYTHON) -m pytest tests

# --confcutdir: tests/conftest.py belongs to the MMPretrain environment
test-mmselfsup: setup setup-mmselfsup
	MMDETCO_MAIN_PYTHON=$(abspath $(PYTHON)) $(VENV_MMSELFSUP)/bin/python \
		-m pytest --confcutdir=tests/test_mmselfsup tests/test_mmselfsup

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
