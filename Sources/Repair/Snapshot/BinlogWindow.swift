import BinlogFormat

/// One binlog item copied out of the decoder: where it is (its command is in the window's
/// ``ArgumentArena``). Stored as 64 bytes, the file numbers apart from the offsets (an
/// ``ItemReference`` and a ``ResumePoint`` side by side take 80 with their padding).
struct LoggedItem: Sendable {
    let logicID: UInt64
    private let startOffset: UInt64
    private let endOffset: UInt64
    private let storedOffset: UInt64
    private let resumeOffset: UInt64
    private let startFile: FileNumber
    private let endFile: FileNumber
    private let storedFile: FileNumber
    private let resumeFile: FileNumber
    /// Exec time (unix seconds) from the item header; 0 for v2.x items.
    let execTime: UInt32

    init(reference: ItemReference, resumeBefore: ResumePoint, execTime: UInt32) {
        logicID = reference.logicID
        (startFile, startOffset) = (reference.start.fileNumber, reference.start.offset)
        (endFile, endOffset) = (reference.end.fileNumber, reference.end.offset)
        (storedFile, storedOffset) = (reference.stored.fileNumber, reference.stored.offset)
        (resumeFile, resumeOffset) = (resumeBefore.fileNumber, resumeBefore.offset)
        self.execTime = execTime
    }

    var reference: ItemReference {
        ItemReference(
            logicID: logicID, start: PhysicalPosition(fileNumber: startFile, offset: startOffset),
            end: PhysicalPosition(fileNumber: endFile, offset: endOffset),
            stored: ResumePoint(fileNumber: storedFile, offset: storedOffset))
    }

    /// The end of the record before it in the stream: the resume point at which it is the next
    /// item. On a master this equals ``ItemReference/stored``; a v3.0–v3.5.1 slave's items store
    /// the master's positions instead.
    var resumeBefore: ResumePoint { ResumePoint(fileNumber: resumeFile, offset: resumeOffset) }
}

/// A run of consecutive items around a recorded resume point, and where the point falls.
struct CollectedWindow {
    var items: [LoggedItem]
    /// The items' commands, by the same index.
    var arguments: ArgumentArena
    /// Index in `items` of the first item after the recorded point (`items.count` if none).
    var split: Int
    var location: OffsetLocation
    /// Items exist before `items[0]` that were not kept.
    var hasMoreBefore: Bool
    /// The stream went on after the last kept item.
    var hasMoreAfter: Bool
    /// Damage met between the first kept item and the last.
    var damage: [Damage]
}

enum BinlogWindowReader {
    /// The stream of `files[startIndex...]`.
    static func stream(_ files: [BinlogFileEntry], from startIndex: Int = 0) -> BinlogStream {
        BinlogStream(
            files: files[startIndex...].map { entry in
                BinlogStream.File(fileNumber: entry.fileNumber) { () throws(BinlogIOError) -> any ByteSource in
                    try entry.openSource()
                }
            })
    }

    /// Whether `end` is at or before `point` in stream order; `(N+1):0` counts as after every
    /// item of file N (pitfall 19), which the tuple order gives.
    @inline(__always)
    static func endsAtOrBefore(_ end: PhysicalPosition, _ point: ResumePoint) -> Bool {
        (end.fileNumber, end.offset) <= (point.fileNumber, point.offset)
    }

    /// The index of the file to start reading at so that the recorded file and the one before
    /// it are read.
    static func defaultStartIndex(_ files: [BinlogFileEntry], recorded: ResumePoint) -> Int {
        let index = files.firstIndex { $0.fileNumber >= recorded.fileNumber } ?? files.count
        return max(0, min(index, files.count) - 1)
    }

    /// Reads the binlog from `files[startIndex]` on, keeping at most `lookback` items before the
    /// recorded point and `forward` after it, and locates the point.
    static func collect(
        _ files: [BinlogFileEntry], recorded: ResumePoint, lookback: Int, forward: Int, startIndex: Int
    ) throws(BinlogIOError) -> CollectedWindow {
        var stream = stream(files, from: startIndex)
        var locator = OffsetLocator(recorded: recorded, fileNumbers: files.map(\.fileNumber))
        var before: [LoggedItem] = []
        var after: [LoggedItem] = []
        var beforeArguments = ArgumentArena()
        var afterArguments = ArgumentArena()
        var dropped = startIndex > 0
        var hasMoreAfter = false
        var previousEnd: ResumePoint? = nil
        var damage: [Damage] = []
        while let record = try stream.next() {
            switch record {
            case .item(let item):
                let stored = item.envelope == .pikaItem ? item.header.stored : previousEnd ?? ResumePoint(after: item.start)
                let reference = ItemReference(
                    logicID: item.header.logicID, start: item.start, end: item.end, stored: stored)
                locator.observe(.item, start: item.start, end: item.end, item: reference)
                if after.count >= forward && !endsAtOrBefore(item.end, recorded) {
                    hasMoreAfter = true
                    if locator.location != nil { return finish() }
                    previousEnd = item.endResumePoint
                    continue
                }
                let logged = LoggedItem(
                    reference: reference, resumeBefore: previousEnd ?? stored, execTime: item.header.execTime)
                if endsAtOrBefore(item.end, recorded) {
                    if lookback > 0 {
                        before.append(logged)
                        beforeArguments.append(item.command)
                        if before.count >= 2 * lookback + 1024 {
                            beforeArguments.removeFirst(before.count - lookback)
                            before.removeFirst(before.count - lookback)
                            dropped = true
                            damage.removeAll { $0.start < before[0].reference.start }
                        }
                    } else {
                        dropped = true
                    }
                } else {
                    after.append(logged)
                    afterArguments.append(item.command)
                }
            case .padding(let padding):
                locator.observe(.padding, start: padding.start, end: padding.end, item: nil)
            case .damage(let d):
                locator.observe(.damage, start: d.start, end: d.end, item: nil)
                if after.count < forward { damage.append(d) }
            }
            previousEnd = ResumePoint(after: record.end)
        }
        return finish()

        func finish() -> CollectedWindow {
            if before.count > lookback {
                beforeArguments.removeFirst(before.count - lookback)
                before.removeFirst(before.count - lookback)
                dropped = true
            }
            if let first = before.first ?? after.first {
                damage.removeAll { $0.start < first.reference.start }
            }
            // Joined into buffers of the exact size (they stay for the whole check).
            let split = before.count
            var items: [LoggedItem] = []
            items.reserveCapacity(before.count + after.count)
            items += before
            items += after
            (before, after) = ([], [])
            let arguments = ArgumentArena(joining: beforeArguments, afterArguments)
            (beforeArguments, afterArguments) = (ArgumentArena(), ArgumentArena())
            return CollectedWindow(
                items: items, arguments: arguments, split: split, location: locator.finish(), hasMoreBefore: dropped,
                hasMoreAfter: hasMoreAfter, damage: damage)
        }
    }

    /// Whether the binlog begins a fresh history: `write2file0` whose first record is the item
    /// with logic id 1 stored at `0:0` (a new Pika binlog), so that replaying it from there
    /// rebuilds every key from nothing.
    static func startsFreshHistory(_ files: [BinlogFileEntry]) throws(BinlogIOError) -> Bool {
        guard let first = files.first, first.fileNumber == 0 else { return false }
        var stream = stream([first])
        guard let record = try stream.next(), case .item(let item) = record else { return false }
        return item.envelope == .pikaItem && item.header.logicID == 1
            && item.header.stored == ResumePoint(fileNumber: 0, offset: 0)
    }

    /// Replays every item from the start of the binlog up to (not including) the item starting
    /// at `stop` into `model`, following only `keys` (and FLUSHDB/FLUSHALL): an item is applied
    /// when it writes one of them.
    /// - Returns: the number of items read and the number applied.
    static func replayHistory(
        _ files: [BinlogFileEntry], until stop: PhysicalPosition, keys: Set<[UInt8]>, footprints: CommandEffects,
        into model: inout KeyspaceModel
    ) throws(BinlogIOError) -> (read: Int, applied: Int) {
        var hashes = Set<UInt64>()
        for key in keys { hashes.insert(fnv1a64(key)) }
        var stream = stream(files)
        var read = 0
        var applied = 0
        while let record = try stream.next() {
            guard record.start < stop else { break }
            guard case .item(let item) = record else { continue }
            read += 1
            let command = item.command
            guard command.count >= 1 else { continue }
            let relevant =
                command.count == 1 || CommandCatalogue.spec(of: command)?.writesBeyondFirstKey == true
                || hashes.contains(fnv1a64(command[1]))
            guard relevant else { continue }
            let logged = LoggedCommand(arguments: command.ownedArguments())
            let footprint = footprints.footprint(of: logged)
            guard footprint.isGlobal || footprint.keys.contains(where: { keys.contains($0.key) }) else { continue }
            let time = item.envelope == .pikaItem ? item.header.execTime : item.firstRecordTime
            model.applyFollowing(logged, execTime: time, footprint: footprint) { keys.contains($0) }
            applied += 1
        }
        return (read, applied)
    }
}

/// FNV-1a, 64-bit.
@inline(__always)
func fnv1a64(_ bytes: some Sequence<UInt8>) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01B3
    }
    return hash
}

/// The arguments of a run of items, back to back in one byte buffer, with each argument's length
/// and where each item's arguments start. One buffer instead of an array per argument: a
/// 100 000-item window's commands take their own size plus 4 bytes an argument and 16 an item,
/// not three allocations an item.
struct ArgumentArena: Sendable {
    private(set) var bytes: [UInt8] = []
    /// Each argument's length (an argument fits in an item, whose length is 32-bit).
    private var lengths: [UInt32] = []
    /// The index in `lengths` of each item's first argument.
    private var argumentStarts: [Int] = []
    /// The index in `bytes` of each item's first argument.
    private var byteStarts: [Int] = []

    init() {}

    /// Items held.
    var count: Int { argumentStarts.count }

    /// Adds an item's arguments (they are copied).
    mutating func append(_ command: RESPCommand) {
        argumentStarts.append(lengths.count)
        byteStarts.append(bytes.count)
        for index in 0..<command.count {
            let argument = command[index]
            bytes.append(contentsOf: argument)
            lengths.append(UInt32(argument.count))
        }
    }

    /// Adds an item's arguments.
    mutating func append(_ arguments: [[UInt8]]) {
        argumentStarts.append(lengths.count)
        byteStarts.append(bytes.count)
        for argument in arguments {
            bytes.append(contentsOf: argument)
            lengths.append(UInt32(argument.count))
        }
    }

    /// The items of `first`, then those of `second`, in buffers of the exact size.
    init(joining first: ArgumentArena, _ second: ArgumentArena) {
        bytes.reserveCapacity(first.bytes.count + second.bytes.count)
        lengths.reserveCapacity(first.lengths.count + second.lengths.count)
        argumentStarts.reserveCapacity(first.count + second.count)
        byteStarts.reserveCapacity(first.count + second.count)
        append(contentsOf: first)
        append(contentsOf: second)
    }

    /// Adds every item of `other` after those held.
    mutating func append(contentsOf other: ArgumentArena) {
        let argumentBase = lengths.count
        let byteBase = bytes.count
        bytes.append(contentsOf: other.bytes)
        lengths.append(contentsOf: other.lengths)
        argumentStarts.append(contentsOf: other.argumentStarts.lazy.map { $0 + argumentBase })
        byteStarts.append(contentsOf: other.byteStarts.lazy.map { $0 + byteBase })
    }

    /// Drops the first `n` items.
    mutating func removeFirst(_ n: Int) {
        guard n > 0 else { return }
        guard n < count else {
            self = ArgumentArena()
            return
        }
        let firstArgument = argumentStarts[n]
        let firstByte = byteStarts[n]
        bytes.removeFirst(firstByte)
        lengths.removeFirst(firstArgument)
        argumentStarts.removeFirst(n)
        byteStarts.removeFirst(n)
        for index in argumentStarts.indices {
            argumentStarts[index] -= firstArgument
            byteStarts[index] -= firstByte
        }
    }

    /// The number of arguments of item `item`.
    func argumentCount(of item: Int) -> Int {
        (item + 1 < argumentStarts.count ? argumentStarts[item + 1] : lengths.count) - argumentStarts[item]
    }

    /// Item `item`'s arguments, copied out.
    func arguments(of item: Int) -> [[UInt8]] {
        var start = byteStarts[item]
        let first = argumentStarts[item]
        return (first..<first + argumentCount(of: item)).map { index in
            let end = start + Int(lengths[index])
            defer { start = end }
            return Array(bytes[start..<end])
        }
    }
}
