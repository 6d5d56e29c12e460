import BinlogFormat

/// Reads a binlog directory while Pika appends to it (`dump --follow`, like `pg_waldump --follow`):
/// each ``poll(_:)`` decodes, with the ordinary decoder, what was written since the last one and
/// hands on every record that is final, each exactly once and in order, across file rolls.
///
/// What is final: every record of a file below the highest one (Pika closes a file before it
/// opens the next), and in the highest, the live file, every record up to its last item. What
/// follows that item there (the zero-filled mmap preallocation, an item being copied in, whose
/// bytes are partly zero) is *not written yet*: it is neither handed on nor damage, and the next
/// poll decodes it again from the end of that item. Damage or padding that a later item follows
/// is real, and handed on before the item.
///
/// Each poll starts at the block holding ``position`` (a seek), so it costs the new bytes plus at
/// most a block and the live file's unwritten tail.
public struct BinlogFollower {
    public let path: String
    public let db: String?
    /// Where the next record starts: the end of the last record handed on, or the start asked for.
    public private(set) var position: PhysicalPosition?
    /// Whether a start position was asked for and no record at or after it was seen yet.
    private var startPending: Bool
    /// The end of the last record before the start position (to accept an item end as a start).
    private var beforeStart: (start: PhysicalPosition, end: PhysicalPosition)? = nil

    /// Why a poll failed.
    public enum FollowError: Error {
        case directory(BinlogDirectoryError)
        case read(BinlogIOError)
        /// The start position lies inside a record; `previous` is the record before the next one.
        case startNotABoundary(next: PhysicalPosition, previous: (start: PhysicalPosition, end: PhysicalPosition)?)
    }

    /// - Parameters:
    ///   - path: the binlog directory (or log root, with `db`).
    ///   - start: the first record to hand on must start there (or the item before it end
    ///     there); nil: the start of the oldest file.
    public init(path: String, db: String?, start: PhysicalPosition?) {
        self.path = path
        self.db = db
        self.position = start
        self.startPending = start != nil
    }

    /// Decodes what the directory holds now from ``position`` and hands on each final record.
    /// - Parameter deliver: called with each record; returns false to stop at once (the record
    ///   counts as handed on).
    /// - Returns: how many records were handed on, and whether `deliver` asked to stop.
    public mutating func poll(_ deliver: (BinlogRecord) -> Bool) throws(FollowError) -> (count: Int, stopped: Bool) {
        let directory: BinlogDirectory
        do {
            directory = try BinlogDirectory(path: path, db: db)
        } catch {
            throw .directory(error)
        }
        var entries = directory.files
        if let p = position { entries = entries.filter { $0.fileNumber >= p.fileNumber } }
        guard let live = entries.last?.fileNumber else { return (0, false) }
        var stream = BinlogStream(
            files: entries.map { entry in
                BinlogStream.File(fileNumber: entry.fileNumber) { () throws(BinlogIOError) -> any ByteSource in
                    try entry.openSource()
                }
            },
            start: position)
        // Padding and damage after the last item seen: final once an item follows or its file
        // is not the live one.
        var pending: [BinlogRecord] = []
        var count = 0
        func flushPending(_ deliver: (BinlogRecord) -> Bool, _ position: inout PhysicalPosition?) -> Bool {
            defer { pending.removeAll(keepingCapacity: true) }
            for record in pending {
                count += 1
                position = record.end
                if !deliver(record) { return false }
            }
            return true
        }
        do {
            while let record = try stream.next() {
                let start = record.start
                if let p = position, start < p {
                    if startPending { beforeStart = (start, record.end) }
                    continue
                }
                if startPending, let p = position {
                    guard start == p || beforeStart?.end == p else {
                        throw FollowError.startNotABoundary(next: start, previous: beforeStart)
                    }
                    startPending = false
                }
                if let first = pending.first, first.start.fileNumber != start.fileNumber {
                    // The file they lie in was rolled: it is complete.
                    if !flushPending(deliver, &position) { return (count, true) }
                }
                switch consume record {
                case .item(let item):
                    if !flushPending(deliver, &position) { return (count, true) }
                    count += 1
                    position = item.end
                    if !deliver(.item(item)) { return (count, true) }
                case let other:
                    if other.start.fileNumber == live {
                        pending.append(other)
                    } else {
                        count += 1
                        position = other.end
                        if !deliver(other) { return (count, true) }
                    }
                }
            }
        } catch let error as FollowError {
            throw error
        } catch {
            throw .read(error as! BinlogIOError)
        }
        // What is left in the live file after its last item is not written yet.
        if let first = pending.first, first.start.fileNumber != live {
            if !flushPending(deliver, &position) { return (count, true) }
        }
        return (count, false)
    }
}
