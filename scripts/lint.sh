#!/usr/bin/env bash
# The lint gate of .ci/run: ruff and mypy on core/ and every plugin package (config in pyproject.toml).
#   bash scripts/lint.sh            # check everything
#   bash scripts/lint.sh PATH...    # ruff and mypy on some paths only
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ $# -gt 0 ]; then
  "$PY" -m ruff check "$@"
  "$PY" -m mypy "$@"
  exit
fi
pkgs=()
for d in plugins/*/rewardkit_*/; do
  if compgen -G "$d*.py" >/dev/null; then pkgs+=("${d%/}"); fi
done
status=0
"$PY" -m ruff check core plugins || status=1
"$PY" -m mypy core/rewardkit "${pkgs[@]}" || status=1
exit $status
