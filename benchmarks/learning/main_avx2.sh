#!/usr/bin/env bash
# The main job (rewardkit demo, defaults) on this machine run as a CPU without native bf16:
# PyTorch's kernels, oneDNN and MKL limited to AVX2, so model.dtype = "auto" resolves to float32.
# Writes OUT/run.log (with /usr/bin/time -v) and the load average every 30 s (OUT/load_*.txt).
#   bash benchmarks/learning/main_avx2.sh OUT [demo args...]
#   PASSIVE=1 bash benchmarks/learning/main_avx2.sh OUT   # idle OpenMP threads sleep (timing under load)
set -euo pipefail
out=$1; shift
mkdir -p "$out"
export ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2
if [ "${PASSIVE:-0}" = 1 ]; then export OMP_WAIT_POLICY=PASSIVE; fi
cd "$(dirname "$0")/../.."
cat /proc/loadavg > "$out/load_start.txt"
( while true; do cat /proc/loadavg; sleep 30; done ) > "$out/load_during.txt" &
watcher=$!
trap 'kill $watcher' EXIT
nice -n 5 /usr/bin/time -v python3 -m rewardkit.demo --out "$out" "$@" > "$out/run.log" 2>&1
cat /proc/loadavg > "$out/load_end.txt"
