import ArgumentParser
import BinlogFormat
import BinlogToolCore
import Repair

#if canImport(Glibc)
import Glibc
#endif

/// `dump --jobs N`: each binlog file decoded, filtered and formatted on a worker thread, its output
/// handed back in chunks and written in file order, so stdout is byte for byte what one thread
/// writes. Files start on a block boundary and the decoder keeps nothing across files, so a file's
/// records do not depend on the one before it; what does (statistics, the damage count, the stop
/// position) is stitched in file order here.
extension Dump {
    /// What one file contributed, handed back after its last chunk.
    struct FileOutcome: Sendable {
        var statistics = BinlogStatistics()
        var damageCount = 0
        var trailers = 0
        var bytes: UInt64 = 0
        /// A record past `--stop-position` was reached: no later file contributes anything.
        var pastWindow = false
        var error: BinlogIOError? = nil
    }

    /// Whether the parallel path applies: several files and no option whose meaning runs across
    /// files in the order they are read (`--start-position`'s boundary check, `--limit`).
    func runsInParallel(_ resolved: BinlogInput, filter: RecordFilter, jobs: Int) -> Bool {
        jobs > 1 && resolved.files.count > 1 && filter.startPosition == nil && limit == nil
    }

    /// `run()` for several files on `jobs` threads; the same output, exit status and errors.
    func runParallel(_ resolved: BinlogInput, filter: RecordFilter, jobs: Int) throws {
        let files = UncheckedBox(resolved.streamFiles)
        let shared = UncheckedBox((resolved, filter, format, dialect, maxValueBytes, stats))
        let out = OutputBuffer()
        var statistics = BinlogStatistics()
        var damageCount = 0
        var trailers = 0
        var consumed: UInt64 = 0
        var progress = Progress(files: resolved.files)
        // A worker holds at most `depth` chunks of about 1 MiB waiting, and at most jobs + 1
        // files hold chunks: memory stays flat whatever the input size.
        let pool = ChunkPool()
        let run = OrderedJobs<[UInt8], FileOutcome>(count: files.value.count, jobs: jobs, depth: 4) { index, emit in
            let (resolved, filter, format, dialect, maxValueBytes, stats) = shared.value
            return Self.dumpFile(
                files.value[index], resolved: resolved, filter: filter, format: format, dialect: dialect,
                maxValueBytes: maxValueBytes, stats: stats, emit: { bytes in emit(pool.filled(with: bytes)) })
        }
        defer { run.stop() }
        reading: while true {
            switch run.next() {
            case .piece(_, let chunk):
                chunk.withUnsafeBytes { out.writeThrough($0) }
                pool.put(chunk)
                if out.failed { break reading }
            case .outcome(_, let outcome):
                statistics.append(outcome.statistics)
                damageCount += outcome.damageCount
                trailers += outcome.trailers
                consumed += outcome.bytes
                if progress.enabled { progress.tick(consumed) }
                if let error = outcome.error {
                    out.flush()
                    throw ToolError(error)
                }
                if outcome.pastWindow || out.failed { break reading }
            case .end:
                break reading
            }
        }
        progress.finish()
        if stats {
            StatisticsFormatter(format: format, out: out)
                .write(statistics, trailers: trailers, input: resolved, comparesManifest: makeFilter().selectsEverything)
        }
        out.flush()
        if out.failed { throw ToolError(.ioError, "writing the output failed") }
        if damageCount > 0 {
            printError("binlogtool: \(damageCount) damaged range(s) found and skipped; everything else was decoded.")
            throw ExitCode(1)
        }
    }

    /// One file, on a worker: the loop of `run()` less what spans files, its output sent to
    /// `emit` in chunks.
    private static func dumpFile(
        _ file: BinlogStream.File, resolved: BinlogInput, filter: RecordFilter, format: DumpFormat,
        dialect: RewriteDialect, maxValueBytes: Int, stats: Bool, emit: (UnsafeRawBufferPointer) -> Bool
    ) -> FileOutcome {
        // The worker's buffer (released before this returns) hands its pieces to `emit`.
        withoutActuallyEscaping(emit) { emit in
            dumpFile(
                file, resolved: resolved, filter: filter, format: format, dialect: dialect,
                maxValueBytes: maxValueBytes, stats: stats, out: OutputBuffer(sink: emit))
        }
    }

    private static func dumpFile(
        _ file: BinlogStream.File, resolved: BinlogInput, filter: RecordFilter, format: DumpFormat,
        dialect: RewriteDialect, maxValueBytes: Int, stats: Bool, out: OutputBuffer
    ) -> FileOutcome {
        var outcome = FileOutcome()
        var stream = BinlogStream(files: [file])
        var formatter = RecordFormatter(format: format, dialect: dialect, out: out)
        formatter.maxValueBytes = maxValueBytes
        formatter.rawBytes = { position, count in
            readRawBytes(resolved.path(of: position.fileNumber), at: position.offset, count: count)
        }
        var sink = DumpSink(formatter: formatter, out: out, filter: filter, stats: stats)
        do {
            while let record = try stream.next() {
                let start = record.start
                if sink.isPastWindow(start) {
                    outcome.pastWindow = true
                    break
                }
                _ = sink.take(record, start: start)
                if out.failed { break }  // the caller stopped
            }
        } catch {
            outcome.error = error
        }
        outcome.statistics = sink.statistics
        outcome.damageCount = sink.damageCount
        out.flush()
        outcome.trailers = stream.trailerCount
        outcome.bytes = stream.bytesConsumed
        return outcome
    }
}

/// Output chunks handed back for reuse by the thread that wrote them out: fresh 1 MiB arrays
/// would be page-faulted in (and zeroed by the kernel) one after the other.
final class ChunkPool: @unchecked Sendable {
    private let lock = Monitor()
    private var spare: [[UInt8]] = []

    /// A chunk holding a copy of `bytes`.
    func filled(with bytes: UnsafeRawBufferPointer) -> [UInt8] {
        lock.lock()
        var chunk = spare.popLast() ?? []
        lock.unlock()
        chunk.removeAll(keepingCapacity: true)
        chunk.append(contentsOf: bytes)
        return chunk
    }

    func put(_ chunk: consuming [UInt8]) {
        lock.lock()
        if spare.count < 16 { spare.append(chunk) }
        lock.unlock()
    }
}
