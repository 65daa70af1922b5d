# mmcurate: setup, demo, tests. Needs only python3.11 on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install -q --disable-pip-version-check

.PHONY: demo test test-fast lint integration vllm-venv venv dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Core install: enough for the demo (no GPU, no model server).
$(VENV)/.stamp-core: pyproject.toml | $(BIN)/python
	$(PIP) -e .
	touch $@

# Everything the tests need: extras, plus system packages when missing.
$(VENV)/.stamp-dev: pyproject.toml scripts/setup_system.sh | $(BIN)/python
	bash scripts/setup_system.sh
	$(PIP) -e '.[dev,ml,agent,ocr,ray,synth,train]'
	touch $@ $(VENV)/.stamp-core $(VENV)/.stamp-demo

# The demo's install: the agent (LangGraph), lite scoring (MiniLM, Tesseract), FAISS.
$(VENV)/.stamp-demo: pyproject.toml scripts/setup_system.sh | $(BIN)/python
	bash scripts/setup_system.sh tesseract
	$(PIP) -e '.[ml,agent,ocr]'
	touch $@ $(VENV)/.stamp-core

venv: $(VENV)/.stamp-core
dev: $(VENV)/.stamp-dev

demo: $(VENV)/.stamp-demo
	$(BIN)/curate demo demo-out

# The whole suite: unit tests, then the integration tests against a real vLLM CPU server
# (its own venv, .venv-vllm, made once by scripts/setup_vllm_server.sh).
test: $(VENV)/.stamp-dev vllm-venv
	$(BIN)/pytest -q

# Unit tests only (integration tests skip without .venv-vllm; they fail under CI=true).
test-fast: $(VENV)/.stamp-dev
	$(BIN)/pytest -q -m "not integration"

integration: $(VENV)/.stamp-dev vllm-venv
	$(BIN)/pytest -q -m integration tests/integration

vllm-venv:
	bash scripts/setup_vllm_server.sh

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check mmcurate tests bench
	$(BIN)/ruff format --check mmcurate tests bench
	$(BIN)/mypy mmcurate

clean:
	rm -rf demo-out .pytest_cache .mypy_cache .ruff_cache
