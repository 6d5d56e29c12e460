#!/usr/bin/env bash
# Adds up the runs logged by Fuzz/run.sh: executions, time, the last coverage line, findings.
set -euo pipefail
out="$(cd "$(dirname "$0")/.." && pwd)/.build-fuzz"
total=0
seconds=0
for log in "$out"/logs/run-*.log; do
    [[ -f $log ]] || continue
    runs=$(grep -a '^stat::number_of_executed_units:' "$log" | awk '{print $2}' | tail -n 1 || true)
    if [[ -z $runs ]]; then
        # A run that was stopped: take its last status line.
        runs=$(grep -aoE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#' || true)
    fi
    last=$(grep -aE '^#[0-9]+.*cov:' "$log" | tail -n 1 || true)
    secs=$(grep -aoE 'Done [0-9]+ runs in [0-9]+ second' "$log" | awk '{print $5}' | tail -n 1 || true)
    targets=$(grep -a 'executions by target' "$log" | tail -n 1 | sed 's/.*target: //' || true)
    echo "$(basename "$log"): ${runs:-0} executions${secs:+ in ${secs}s}; last: ${last:-none}"
    [[ -n $targets ]] && echo "    by target: $targets"
    total=$((total + ${runs:-0}))
    seconds=$((seconds + ${secs:-0}))
done
echo "total: $total executions (${seconds}s in completed runs)"
echo "corpus: $(ls "$out/corpus" | wc -l) inputs; findings: $(ls "$out/findings" | wc -l)"
