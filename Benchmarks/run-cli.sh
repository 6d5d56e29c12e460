#!/usr/bin/env bash
# Times the release `binlogtool` end to end on a generated Pika binlog (1 GiB by default) against
# `refscan`, the bare C walk of ../shared/bench (built here with gcc -O2), page cache warm.
# Per verb it alternates refscan and every binary under test, RUNS rounds, and prints the median
# wall time, MB/s, the ratio of medians to refscan of the same run, and the peak RSS.
#
#   Benchmarks/run-cli.sh [SIZE]        SIZE like 1G (default), 256M
#
# Environment:
#   RUNS      rounds per verb (default 5)
#   CLIS      binaries to compare, "label=path[,extra,arguments] ..." (default: the release build of
#             this tree as "binlogtool"); e.g. CLIS="before=/tmp/bt-before j1=$bin,--jobs,1 j2=$bin,--jobs,2"
#   VERBS     which verbs, of: stats check json text rewrite verify (default: all)
#             verify: `verify-snapshot --window 50000` on a snapshot of 1 000 000 keys and a binlog of
#             100 000 items (SnapshotBenchmarkTests writes them once into VERIFY_BENCH_DIR, default
#             $TMPDIR/binlogtool-verify-bench-1m); printed as items/s (the 100 000 items examined)
#   BINLOG_BENCH_DIR  the corpus directory (default: $TMPDIR or /tmp, keyed by corpus version and
#             size, generated once and reused)
#   REFSCAN_SRC       refscan.c (default: ../shared/bench/refscan.c beside the repository)
# MB/s are 10^6 bytes of write2file* input per second of wall clock; RSS is the peak (%M) in MiB.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
size="${1:-1G}"
runs="${RUNS:-5}"
verbs="${VERBS:-stats check json text rewrite verify}"
cd "$root"

echo "== building (release)"
swift build -c release --scratch-path .build-bench --product binlogtool
swift build -c release --package-path Benchmarks --product generate-binlog
gen="$(swift build -c release --package-path Benchmarks --show-bin-path)/generate-binlog"
clis="${CLIS:-binlogtool=$root/.build-bench/release/binlogtool}"

refscan_src="${REFSCAN_SRC:-$root/../shared/bench/refscan.c}"
refscan="$root/.build-bench/refscan"
gcc -O2 -o "$refscan" "$refscan_src"

dir="${BINLOG_BENCH_DIR:-$("$gen" --default-dir "$size")}"
echo "== corpus $dir (generated once, then reused)"
"$gen" "$dir" "$size" > /dev/null
bytes=0
files=()
for f in "$dir"/write2file*; do
    bytes=$((bytes + $(stat -c %s "$f")))
done
# refscan wants the files in file-number order.
while IFS= read -r f; do files+=("$f"); done < <(ls "$dir"/write2file* | sort -V)
echo "   $bytes bytes in ${#files[@]} files"
cat "$dir"/write2file* > /dev/null # warm the page cache
echo "   $(uptime | sed 's/^ *//'); $(nproc) cores"

timing="$(mktemp)"
samples="$(mktemp)"
trap 'rm -f "$timing" "$samples"' EXIT

# args VERB: the binlogtool arguments of a verb.
args() {
    case "$1" in
    stats) echo "dump --stats $dir" ;;
    check) echo "check $dir" ;;
    json) echo "dump --format json $dir" ;;
    text) echo "dump $dir" ;;
    rewrite) echo "rewrite $dir --format resp --out -" ;;
    esac
}

# once LABEL VERB CMD...: one timed run, appended to $samples as "VERB LABEL seconds KB status cpu".
once() {
    local label="$1" verb="$2"
    shift 2
    local status=0
    /usr/bin/time -f '%e %M %U %S' -o "$timing" "$@" > /dev/null 2>&1 || status=$?
    read -r wall rss user sys < <(tail -n 1 "$timing")
    echo "$verb $label $wall $rss $status $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" >> "$samples"
}

for verb in $verbs; do
    [ "$verb" = verify ] && continue
    echo "== $verb: $(args "$verb") ($runs rounds, alternating; load $(cut -d' ' -f1-3 /proc/loadavg))"
    for ((i = 1; i <= runs; i++)); do
        once refscan "$verb" "$refscan" "${files[@]}"
        for entry in $clis; do
            label="${entry%%=*}"
            IFS=, read -r -a extra <<< "${entry#*=}"
            path="${extra[0]}"
            extra=("${extra[@]:1}")
            # shellcheck disable=SC2046
            once "$label" "$verb" "$path" $(args "$verb") "${extra[@]}"
        done
    done
done

echo
echo "== medians (ratio: median wall / refscan's median wall for the same verb, same run; cpu: user + sys)"
printf '%-8s %-12s %9s %9s %8s %9s %9s %s\n' verb binary wall MB/s ratio cpu 'RSS MiB' exits
awk -v b="$bytes" '
    { key = $1 SUBSEP $2; n[key]++; t[key, n[key]] = $3; c[key, n[key]] = $6; if ($4 > rss[key]) rss[key] = $4
      if ($5 != 0) bad[key] = bad[key] " " $5
      if (!(key in seen)) { seen[key] = 1; order[++k] = key } }
    function median(key, cpu,   m, i, j, v, a) {
        m = n[key]; for (i = 1; i <= m; i++) a[i] = cpu ? c[key, i] : t[key, i]
        for (i = 2; i <= m; i++) { v = a[i]; for (j = i - 1; j >= 1 && a[j] > v; j--) a[j + 1] = a[j]; a[j + 1] = v }
        return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
    }
    END {
        for (i = 1; i <= k; i++) {
            split(order[i], p, SUBSEP); med = median(order[i], 0); ref = median(p[1] SUBSEP "refscan", 0)
            printf "%-8s %-12s %8.3fs %9.0f %7.2fx %8.2fs %9.1f %s\n", p[1], p[2], med, (med > 0 ? b / 1e6 / med : 0),
                (ref > 0 ? med / ref : 0), median(order[i], 1), rss[order[i]] / 1024, (bad[order[i]] == "" ? "0" : bad[order[i]])
        }
    }' "$samples"
echo "   after: $(uptime | sed 's/^ *//')"

case " $verbs " in
*" verify "*)
    vdir="${VERIFY_BENCH_DIR:-${TMPDIR:-/tmp}/binlogtool-verify-bench-1m}"
    if [ ! -f "$vdir/db0/info" ]; then
        echo "== writing the verify-snapshot data into $vdir (once)"
        swift build --build-tests
        BINLOGTOOL_SLOW_TESTS=1 BINLOGTOOL_VERIFY_BENCH_DIR="$vdir" swift test --skip-build --filter SnapshotBenchmarkTests
    fi
    echo
    echo "== verify: verify-snapshot \$vdir/db0 --binlog \$vdir/log_db0 --window 50000 --format json ($runs rounds)"
    vsamples="$(mktemp)"
    for ((i = 1; i <= runs; i++)); do
        for entry in $clis; do
            label="${entry%%=*}"
            IFS=, read -r -a extra <<< "${entry#*=}"
            path="${extra[0]}"
            /usr/bin/time -f '%e %M %U %S' -o "$timing" "$path" verify-snapshot "$vdir/db0" --binlog "$vdir/log_db0" \
                --window 50000 --format json > /dev/null 2>&1 || true
            read -r wall rss user sys < <(tail -n 1 "$timing")
            echo "$label $wall $rss $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" >> "$vsamples"
        done
    done
    printf '%-12s %9s %11s %9s %9s\n' binary wall items/s cpu 'RSS MiB'
    awk '
        { n[$1]++; t[$1, n[$1]] = $2; c[$1, n[$1]] = $4; if ($3 > rss[$1]) rss[$1] = $3; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
        function median(key, cpu,   m, i, j, v, a) {
            m = n[key]; for (i = 1; i <= m; i++) a[i] = cpu ? c[key, i] : t[key, i]
            for (i = 2; i <= m; i++) { v = a[i]; for (j = i - 1; j >= 1 && a[j] > v; j--) a[j + 1] = a[j]; a[j + 1] = v }
            return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
        }
        END { for (i = 1; i <= k; i++) { w = median(order[i], 0)
            printf "%-12s %8.3fs %11.0f %8.2fs %9.1f\n", order[i], w, (w > 0 ? 100000 / w : 0), median(order[i], 1), rss[order[i]] / 1024 } }' "$vsamples"
    rm -f "$vsamples"
    ;;
esac
