#!/usr/bin/env bash
# Runs every benchmark and evaluation in sequence (never in parallel: they would measure each other)
# and collects each one's final JSON line, with the machine it ran on, into bench/results/figures.md.
# Full logs go to var/bench-logs/. Usage: scripts/bench-all.sh [name ...]  (default: all of them)
# The figures in the top-level README come from this script.
set -uo pipefail
cd "$(dirname "$0")/.."

TRACES="${EARMARK_TRACES:-../shared/traces}"
AZ="$TRACES/azure-functions-2019"
declare -A CMD=(
  [plugin]="npm run -s bench:plugin"
  [wasm-host]="npx tsx bench/wasm-host.bench.ts"
  [distribution]="npm run -s bench:distribution"
  [ingest]="npm run -s bench:ingest"
  [forecast]="npm run -s bench:forecast"
  [allocate]="npm run -s bench:allocate"
  [eval-forecast]="npm run -s eval:forecast -- --issue-series $TRACES"
  [eval-replay]="npm run -s eval:replay -- --invocations $AZ/sample-1000fn/1000_inv.csv --memory $AZ/sample-1000fn/1000_mem.csv"
  [e2e-10fn]="npm run -s bench:e2e -- --trace $AZ/sample-10fn-original-format"
  [e2e-1000fn]="npm run -s bench:e2e -- --trace $AZ/sample-1000fn"
)
ORDER=(plugin wasm-host distribution ingest forecast allocate eval-forecast eval-replay e2e-10fn e2e-1000fn)
[ "$#" -gt 0 ] && ORDER=("$@")

mkdir -p var/bench-logs bench/results
out=bench/results/figures.md
{
  echo "# Measured figures"
  echo
  echo "Produced by \`scripts/bench-all.sh\` on $(date -u +'%Y-%m-%d %H:%M UTC'):"
  echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)),"
  echo "$(free -g | awk '/Mem:/{print $2}') GiB, Node $(node --version), load average at start $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| benchmark | command | wall s | final JSON line |"
  echo "|---|---|---|---|"
} >"$out"

status=0
for name in "${ORDER[@]}"; do
  cmd="${CMD[$name]:-}"
  if [ -z "$cmd" ]; then echo "unknown benchmark: $name (known: ${!CMD[*]})" >&2; exit 2; fi
  log="var/bench-logs/$name.log"
  echo "== $name: $cmd"
  start=$(date +%s)
  if ! bash -c "$cmd" >"$log" 2>&1; then
    echo "   FAILED (see $log)"
    status=1
  fi
  secs=$(($(date +%s) - start))
  json=$(grep -E '^\{.*\}$' "$log" | tail -1)
  echo "   ${secs}s ${json:-no JSON line}"
  echo "| $name | \`$cmd\` | $secs | \`${json:-none (failed, see log)}\` |" >>"$out"
done
echo "figures: $out"
exit $status
