import ArgumentParser
import BinlogFormat
import BinlogToolCore
import Repair

#if canImport(Glibc)
import Glibc
#endif

/// `dump --jobs N`: the binlog cut into segments of about 2 MiB (`BinlogSegmentPlan`), each
/// decoded, filtered and formatted on a worker thread, its output handed back in chunks and written
/// in order, so stdout is byte for byte what one thread writes. A segment begins where decoding the
/// whole file stands between records with nothing pending, so its records do not depend on the
/// bytes before it; what does (statistics, the damage count, the stop position) is stitched in
/// order here. Segments small enough for their whole output to wait keep every worker busy while
/// the oldest one is written out.
extension Dump {
    /// Input bytes per segment: its output (about 1.5–2.5 times that) fits the pieces a worker
    /// may have waiting.
    static let segmentBytes: UInt64 = 2 << 20

    /// What one segment contributed, handed back after its last chunk.
    struct SegmentOutcome: Sendable {
        var statistics = BinlogStatistics()
        var damageCount = 0
        var trailers = 0
        var bytes: UInt64 = 0
        /// A record past `--stop-position` was reached: no later segment contributes anything.
        var pastWindow = false
        /// The segment's end was no clean boundary: it was decoded to the end of its file, and the
        /// later segments of that file are not used.
        var ranToFileEnd = false
        var error: BinlogIOError? = nil
    }

    /// Whether the parallel path applies: no option whose meaning runs across records in the
    /// order they are read (`--start-position`'s boundary check, `--limit`).
    func runsInParallel(filter: RecordFilter, jobs: Int) -> Bool {
        jobs > 1 && filter.startPosition == nil && limit == nil
    }

    /// `run()` on `jobs` threads; the same output, exit status and errors. Runs on one thread
    /// (returns false, nothing written) when the input is a single segment.
    func runParallel(_ resolved: BinlogInput, filter: RecordFilter, jobs: Int) throws -> Bool {
        let files = resolved.streamFiles
        let segments = BinlogSegmentPlan.segments(of: files, bytes: Self.segmentBytes)
        guard segments.count > 1 else { return false }
        let shared = UncheckedBox((files, segments, resolved, filter, format, dialect, maxValueBytes, stats))
        let out = OutputBuffer()
        var statistics = BinlogStatistics()
        var damageCount = 0
        var trailers = 0
        var consumed: UInt64 = 0
        var progress = Progress(files: resolved.files)
        // A worker holds at most `depth` chunks of about 1 MiB waiting, and at most jobs + 1
        // segments hold chunks: memory stays flat whatever the input size.
        let pool = OutputChunkPool()
        let run = OrderedJobs<OutputChunk, SegmentOutcome>(count: segments.count, jobs: jobs, depth: 8) { index, emit in
            let (files, segments, resolved, filter, format, dialect, maxValueBytes, stats) = shared.value
            let segment = segments[index]
            // The worker's buffer (released before this returns) hands its chunks to `emit`.
            return withoutActuallyEscaping(emit) { emit in
                Self.dumpSegment(
                    segment, of: files[segment.file], resolved: resolved, filter: filter, format: format,
                    dialect: dialect, maxValueBytes: maxValueBytes, stats: stats, out: OutputBuffer(pool: pool, sink: emit))
            }
        }
        defer { run.stop() }
        // The file whose later segments are dropped (a segment before them ran to its end).
        var droppedFile = -1
        reading: while true {
            switch run.next() {
            case .piece(let index, let chunk):
                if segments[index].file != droppedFile {
                    out.writeThrough(chunk.bytes)
                }
                pool.put(chunk)
                if out.failed { break reading }
            case .outcome(let index, let outcome):
                let file = segments[index].file
                if file == droppedFile { continue }
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
                if outcome.ranToFileEnd {
                    droppedFile = file
                    var end = index + 1
                    while end < segments.count && segments[end].file == file { end += 1 }
                    run.cancel((index + 1)..<end)
                }
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
        return true
    }

    /// One segment, on a worker: the loop of `run()` less what spans segments, its output handed
    /// on by `out` in chunks.
    private static func dumpSegment(
        _ segment: BinlogSegment, of file: BinlogStream.File, resolved: BinlogInput, filter: RecordFilter,
        format: DumpFormat, dialect: RewriteDialect, maxValueBytes: Int, stats: Bool, out: OutputBuffer
    ) -> SegmentOutcome {
        var outcome = SegmentOutcome()
        var formatter = RecordFormatter(format: format, dialect: dialect, out: out)
        formatter.maxValueBytes = maxValueBytes
        formatter.rawBytes = { position, count in
            readRawBytes(resolved.path(of: position.fileNumber), at: position.offset, count: count)
        }
        var sink = DumpSink(formatter: formatter, out: out, filter: filter, stats: stats)
        let source: any ByteSource
        do {
            source = try file.open()
            let blockStart = segment.start - segment.start % UInt64(BinlogConstants.blockSize)
            if blockStart > 0 {
                // The plan cut only files it could seek in.
                try (source as! any SeekableByteSource).seek(to: blockStart)
            }
        } catch {
            outcome.error = error
            return outcome
        }
        var decoder = BinlogFileDecoder(
            source: source, fileNumber: file.fileNumber, segmentStart: segment.start, stop: segment.stop)
        do {
            while let record = try decoder.next() {
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
        outcome.trailers = decoder.trailerCount
        outcome.bytes = decoder.bytesConsumed - segment.start
        outcome.ranToFileEnd = decoder.ranPastStop
        return outcome
    }
}
