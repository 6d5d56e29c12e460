import Benchmark
import BinlogCorpus
import BinlogFormat
import BinlogToolCore
import Repair

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// The corpus: BINLOG_BENCH_SIZE bytes (default 1 GiB; K/M/G suffixes) of synthetic Pika binlog,
// generated once into BINLOG_BENCH_DIR (default $TMPDIR/binlogtool-bench-<version>-<size>).
// Every benchmark decodes all of it once per iteration, as `binlogtool dump` does.

private func corpusSize() -> UInt64 {
    guard let e = getenv("BINLOG_BENCH_SIZE") else { return 1 << 30 }
    var text = Substring(String(cString: e))
    var scale: UInt64 = 1
    switch text.last {
    case "K", "k": scale = 1 << 10; text = text.dropLast()
    case "M", "m": scale = 1 << 20; text = text.dropLast()
    case "G", "g": scale = 1 << 30; text = text.dropLast()
    default: break
    }
    return (UInt64(text) ?? (1 << 30)) * scale
}

private struct Corpus {
    let directory: String
    let files: [FileNumber]
    let bytes: UInt64

    static func load() throws -> Corpus {
        let size = corpusSize()
        var directory = BinlogCorpus.defaultDirectory(size: size)
        if let d = getenv("BINLOG_BENCH_DIR") { directory = String(cString: d) }
        try BinlogCorpus.ensure(directory: directory, size: size)
        let corpus = Corpus(
            directory: directory, files: BinlogCorpus.fileNumbers(directory: directory),
            bytes: BinlogCorpus.inputBytes(directory: directory))
        corpus.warmPageCache()
        return corpus
    }

    var streamFiles: [BinlogStream.File] {
        files.map { n in
            let path = "\(directory)/write2file\(n)"
            return BinlogStream.File(fileNumber: n) { () throws(BinlogIOError) -> any ByteSource in
                try FileSource(path: path)
            }
        }
    }

    /// Reads every file once so that measurements start with a warm page cache.
    func warmPageCache() {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        for n in files {
            let fd = open("\(directory)/write2file\(n)", O_RDONLY)
            guard fd >= 0 else { continue }
            while read(fd, buffer, 1 << 20) > 0 {}
            close(fd)
        }
    }
}

nonisolated(unsafe) private var corpus: Corpus!

private enum Metrics {
    /// Megabytes (10^6) of binlog decoded per second, measured inside the benchmark body.
    static let megabytesPerSecond = BenchmarkMetric.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)
    /// Records decoded per iteration: divide mallocCountTotal by it for mallocs per record.
    static let records = BenchmarkMetric.custom("records", polarity: .prefersSmaller, useScalingFactor: false)
}

private func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Runs `body` over the whole corpus and reports MB/s and the record count.
private func measure(_ benchmark: Benchmark, _ body: () throws -> Int) throws {
    let t0 = monotonicNanos()
    let records = try body()
    let elapsed = max(monotonicNanos() - t0, 1)
    benchmark.measurement(Metrics.megabytesPerSecond, Int(corpus.bytes * 1000 / elapsed))
    benchmark.measurement(Metrics.records, records)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [
            .wallClock, .throughput, .mallocCountTotal, .peakMemoryResident, Metrics.megabytesPerSecond,
            Metrics.records,
        ],
        timeUnits: .milliseconds,
        warmupIterations: 1,
        scalingFactor: .one,
        maxDuration: .seconds(30),
        maxIterations: 5,
        // Gate on allocations, not time (STYLE §8): p90 within 1000 of Thresholds/6.3 (a few dozen
        // per file; one per record would add millions).
        thresholds: [.mallocCountTotal: .init(absolute: [.p90: 1000])],
        setup: { if corpus == nil { corpus = try Corpus.load() } }
    )

    // The decoder alone: every record of every file, touching each item's command.
    Benchmark("DecodeWalk") { benchmark in
        try measure(benchmark) {
            var stream = BinlogStream(files: corpus.streamFiles)
            var records = 0
            var argc = 0
            while let record = try stream.next() {
                records += 1
                if case .item(let item) = record { argc &+= item.command.count }
            }
            blackHole(argc)
            return records
        }
    }

    // `binlogtool dump --stats` with no filter: the CLI's loop, without printing the summary.
    Benchmark("DecodeStats") { benchmark in
        try measure(benchmark) {
            var stream = BinlogStream(files: corpus.streamFiles)
            var statistics = BinlogStatistics()
            var records = 0
            while let record = try stream.next() {
                records += 1
                switch consume record {
                case .item(let item): statistics.add(item)
                case let other: statistics.add(other)
                }
            }
            blackHole(statistics.items)
            blackHole(statistics.commandCounts.count)
            return records
        }
    }

    // `binlogtool dump --format json > /dev/null` with no filter: the CLI's own formatter and
    // output buffer (BinlogToolCore).
    Benchmark("DecodeJSON") { benchmark in
        let devNull = open("/dev/null", O_WRONLY)
        defer { close(devNull) }
        try measure(benchmark) {
            var stream = BinlogStream(files: corpus.streamFiles)
            let out = OutputBuffer(fd: devNull)
            let formatter = RecordFormatter(format: .json, dialect: .redis, out: out)
            var records = 0
            while let record = try stream.next() {
                records += 1
                switch consume record {
                case .item(let item): formatter.write(item)
                case let other: formatter.write(other)
                }
                out.flushIfNeeded()
            }
            out.flush()
            return records
        }
    }
}
