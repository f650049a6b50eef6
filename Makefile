# Two entry points for a fresh machine: `make demo` and `make test` (see README.md).
# Everything a run needs is installed here, so a bare machine and CI behave the same.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.learnathon-installed

.PHONY: setup system-deps sandbox-deps demo live test test-e2e test-all lint bench clean

setup: $(STAMP)

# torch goes first and pinned: an unpinned torch pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# System packages some tests drive (a headless browser for the quiz slide deck).
system-deps:
	@missing=""; for p in $$(grep -v '^#' .ci/apt-packages.txt); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing system packages:$$missing (install them as root)"; exit 1; fi; fi

# bubblewrap builds the sandbox's allowlist root (as root; without it the sandbox runs unprotected and says so).
sandbox-deps:
	@if [ "$$(id -u)" = 0 ] && ! command -v bwrap >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; fi

demo: setup sandbox-deps
	$(BIN)/learnathon demo

# The lecture's quiz live, reachable from the phones on this machine's network (README: Live session).
LIVE_QUIZ ?= lecture
LIVE_HOST ?= 0.0.0.0
live: setup
	$(BIN)/learnathon live $(LIVE_QUIZ) --host $(LIVE_HOST)

test: setup system-deps
	$(BIN)/pytest -m "not e2e"

test-e2e: setup system-deps
	$(BIN)/pytest -m e2e

test-all: setup system-deps
	$(BIN)/pytest

# ruff (lint and import order) and mypy, configured in pyproject.toml; CI runs both.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: setup
	$(BIN)/python benchmarks/autograde_class.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
