# make test  - set up .venv if needed, then run the test suite
# make demo  - set up .venv if needed, then run the embedded demo
VENV ?= .venv
PYTHON := $(VENV)/bin/python
export VENV

.PHONY: setup test demo lint

setup:
	bash tools/setup_env.sh

test: setup
	$(PYTHON) -m pytest tests

demo: setup
	$(PYTHON) tools/run_demo.py

lint: setup
	$(PYTHON) -m flake8 mmdetco tools tests configs
