#!/usr/bin/env bash
# Times the release `binlogtool rewrite` end to end on the generated Pika binlog (1 GiB by
# default, the corpus of run-cli.sh): a binlog output (written, fsynced, renamed into place), a
# RESP stream to /dev/null, and a binlog output with the JSON Lines report. Page cache warm,
# /usr/bin/time; the output directory is removed between runs.
#
#   Benchmarks/run-rewrite.sh [SIZE]        SIZE like 1G (default), 256M
#
# Environment: RUNS (default 3); BINLOG_BENCH_DIR for the corpus (as run-cli.sh); OUT_DIR for the
# outputs (default: a temporary directory on the same file system as $TMPDIR).
# MB/s are 10^6 bytes of write2file* input per second of wall clock, and per second of CPU time
# (user + sys, both threads); RSS is the peak (%M).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
size="${1:-1G}"
runs="${RUNS:-3}"
cd "$root"

echo "== building (release)"
swift build -c release --scratch-path .build-bench-rewrite --product binlogtool
swift build -c release --package-path Benchmarks --product generate-binlog
cli="$root/.build-bench-rewrite/release/binlogtool"
gen="$(swift build -c release --package-path Benchmarks --show-bin-path)/generate-binlog"

dir="${BINLOG_BENCH_DIR:-$("$gen" --default-dir "$size")}"
echo "== corpus $dir (generated once, then reused)"
"$gen" "$dir" "$size" > /dev/null
bytes=0
for f in "$dir"/write2file*; do bytes=$((bytes + $(stat -c %s "$f"))); done
echo "   $bytes bytes"
cat "$dir"/write2file* > /dev/null

out="${OUT_DIR:-$(mktemp -d)}"
timing="$(mktemp)"
trap 'rm -rf "$timing" "$out"/rewrite-bench-*' EXIT

# run LABEL ARGS...: RUNS timed runs of `binlogtool rewrite DIR ARGS`.
run() {
    local label="$1"
    shift
    for ((i = 1; i <= runs; i++)); do
        rm -rf "$out"/rewrite-bench-*
        local load status=0
        load="$(cut -d' ' -f1 /proc/loadavg)"
        /usr/bin/time -f '%e %U %S %M' -o "$timing" "$cli" rewrite "$dir" "$@" > /dev/null 2>&1 || status=$?
        read -r wall user sys rss < <(tail -n 1 "$timing")
        awk -v l="$label" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v b="$bytes" -v st="$status" -v ld="$load" \
            'BEGIN { printf "%-26s %6.2f s wall %5.2f user %5.2f sys %6.1f MiB  %4.0f MB/s wall %4.0f MB/s CPU  load %s%s\n",
                     l, w, u, s, r / 1024, b / 1e6 / w, b / 1e6 / (u + s), ld, (st != 0 ? "  (exit " st ")" : "") }'
    done
}

echo "== binlogtool rewrite ($runs runs each)"
run "--format binlog" --out "$out/rewrite-bench-binlog"
run "--format resp --out -" --format resp --out -
run "--format binlog --report" --out "$out/rewrite-bench-binlog" --report "$out/rewrite-bench-report.jsonl"
