#!/usr/bin/env bash
# Times the release `binlogtool` end to end on a generated Pika binlog (1 GiB by default):
# `dump --stats` and `dump --format json > /dev/null`, page cache warm, with /usr/bin/time.
#
#   Benchmarks/run-cli.sh [SIZE]        SIZE like 1G (default), 256M
#
# Environment: RUNS (default 3) runs per command; BINLOG_BENCH_DIR to put the corpus elsewhere
# (default: $TMPDIR or /tmp, keyed by the corpus version and size, generated once and reused).
# MB/s are 10^6 bytes of write2file* input per second of wall clock; RSS is the peak (%M).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
size="${1:-1G}"
runs="${RUNS:-3}"
cd "$root"

echo "== building (release)"
swift build -c release --scratch-path .build-bench --product binlogtool
swift build -c release --package-path Benchmarks --product generate-binlog
cli="$root/.build-bench/release/binlogtool"
gen="$(swift build -c release --package-path Benchmarks --show-bin-path)/generate-binlog"

dir="${BINLOG_BENCH_DIR:-$("$gen" --default-dir "$size")}"
echo "== corpus $dir (generated once, then reused)"
"$gen" "$dir" "$size" > /dev/null
bytes=0
files=0
for f in "$dir"/write2file*; do
    bytes=$((bytes + $(stat -c %s "$f")))
    files=$((files + 1))
done
echo "   $bytes bytes in $files files"
cat "$dir"/write2file* > /dev/null # warm the page cache
echo "   load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

timing="$(mktemp)"
trap 'rm -f "$timing"' EXIT

# run LABEL ARGS...: RUNS timed runs of `binlogtool dump ARGS DIR > /dev/null`.
run() {
    local label="$1"
    shift
    for ((i = 1; i <= runs; i++)); do
        local status=0
        /usr/bin/time -f '%e s %M KB' -o "$timing" "$cli" dump "$@" "$dir" > /dev/null || status=$?
        local line seconds
        line="$(tail -n 1 "$timing")"
        seconds="${line%% s*}"
        awk -v l="$label" -v t="$line" -v s="$seconds" -v b="$bytes" -v st="$status" \
            'BEGIN { printf "%-22s %-22s %8.0f MB/s%s\n", l, t, (s > 0 ? b / 1e6 / s : 0), (st != 0 ? "  (exit " st ")" : "") }'
    done
}

echo "== binlogtool dump ($runs runs each)"
run "dump --stats" --stats
run "dump --format json" --format json
