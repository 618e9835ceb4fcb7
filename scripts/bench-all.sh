#!/usr/bin/env bash
# Runs every benchmark and evaluation in sequence (never in parallel: they would measure each other)
# and collects each one's final JSON line, with the machine it ran on, into bench/results/figures.md.
# Full logs go to var/bench-logs/. Usage: scripts/bench-all.sh [name ...]  (default: all of them).
# Naming some reruns only those; figures.md is rebuilt from the newest log of every benchmark.
# The figures in the top-level README come from this script.
set -uo pipefail
cd "$(dirname "$0")/.."

TRACES="${EARMARK_TRACES:-../shared/traces}"
AZ="$TRACES/azure-functions-2019"
declare -A CMD=(
  [plugin]="npm run -s bench:plugin"
  [wasm-host]="env GLIBC_TUNABLES=glibc.malloc.hugetlb=1 npx tsx bench/wasm-host.bench.ts"
  [distribution]="npm run -s bench:distribution"
  [ingest]="npm run -s bench:ingest"
  [forecast]="npm run -s bench:forecast"
  [allocate]="npm run -s bench:allocate"
  [eval-forecast]="npm run -s eval:forecast -- --issue-series $TRACES"
  [eval-replay]="npm run -s eval:replay -- --invocations $AZ/sample-1000fn/1000_inv.csv --memory $AZ/sample-1000fn/1000_mem.csv"
  [e2e-10fn]="npm run -s bench:e2e -- --trace $AZ/sample-10fn-original-format --minutes 60"
  [e2e-1000fn]="npm run -s bench:e2e -- --trace $AZ/sample-1000fn --minutes 60"
  [e2e-1000fn-rate154]="npm run -s bench:e2e -- --trace $AZ/sample-1000fn --minutes 60 --rate 154 --name sample-1000fn-rate154-seed1"
)
ALL=(plugin wasm-host distribution ingest forecast allocate eval-forecast eval-replay e2e-10fn e2e-1000fn e2e-1000fn-rate154)
ORDER=("${ALL[@]}")
[ "$#" -gt 0 ] && ORDER=("$@")
mkdir -p var/bench-logs bench/results

status=0
for name in "${ORDER[@]}"; do
  cmd="${CMD[$name]:-}"
  if [ -z "$cmd" ]; then echo "unknown benchmark: $name (known: ${ALL[*]})" >&2; exit 2; fi
  log="var/bench-logs/$name.log"
  echo "== $name: $cmd"
  start=$(date +%s)
  load=$(cut -d' ' -f1 /proc/loadavg)
  if ! bash -c "$cmd" >"$log" 2>&1; then
    echo "   FAILED (see $log)"
    status=1
  fi
  secs=$(($(date +%s) - start))
  printf '%s\t%s\t%s\n' "$(date -u +'%Y-%m-%d %H:%M')" "$secs" "$load" >"$log.meta"
  echo "   ${secs}s $(grep -E '^\{.*\}$' "$log" | tail -1)"
done

out=bench/results/figures.md
{
  echo "# Measured figures"
  echo
  echo "Produced by \`scripts/bench-all.sh\` on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)),"
  echo "$(free -g | awk '/Mem:/{print $2}') GiB, Node $(node --version). Load average is the 1-minute figure when each run started."
  echo
  echo "| benchmark | command | run at (UTC) | wall s | load | final JSON line |"
  echo "|---|---|---|---|---|---|"
  for name in "${ALL[@]}"; do
    log="var/bench-logs/$name.log"
    [ -f "$log.meta" ] || continue
    IFS=$'\t' read -r when secs load <"$log.meta"
    json=$(grep -E '^\{.*\}$' "$log" | tail -1)
    echo "| $name | \`${CMD[$name]}\` | $when | $secs | $load | \`${json:-none (failed, see log)}\` |"
  done
} >"$out"
echo "figures: $out"
exit $status
