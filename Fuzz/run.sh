#!/usr/bin/env bash
# Builds the libFuzzer target over the BinlogFormat parsers and runs it.
#
#   Fuzz/run.sh                 run for 60 seconds
#   Fuzz/run.sh 3600            run for an hour
#   Fuzz/run.sh -runs=10000000  run ten million inputs
#   Fuzz/run.sh FILE...         replay saved inputs (e.g. .build-fuzz/findings/crash-*)
#   Fuzz/run.sh --coverage      line/region coverage of Sources/BinlogFormat by the saved corpus
#   Fuzz/run.sh --build         build the target only (scripts/test does)
#   FUZZ_TARGETS=resp,info Fuzz/run.sh ...   only these targets (names: see FuzzTarget)
#
# Everything goes under .build-fuzz/ (ignored by git):
#   spm/                      SwiftPM build of the dependencies (swift-system, LZ4Frame), release
#   binlogformat-fuzz         Sources/BinlogFormat/*.swift + Fuzz/FuzzTargets.swift, -sanitize=fuzzer,address
#   seeds/                    seed corpus made from the real fixtures (rebuilt every run)
#   corpus/                   the corpus libFuzzer grows (kept between runs)
#   findings/                 crash-*, timeout-*, oom-* inputs
#   logs/run-<time>.log       libFuzzer's output of each run (Fuzz/summary.sh adds them up)
#
# One job only (the machine is shared). Set FUZZ_FLAGS for extra libFuzzer flags.
set -euo pipefail

# One function, parsed whole before it runs: editing this file during a long run is safe.
main() {

root=$(cd "$(dirname "$script")/.." && pwd)
out="$root/.build-fuzz"
spm="$out/spm"
binary="$out/binlogformat-fuzz"
mkdir -p "$out/seeds" "$out/corpus" "$out/findings" "$out/logs"

# 1. Dependencies, built by SwiftPM without instrumentation (they only do file I/O and LZ4).
for target in SystemPackage LZ4Frame; do
    swift build -c release --scratch-path "$spm" --target "$target" >"$out/spm-build.log" 2>&1 ||
        { cat "$out/spm-build.log" >&2; exit 1; }
done
release=$(cd "$spm/release" && pwd -P)
system_map=$(find "$spm/checkouts" -path '*swift-system/Sources/CSystem/include/module.modulemap' | head -n 1)

# 2. The target: the format module's sources compiled together with the entry point.
sources=("$root"/Sources/BinlogFormat/*.swift "$root"/Fuzz/*.swift)
needs_build=0
[[ -x "$binary" ]] || needs_build=1
for s in "${sources[@]}" "$script"; do [[ "$s" -nt "$binary" ]] && needs_build=1; done
if [[ $needs_build == 1 ]]; then
    echo "building $binary" >&2
    # SwiftPM's package name: the root package's identity (its directory name), as an identifier.
    package_name=$(basename "$root" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9_\n' '_')
    swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name BinlogFormat -package-name "$package_name" \
        -I "$release/Modules" -I "$root/Sources/CLZ4" -Xcc -fmodule-map-file="$system_map" \
        -use-ld=lld \
        "${sources[@]}" \
        "$release"/SystemPackage.build/*.o "$release"/CSystem.build/*.o "$release"/LZ4Frame.build/*.o \
        -llz4 -o "$binary"
fi

# `--build`: only (re)build the target and say where it is (scripts/test builds it so that it
# cannot rot unseen).
if [[ ${1:-} == --build ]]; then
    echo "$binary"
    return 0
fi

# Coverage of the corpus: a second build with coverage mapping (no sanitizer) replays every
# saved input once and prints llvm-cov's per-file report of Sources/BinlogFormat.
if [[ ${1:-} == --coverage ]]; then
    coverage_binary="$out/binlogformat-coverage"
    swiftc -sanitize=fuzzer -profile-generate -profile-coverage-mapping -parse-as-library -O \
        -module-name BinlogFormat -package-name "$(basename "$root" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9_\n' '_')" \
        -I "$release/Modules" -I "$root/Sources/CLZ4" -Xcc -fmodule-map-file="$system_map" -use-ld=lld \
        "${sources[@]}" \
        "$release"/SystemPackage.build/*.o "$release"/CSystem.build/*.o "$release"/LZ4Frame.build/*.o \
        -llz4 -o "$coverage_binary"
    rm -f "$out"/coverage-*.profraw
    LLVM_PROFILE_FILE="$out/coverage-%p.profraw" SWIFT_BACKTRACE=enable=no \
        "$coverage_binary" -runs=0 -max_len=300000 "$out/corpus" >"$out/coverage-run.log" 2>&1 || true
    # The toolchain's own LLVM tools (a system llvm-profdata may not read its profile format).
    toolchain=$(dirname "$(readlink -f "$(command -v swiftc)")")
    "$toolchain/llvm-profdata" merge -sparse "$out"/coverage-*.profraw -o "$out/coverage.profdata"
    "$toolchain/llvm-cov" report "$coverage_binary" -instr-profile="$out/coverage.profdata" \
        "$root"/Sources/BinlogFormat/*.swift | sed "s|$root/||"
    return 0
fi

# 3. Seeds from the real fixtures: selector byte + input (see FuzzTarget in FuzzTargets.swift).
python3 - "$root" "$out/seeds" <<'PY'
import os, sys, glob, hashlib
root, seeds = sys.argv[1], sys.argv[2]
for f in glob.glob(os.path.join(seeds, '*')):
    os.remove(f)
def fixture(rel):
    for base in ('Fixtures/pika-real', '../shared/fixtures/pika-real'):
        p = os.path.normpath(os.path.join(root, base, rel))
        if os.path.exists(p):
            return p
    return None
def seed(selector, data):
    blob = bytes([selector]) + data
    name = hashlib.sha1(blob).hexdigest()
    with open(os.path.join(seeds, name), 'wb') as out:
        out.write(blob)
DECODER, ACROSS, FROM_BLOCK, STREAM, RESP, MANIFEST, INFO, CONTEXT, WRITER = range(9)
binlogs = {
    'basic/binlog/log_db0/write2file0': 256 * 1024,      # multi-block items
    'minsize/binlog/log_db0/write2file0': 4096,
    'minsize/binlog/log_db0/write2file9': 4096,
    'minsize/binlog/log_db0/write2file16': 16384,
    'minsize/binlog/log_db0/write2file8': 128 * 1024,     # item across a block end
    'slave/slave/binlog/log_db0/write2file7': 64 * 1024,  # kBadRecord padding first
    'v4-slave/slave/binlog/log_db0/write2file7': 64 * 1024,
    'crash/binlog/log_db0/write2file1': 256 * 1024,       # 300 KB items (cut), zero tail
    'v4-basic/binlog/log_db0/write2file0': 128 * 1024,
    'bgsave/binlog/log_db0/write2file4': 192 * 1024,     # block trailer at 131069
}
small = []
for rel, limit in binlogs.items():
    p = fixture(rel)
    if not p:
        continue
    data = open(p, 'rb').read()[:limit]
    for selector in (DECODER, ACROSS, WRITER):
        seed(selector, data[:64 * 1024] if selector == ACROSS else data)
    seed(FROM_BLOCK, bytes([len(data) % 7]) + data)
    if len(data) <= 16384:
        small.append(data)
    # RESP contents of the Full records in the first block.
    at = 0
    while at + 8 <= min(len(data), 65536):
        n = data[at] | data[at + 1] << 8 | data[at + 2] << 16
        t = data[at + 7]
        if n == 0 or at + 8 + n > len(data):
            break
        if t == 1 and n > 34:
            seed(RESP, data[at + 8 + 34:at + 8 + n])
        at += 8 + n
        if 65536 - at % 65536 < 8:
            at += 65536 - at % 65536
# Crafted streams for what the real (v3.5/v4) fixtures lack, framed as Pika's Produce does
# (Docs/Format.md §B4): E2a and E2b items (§B7), padding items (§B9), AppendBlank spaces (§B10A),
# empty items (§B13), a zero-length First in a block's last 8 bytes, kBadRecord padding (§B10C).
import struct
def resp(argv):
    out = b'*%d\r\n' % len(argv)
    for a in argv:
        out += b'$%d\r\n' % len(a) + a + b'\r\n'
    return out
def header(length, rtype, t=1700000000):
    return struct.pack('<I', length)[:3] + struct.pack('<I', t) + bytes([rtype])
class Writer:
    def __init__(self):
        self.b = bytearray()
    def frame(self, payload):
        left, i, first = len(payload), 0, True
        while True:
            leftover = 65536 - len(self.b) % 65536
            if leftover < 8:
                self.b += bytes(leftover)
            avail = 65536 - len(self.b) % 65536 - 8
            n = min(left, avail)
            last = n == left
            t = 1 if first and last else 2 if first else 4 if last else 3
            self.b += header(n, t) + payload[i:i + n]
            left -= n
            i += n
            first = False
            if left == 0:
                break
    def e3(self, argv, logic):
        content = resp(argv)
        self.frame(struct.pack('<HIIQIQI', 1, 1650000000, 0, logic, 0, 0, len(content)) + content)
    def fill(self, gap, logic):
        size = 65536 - len(self.b) % 65536 - gap - 8 - 34
        # `*3` 4 + `$3 set` 9 + `$1 k` 7 + `$<d>` d + 3 + v + CRLF 2 bytes of RESP.
        for digits in range(1, 6):
            n = size - 25 - digits
            if n >= 0 and len(str(n)) == digits:
                self.e3([b'set', b'k', b'v' * n], logic)
                assert 65536 - len(self.b) % 65536 == gap or (gap == 0 and len(self.b) % 65536 == 0)
                return
        raise Exception('no fill')
e2a, e2b, pad, blank, edge = Writer(), Writer(), Writer(), Writer(), Writer()
for i in range(60):
    value = b'x' * (70000 if i % 20 == 7 else (i * 37) % 900)
    e2a.frame(resp([b'set', b'k%d' % i, value]))
    info = struct.pack('<IIQ', 1400000000 + i, 2, 1000 * i) if i % 3 else b''
    e2b.frame(resp([b'SET', b'k%d' % i, value, b'__PIKA_X#$SKGI', b'%d' % (i % 4), info, b'1' if info else b'0']))
for size in (61, 100, 4000, 65528):
    n = size - 34 - 27
    content = b'*2\r\n$7\r\npadding\r\n$' + b'%05d' % n + b'\r\n' + b'*' * n + b'\r\n'
    pad.frame(struct.pack('<HIIQIQI', 1, 0, 0, 0, 0, 0, len(content)) + content)
pad.e3([b'set', b'after', b'padding'], 1)
blank.b += b' ' * 65536
blank.b += header(300, 1) + b' ' * 300
blank.e3([b'set', b'after', b'blank'], 1)
edge.b += header(1352, 6) + b'*' * 1352
edge.e3([b'set', b'a', b'1'], 1)
edge.b += header(0, 1)                      # an empty item (failed SETNX, v3.3.0-3.3.5)
edge.fill(8, 2)                             # ends exactly 8 bytes before the block end
edge.e3([b'set', b'k', b'y' * 70000], 3)    # zero-length First in the last 8 bytes
edge.fill(8, 4)
edge.b += header(0, 1)                      # an empty item in the last 8 bytes of a block
edge.e3([b'set', b'z', b'1'], 5)
for w in (e2a, e2b, pad, blank, edge):
    data = bytes(w.b[:290000])
    for selector in (DECODER, ACROSS, WRITER):
        seed(selector, data[:65536] if selector == ACROSS else data)
    seed(FROM_BLOCK, bytes([0]) + data)
    seed(RESP, resp([b'SET', b'k', b'v', b'__PIKA_X#$SKGI', b'1', b'0123456789abcdef', b'1']))
joined = b''.join(small[:3])
if joined:
    seed(STREAM, bytes([1, 3, 0, 0]) + joined)
    seed(STREAM, bytes([2, 5, 0x81, 9]) + joined)
for rel in ('basic/binlog/log_db0/manifest', 'minsize/binlog/log_db0/manifest',
            'slave/slave/binlog/log_db0/manifest', 'v4-slave/slave/binlog/log_db0/manifest',
            'crash/binlog/log_db0/manifest'):
    p = fixture(rel)
    if p:
        data = open(p, 'rb').read()
        seed(MANIFEST, data[:64])
        seed(MANIFEST, data)
        seed(CONTEXT, data[:32])
for rel in ('bgsave/dump/20261120/db0/info', 'v4-bgsave/dump/20261121/db0/info',
            'v4-slave/master/fullsync-dump-info'):
    p = fixture(rel)
    if p:
        seed(INFO, open(p, 'rb').read())
seed(INFO, b'12s\n127.0.0.1\n9221\n7\n262165\n3\n11963\n')
PY

# 4. Run. A number alone is seconds; anything else is passed to libFuzzer as is. Saved inputs
# (files) given as arguments are replayed one by one instead of fuzzing the corpus.
export SWIFT_BACKTRACE=enable=no
replay=0
for a in "$@"; do [[ $a != -* && -f $a ]] && replay=1; done
if [[ $replay == 1 ]]; then
    exec "$binary" "$@"
fi
args=()
if [[ $# -eq 0 ]]; then
    args=(-max_total_time=60)
elif [[ $1 =~ ^[0-9]+$ ]]; then
    args=(-max_total_time="$1")
    shift
fi
# shellcheck disable=SC2086
"$binary" -max_len=300000 -timeout=20 -rss_limit_mb=3072 -print_final_stats=1 \
    -artifact_prefix="$out/findings/" ${FUZZ_FLAGS:-} "${args[@]}" "$@" "$out/corpus" "$out/seeds" \
    2>&1 | tee "$out/logs/run-$(date -u +%Y%m%dT%H%M%SZ).log"
}

script=$0
main "$@"
