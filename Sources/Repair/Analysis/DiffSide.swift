import BinlogFormat

/// What `diff` keeps of one item: where it is, where it says it belongs, a hash of its command.
struct DiffEntry {
    var location: FindingLocation
    var stored: ResumePoint
    var hash: UInt64
    /// 0-based position among the items of its side.
    var index: Int
    /// Flush items before it on its side.
    var flushesBefore: Int
    var isFlush: Bool
    /// Index of the first ``ReplicaApplyRule`` the item matches.
    var rule: Int?
    var name: CommandName
    /// The expiry the command sets, if it is one of the forms ``ExpiryStamp`` compares.
    var expiry: ExpiryStamp?
    /// The header's exec time; nil for items without one.
    var execTime: UInt32?
}

/// One binlog of a diff, read item by item.
struct DiffSide {
    let role: String
    let makeStream: () -> BinlogStream
    private var stream: BinlogStream
    let rules: [ReplicaApplyRule]
    private(set) var itemCount = 0
    private(set) var flushes = 0
    private(set) var exhausted = false
    /// The first padding region seen before any item (a replica's full-sync padding).
    private(set) var leadingPadding: PaddingRegion? = nil
    private(set) var damage: [Damage] = []
    private(set) var last: DiffEntry? = nil

    init(role: String, rules: [ReplicaApplyRule], makeStream: @escaping () -> BinlogStream) {
        self.role = role
        self.rules = rules
        self.makeStream = makeStream
        stream = makeStream()
    }

    /// Starts reading again from the first file.
    mutating func rewind() {
        stream = makeStream()
        itemCount = 0
        flushes = 0
        exhausted = false
        leadingPadding = nil
        damage = []
        last = nil
    }

    /// The next item, or nil at the end.
    mutating func next() throws(BinlogIOError) -> DiffEntry? {
        while let record = try stream.next() {
            switch record {
            case .item(let item):
                let command = item.command
                let flush = isFlush(command)
                let entry = DiffEntry(
                    location: FindingLocation(
                        item.start, logicID: item.envelope == .pikaItem ? item.header.logicID : nil),
                    stored: item.header.stored, hash: ContentHash.hash(item.content), index: itemCount,
                    flushesBefore: flushes, isFlush: flush, rule: ReplicaApplyRule.firstMatch(command, in: rules),
                    name: command.count > 0
                        ? CommandName(command[0]) : CommandName(UnsafeRawBufferPointer(start: nil, count: 0)),
                    expiry: ExpiryStamp.of(command, execTime: item.envelope == .pikaItem ? item.header.execTime : nil),
                    execTime: item.envelope == .pikaItem ? item.header.execTime : nil)
                itemCount += 1
                if flush { flushes += 1 }
                last = entry
                return entry
            case .padding(let p):
                if itemCount == 0 && leadingPadding == nil && p.kind != .zeroTail { leadingPadding = p }
                if let lp = leadingPadding, itemCount == 0, lp.end == p.start, p.kind == lp.kind {
                    leadingPadding = PaddingRegion(kind: lp.kind, start: lp.start, end: p.end)
                }
            case .damage(let d):
                damage.append(d)
            }
        }
        exhausted = true
        return nil
    }
}

/// A FIFO of entries with O(1) access by position.
struct EntryQueue {
    private var storage: [DiffEntry] = []
    private var head = 0

    var count: Int { storage.count - head }
    var isEmpty: Bool { count == 0 }

    subscript(i: Int) -> DiffEntry { storage[head + i] }

    mutating func append(_ e: DiffEntry) { storage.append(e) }

    mutating func removeFirst(_ n: Int) -> [DiffEntry] {
        let taken = Array(storage[head..<(head + n)])
        head += n
        compact()
        return taken
    }

    mutating func popFirst() -> DiffEntry? {
        guard count > 0 else { return nil }
        let e = storage[head]
        head += 1
        compact()
        return e
    }

    private mutating func compact() {
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 4096 && head * 2 > storage.count {
            storage.removeFirst(head)
            head = 0
        }
    }
}
