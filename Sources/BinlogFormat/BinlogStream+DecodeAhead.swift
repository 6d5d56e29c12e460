/// `BinlogStream(files:start:jobs:)` with `jobs > 1`: files are decoded on worker threads, each on
/// its own (a file starts on a block boundary and its decoder keeps nothing from the file before),
/// into batches of records whose borrowed bytes are copied into the batch's own memory; the
/// stream hands the records out in file order, exactly the sequence one decoder gives. The
/// consumer (a checker, a diff, a rewrite pass) runs on the calling thread meanwhile.
///
/// Memory: a batch holds at most ``RecordBatch/maxRecords`` records in about 1 MiB (more only for
/// a larger item); each file may have ``DecodeAhead/depth`` batches waiting and at most
/// `jobs + 1` files hold batches.
final class DecodeAhead {
    static let depth = 4

    struct FileOutcome: Sendable {
        var trailers = 0
        var trailerBytes: UInt64 = 0
        var bytes: UInt64 = 0
        var error: BinlogIOError? = nil
    }

    private let run: OrderedJobs<RecordBatch, FileOutcome>
    private let fileNumbers: [FileNumber]
    private var batch: RecordBatch? = nil
    private var position = 0
    private var fileIndex = 0

    private(set) var finishedTrailers = 0
    private(set) var finishedTrailerBytes: UInt64 = 0
    private(set) var finishedBytes: UInt64 = 0

    init(files: [BinlogStream.File], start: PhysicalPosition?, jobs: Int) {
        let box = UncheckedBox((files, start))
        fileNumbers = files.map(\.fileNumber)
        run = OrderedJobs(count: files.count, jobs: jobs, depth: Self.depth) { index, emit in
            let (files, start) = box.value
            return Self.decode(files[index], start: start, emit: emit)
        }
    }

    deinit {
        run.stop()
    }

    /// The trailers and bytes of the batch being handed out, for ``BinlogStream``'s totals.
    var currentTrailers: Int { batch?.trailers ?? 0 }
    var currentTrailerBytes: UInt64 { batch?.trailerBytes ?? 0 }
    var currentBytes: UInt64 { batch?.bytesConsumed ?? 0 }
    var currentFileNumber: FileNumber? {
        fileIndex < fileNumbers.count ? fileNumbers[fileIndex] : fileNumbers.last
    }

    func next() throws(BinlogIOError) -> BinlogRecord? {
        while true {
            if let b = batch, position < b.records.count {
                position += 1
                return b.records[position - 1]
            }
            switch run.next() {
            case .piece(_, let next):
                batch = next
                position = 0
            case .outcome(_, let outcome):
                batch = nil
                finishedTrailers += outcome.trailers
                finishedTrailerBytes += outcome.trailerBytes
                finishedBytes += outcome.bytes
                fileIndex += 1
                if let error = outcome.error {
                    run.stop()
                    throw error
                }
            case .end:
                return nil
            }
        }
    }

    /// One file on a worker: its records, in batches.
    private static func decode(
        _ file: BinlogStream.File, start: PhysicalPosition?, emit: (consuming RecordBatch) -> Bool
    ) -> FileOutcome {
        var outcome = FileOutcome()
        var stream = BinlogStream(files: [file], start: start)
        var batch = RecordBatch(minimumBytes: 0)
        func cut(_ batch: RecordBatch) -> Bool {
            batch.trailers = stream.trailerCount
            batch.trailerBytes = stream.trailerByteCount
            batch.bytesConsumed = stream.bytesConsumed
            return emit(batch)
        }
        do {
            while let record = try stream.next() {
                if batch.records.count == RecordBatch.maxRecords {
                    guard cut(batch) else { return outcome }
                    batch = RecordBatch(minimumBytes: 0)
                }
                switch consume record {
                case .item(let item):
                    if !batch.append(item) {
                        guard cut(batch) else { return outcome }
                        batch = RecordBatch(minimumBytes: RecordBatch.bytesNeeded(item))
                        _ = batch.append(item)
                    }
                case let other:
                    batch.records.append(other)
                }
            }
        } catch {
            outcome.error = error
        }
        if !batch.records.isEmpty {
            guard cut(batch) else { return outcome }
        }
        outcome.trailers = stream.trailerCount
        outcome.trailerBytes = stream.trailerByteCount
        outcome.bytes = stream.bytesConsumed
        return outcome
    }
}

/// Decoded records of one file whose items point into the batch's own memory (valid while the
/// batch lives), handed from a decoding thread to the consuming one.
final class RecordBatch: @unchecked Sendable {
    static let maxRecords = 4096
    static let arenaSize = 1 << 20

    private let arena: UnsafeMutableRawPointer
    private let capacity: Int
    private var used = 0
    var records: [BinlogRecord] = []
    /// The file's totals when the batch was cut.
    var trailers = 0
    var trailerBytes: UInt64 = 0
    var bytesConsumed: UInt64 = 0

    init(minimumBytes: Int) {
        capacity = max(Self.arenaSize, minimumBytes)
        arena = .allocate(byteCount: capacity, alignment: 16)
        records.reserveCapacity(Self.maxRecords)
    }

    deinit {
        arena.deallocate()
    }

    @inline(__always)
    private static func rounded(_ n: Int) -> Int { (n + 15) & ~15 }

    /// The arena bytes `item`'s borrowed parts take.
    static func bytesNeeded(_ item: BinlogItem) -> Int {
        let command = item.command
        let inside = Self.offset(of: command.bytes, in: item.payload) != nil
        return rounded(item.recordTimes.count * MemoryLayout<UInt32>.stride)
            + rounded(command.ranges.count * MemoryLayout<ArgumentRange>.stride)
            + rounded(item.payload.count) + (inside ? 0 : rounded(command.bytes.count))
    }

    /// Where `part` begins inside `whole`, when it lies within it.
    @inline(__always)
    private static func offset(of part: UnsafeRawBufferPointer, in whole: UnsafeRawBufferPointer) -> Int? {
        guard let p = part.baseAddress else { return part.isEmpty ? 0 : nil }
        guard let w = whole.baseAddress, p >= w, p + part.count <= w + whole.count else { return nil }
        return p - w
    }

    /// Copies `item`'s borrowed bytes here and keeps the item pointing at the copies; false (and
    /// nothing kept) when they do not fit.
    func append(_ item: BinlogItem) -> Bool {
        let need = Self.bytesNeeded(item)
        guard capacity - used >= need else { return false }
        var copy = item
        let times = item.recordTimes
        let command = item.command
        let payload = item.payload

        let timesAt = (arena + used).bindMemory(to: UInt32.self, capacity: max(1, times.count))
        if let base = times.baseAddress { timesAt.update(from: base, count: times.count) }
        used += Self.rounded(times.count * MemoryLayout<UInt32>.stride)
        copy.recordTimes = UnsafeBufferPointer(start: times.baseAddress == nil ? nil : timesAt, count: times.count)

        let rangesAt = (arena + used).bindMemory(to: ArgumentRange.self, capacity: max(1, command.ranges.count))
        if let base = command.ranges.baseAddress { rangesAt.update(from: base, count: command.ranges.count) }
        used += Self.rounded(command.ranges.count * MemoryLayout<ArgumentRange>.stride)
        let ranges = UnsafeBufferPointer(start: command.ranges.baseAddress == nil ? nil : rangesAt, count: command.ranges.count)

        let payloadAt = arena + used
        if let base = payload.baseAddress { payloadAt.copyMemory(from: base, byteCount: payload.count) }
        used += Self.rounded(payload.count)
        let newPayload = UnsafeRawBufferPointer(start: payload.baseAddress == nil ? nil : payloadAt, count: payload.count)
        copy.payload = newPayload

        var commandBytes: UnsafeRawBufferPointer
        if let offset = Self.offset(of: command.bytes, in: payload) {
            commandBytes = command.bytes.baseAddress == nil
                ? command.bytes : UnsafeRawBufferPointer(start: payloadAt + offset, count: command.bytes.count)
        } else {
            let at = arena + used
            at.copyMemory(from: command.bytes.baseAddress!, byteCount: command.bytes.count)
            used += Self.rounded(command.bytes.count)
            commandBytes = UnsafeRawBufferPointer(start: at, count: command.bytes.count)
        }
        copy.command = RESPCommand(bytes: commandBytes, ranges: ranges)
        records.append(.item(copy))
        return true
    }
}

/// Values handed to worker threads that only ever use them from one thread at a time.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
