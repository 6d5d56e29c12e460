/// `BinlogStream(files:start:jobs:)` with `jobs > 1` (or `decodeWorkers:` above 0): files are decoded on worker threads, each on
/// its own (a file starts on a block boundary and its decoder keeps nothing from the file before),
/// into batches of records whose borrowed bytes are copied into the batch's own memory; the
/// stream hands the records out in file order, exactly the sequence one decoder gives. The
/// consumer (a checker, a diff, a rewrite pass) runs on the calling thread meanwhile.
///
/// `jobs` workers decode: decoding is most of the work of a consumer like the checker (about two
/// thirds of `check`'s samples), so on 2 cores two decoding workers and the consumer share them.
///
/// Memory: a batch holds at most ``RecordBatch/maxItems`` items in about 1 MiB (more only for
/// a larger item); each file may have ``DecodeAhead/depth`` batches waiting (``singleWorkerDepth``
/// with one worker) and at most `jobs + 1` files hold batches.
final class DecodeAhead {
    static let depth = 4
    /// One worker keeps up with a consumer that has work of its own per record (the reason for
    /// one worker): the batches wait on the consumer, and two per file keep it fed.
    static let singleWorkerDepth = 2

    struct FileOutcome: Sendable {
        var trailers = 0
        var trailerBytes: UInt64 = 0
        var bytes: UInt64 = 0
        var error: BinlogIOError? = nil
    }

    private let run: OrderedJobs<RecordBatch, FileOutcome>
    /// Batches handed back for reuse: fresh memory would be page-faulted in (and zeroed by the
    /// kernel) for every batch.
    private let pool: BatchPool
    private let fileNumbers: [FileNumber]
    /// The batch being handed out, and where in it (read per record: no exclusivity checks).
    @exclusivity(unchecked) private var batch: RecordBatch? = nil
    @exclusivity(unchecked) private var items: UnsafeMutablePointer<BinlogItem>? = nil
    @exclusivity(unchecked) private var itemIndex = 0
    /// Items may be handed out up to here: the batch's item count, or the place of the next
    /// padding or damage record.
    @exclusivity(unchecked) private var itemLimit = 0
    @exclusivity(unchecked) private var otherIndex = 0
    private var fileIndex = 0

    private(set) var finishedTrailers = 0
    private(set) var finishedTrailerBytes: UInt64 = 0
    private(set) var finishedBytes: UInt64 = 0

    init(files: [BinlogStream.File], start: PhysicalPosition?, jobs: Int) {
        let pool = BatchPool()
        self.pool = pool
        let box = UncheckedBox((files, start))
        fileNumbers = files.map(\.fileNumber)
        run = OrderedJobs(count: files.count, jobs: jobs, depth: jobs == 1 ? Self.singleWorkerDepth : Self.depth) { index, emit in
            let (files, start) = box.value
            return Self.decode(files[index], start: start, pool: pool, emit: emit)
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

    @inline(__always)
    func next() throws(BinlogIOError) -> BinlogRecord? {
        if itemIndex < itemLimit {
            itemIndex &+= 1
            return .item(items.unsafelyUnwrapped[itemIndex &- 1])
        }
        return try nextSlow()
    }

    /// The next padding or damage record, or the next batch.
    @inline(never)
    private func nextSlow() throws(BinlogIOError) -> BinlogRecord? {
        while true {
            if let b = batch {
                if otherIndex < b.others.count && b.others[otherIndex].itemsBefore == itemIndex {
                    let record = b.others[otherIndex].record
                    otherIndex += 1
                    setLimit(b)
                    return record
                }
                if itemIndex < b.itemCount {
                    setLimit(b)
                    if itemIndex < itemLimit { return try next() }
                }
            }
            switch run.next() {
            case .piece(_, let next):
                if let done = batch { pool.put(done) }
                batch = next
                items = next.items
                itemIndex = 0
                otherIndex = 0
                setLimit(next)
            case .outcome(_, let outcome):
                if let done = batch { pool.put(done) }
                batch = nil
                items = nil
                itemIndex = 0
                itemLimit = 0
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

    private func setLimit(_ b: RecordBatch) {
        itemLimit = otherIndex < b.others.count ? min(b.others[otherIndex].itemsBefore, b.itemCount) : b.itemCount
    }

    /// One file on a worker: its records, in batches.
    private static func decode(
        _ file: BinlogStream.File, start: PhysicalPosition?, pool: BatchPool, emit: (consuming RecordBatch) -> Bool
    ) -> FileOutcome {
        var outcome = FileOutcome()
        var stream = BinlogStream(files: [file], start: start)
        var batch = pool.take()
        func cut(_ batch: RecordBatch) -> Bool {
            batch.trailers = stream.trailerCount
            batch.trailerBytes = stream.trailerByteCount
            batch.bytesConsumed = stream.bytesConsumed
            return emit(batch)
        }
        do {
            while let record = try stream.next() {
                if batch.isFull {
                    guard cut(batch) else { return outcome }
                    batch = pool.take()
                }
                switch consume record {
                case .item(let item):
                    if !batch.append(item) {
                        guard cut(batch) else { return outcome }
                        let needed = RecordBatch.bytesNeeded(item)
                        batch = needed > RecordBatch.arenaSize ? RecordBatch(minimumBytes: needed) : pool.take()
                        _ = batch.append(item)
                    }
                case let other:
                    batch.others.append((batch.itemCount, other))
                }
            }
        } catch {
            outcome.error = error
        }
        if !batch.isEmpty {
            guard cut(batch) else { return outcome }
        }
        outcome.trailers = stream.trailerCount
        outcome.trailerBytes = stream.trailerByteCount
        outcome.bytes = stream.bytesConsumed
        return outcome
    }
}

/// Decoded records of one file whose items point into the batch's own memory (valid while the
/// batch lives), handed from a decoding thread to the consuming one. Items (trivially copyable)
/// are kept apart from the padding and damage records, which note how many items precede them.
final class RecordBatch: @unchecked Sendable {
    static let maxItems = 4096
    static let arenaSize = 1 << 20

    private let arena: UnsafeMutableRawPointer
    let capacity: Int
    private var used = 0
    let items: UnsafeMutablePointer<BinlogItem>
    private(set) var itemCount = 0
    var others: [(itemsBefore: Int, record: BinlogRecord)] = []
    /// The file's totals when the batch was cut.
    var trailers = 0
    var trailerBytes: UInt64 = 0
    var bytesConsumed: UInt64 = 0

    init(minimumBytes: Int) {
        capacity = max(Self.arenaSize, minimumBytes)
        arena = .allocate(byteCount: capacity, alignment: 16)
        items = .allocate(capacity: Self.maxItems)
    }

    deinit {
        arena.deallocate()
        items.deallocate()  // BinlogItem is trivial: nothing to deinitialize
    }

    /// Empties the batch for reuse.
    func reset() {
        used = 0
        itemCount = 0
        others.removeAll(keepingCapacity: true)
        trailers = 0
        trailerBytes = 0
        bytesConsumed = 0
    }

    var isFull: Bool { itemCount == Self.maxItems || others.count >= Self.maxItems }
    var isEmpty: Bool { itemCount == 0 && others.isEmpty }

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
        guard capacity - used >= Self.bytesNeeded(item) else { return false }
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
        copy.payload = UnsafeRawBufferPointer(start: payload.baseAddress == nil ? nil : payloadAt, count: payload.count)

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
        (items + itemCount).initialize(to: copy)
        itemCount += 1
        return true
    }
}

/// Spare batches of the standard size, shared by a stream's workers and its consumer.
final class BatchPool: @unchecked Sendable {
    private let monitor = Monitor()
    private var spare: [RecordBatch] = []
    /// More are dropped: a pool never holds more than the batches in flight anyway.
    private static let limit = 64

    func take() -> RecordBatch {
        monitor.lock()
        let batch = spare.popLast()
        monitor.unlock()
        return batch ?? RecordBatch(minimumBytes: 0)
    }

    func put(_ batch: RecordBatch) {
        guard batch.capacity == RecordBatch.arenaSize else { return }
        batch.reset()
        monitor.lock()
        if spare.count < Self.limit { spare.append(batch) }
        monitor.unlock()
    }
}

/// Values handed to worker threads that only read them or use them from one thread at a time
/// (like `BinlogStream.File`), where the compiler cannot see that.
public struct UncheckedBox<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
