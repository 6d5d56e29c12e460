import BinlogFormat

/// A command name folded to lower case and kept inline (no heap) when it has ≤ 24 bytes.
public struct CommandName: Hashable, Sendable, Comparable, CustomStringConvertible {
    private var a: UInt64 = 0, b: UInt64 = 0, c: UInt64 = 0
    private var count: UInt8 = 0
    private var long: [UInt8]? = nil

    public init(_ bytes: UnsafeRawBufferPointer) {
        if bytes.count > 24 {
            long = bytes.map(asciiLower)
            count = 255
            return
        }
        count = UInt8(bytes.count)
        var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &words) { w in
            for i in 0..<bytes.count { w[i] = asciiLower(bytes[i]) }
        }
        (a, b, c) = words
    }

    /// A name already folded to lower case, `count` ≤ 24 bytes, as three words whose in-memory
    /// bytes are the name followed by zeros.
    init(words a: UInt64, _ b: UInt64, _ c: UInt64, count: Int) {
        self.a = a
        self.b = b
        self.c = c
        self.count = UInt8(count)
    }

    public var bytes: [UInt8] {
        if let long { return long }
        var words = (a, b, c)
        return withUnsafeBytes(of: &words) { Array($0.prefix(Int(count))) }
    }

    public var description: String { String(decoding: bytes, as: UTF8.self) }

    public static func < (l: Self, r: Self) -> Bool { l.bytes.lexicographicallyPrecedes(r.bytes) }
}

/// Totals over a binlog, gathered record by record without keeping records.
public struct BinlogStatistics: Sendable {
    public struct FileSummary: Sendable {
        public var fileNumber: FileNumber
        public var items = 0
        public var itemBytes: UInt64 = 0
        public var firstLogicID: UInt64?
        public var lastLogicID: UInt64?
        public var firstExecTime: UInt32?
        public var lastExecTime: UInt32?
        public var firstItemStart: PhysicalPosition?
        public var firstItemStored: ResumePoint?
        public var lastItemEnd: PhysicalPosition?
        public var paddingBytes: UInt64 = 0
        public var damageBytes: UInt64 = 0
        /// Where the last record of any kind ended.
        public var end: UInt64 = 0

        /// Adds the summary of later records of the same file.
        mutating func absorb(_ later: FileSummary) {
            if later.items > 0 {
                if firstLogicID == nil {
                    firstLogicID = later.firstLogicID
                    firstExecTime = later.firstExecTime
                    firstItemStart = later.firstItemStart
                    firstItemStored = later.firstItemStored
                }
                lastLogicID = later.lastLogicID
                lastExecTime = later.lastExecTime
                lastItemEnd = later.lastItemEnd
            }
            items += later.items
            itemBytes += later.itemBytes
            paddingBytes += later.paddingBytes
            damageBytes += later.damageBytes
            end = max(end, later.end)
        }
    }

    public var items = 0
    public var itemBytes: UInt64 = 0
    public var fragments = 0
    public var padding: [PaddingRegion] = []
    public var damage: [Damage] = []
    /// Items per command name (lower case).
    public var commandCounts: [CommandName: Int] {
        get { commands.dictionary }
        set { commands = CommandCounter(newValue) }
    }
    /// One summary per file, in the order the files were reached.
    public var files: [FileSummary] {
        get { hasCurrent ? finishedFiles + [current] : finishedFiles }
        set {
            finishedFiles = Array(newValue.dropLast())
            hasCurrent = !newValue.isEmpty
            current = newValue.last ?? FileSummary(fileNumber: 0)
        }
    }
    public var firstItem: (logicID: UInt64, time: UInt32, start: PhysicalPosition)?
    public var lastItem: (logicID: UInt64, time: UInt32, end: PhysicalPosition, term: UInt32)?

    private var commands = CommandCounter()
    private var finishedFiles: [FileSummary] = []
    /// The summary of the file being added to, updated in place (kept out of the array: no
    /// copy-on-write check per record). Meaningful only when `hasCurrent`.
    private var current = FileSummary(fileNumber: 0)
    private var hasCurrent = false

    public init() {}

    /// Adds one record.
    public mutating func add(_ record: BinlogRecord) {
        switch record {
        case .item(let item):
            add(item)
        case .padding(let p):
            if !hasCurrent || current.fileNumber != p.start.fileNumber { startFile(p.start.fileNumber) }
            padding.append(p)
            current.end = max(current.end, p.end.offset)
            current.paddingBytes += p.byteCount
        case .damage(let d):
            if !hasCurrent || current.fileNumber != d.start.fileNumber { startFile(d.start.fileNumber) }
            damage.append(d)
            current.end = max(current.end, d.end.offset)
            current.damageBytes += d.length
        }
    }

    /// Adds one item: the same as adding `.item(item)`.
    public mutating func add(_ item: BinlogItem) {
        let fileNumber = item.start.fileNumber
        if !hasCurrent || current.fileNumber != fileNumber { startFile(fileNumber) }
        let bytes = item.end.offset - item.start.offset
        items += 1
        itemBytes += bytes
        fragments += item.fragmentCount
        if item.command.count > 0 {
            commands.add(item.command[0])
        }
        let time = item.envelope == .pikaItem ? item.header.execTime : item.firstRecordTime
        let logicID = item.header.logicID
        current.end = max(current.end, item.end.offset)
        current.items += 1
        current.itemBytes += bytes
        if current.firstLogicID == nil {
            current.firstLogicID = logicID
            current.firstExecTime = time
            current.firstItemStart = item.start
            current.firstItemStored = item.header.stored
        }
        current.lastLogicID = logicID
        current.lastExecTime = time
        current.lastItemEnd = item.end
        if firstItem == nil { firstItem = (logicID, time, item.start) }
        lastItem = (logicID, time, item.end, item.header.termOrServerID)
    }

    private mutating func startFile(_ fileNumber: FileNumber) {
        if hasCurrent { finishedFiles.append(current) }
        current = FileSummary(fileNumber: fileNumber)
        hasCurrent = true
    }

    /// Adds `later`: the statistics of the records that come after all of these (the next files,
    /// counted on another thread). The result is what adding its records here one by one gives.
    public mutating func append(_ later: BinlogStatistics) {
        items += later.items
        itemBytes += later.itemBytes
        fragments += later.fragments
        padding += later.padding
        damage += later.damage
        for (name, n) in later.commands.dictionary {
            name.bytes.withUnsafeBytes { commands.add($0, times: n) }
        }
        for f in later.files {
            if hasCurrent && current.fileNumber == f.fileNumber {
                current.absorb(f)
            } else {
                startFile(f.fileNumber)
                current = f
            }
        }
        if firstItem == nil { firstItem = later.firstItem }
        if let l = later.lastItem { lastItem = l }
    }

    /// Per-command counts, most frequent first.
    public var sortedCommandCounts: [(CommandName, Int)] {
        commandCounts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
    }
}

/// Counts per command name without running a `Hasher` per item: an open-addressing table keyed
/// by the lower-cased name held in three words (names of ≤ 24 bytes, i.e. every Redis/Pika
/// command); longer names go to a dictionary.
struct CommandCounter: Sendable {
    struct Slot: Sendable {
        var a: UInt64 = 0
        var b: UInt64 = 0
        var c: UInt64 = 0
        var length = 0
        /// 0: the slot is free.
        var count = 0
    }

    private var slots = [Slot](repeating: Slot(), count: 64)
    private var used = 0
    private var long: [CommandName: Int] = [:]

    init() {}

    init(_ counts: [CommandName: Int]) {
        for (name, n) in counts where n > 0 {
            name.bytes.withUnsafeBytes { add($0, times: n) }
        }
    }

    var dictionary: [CommandName: Int] {
        var d = long
        for s in slots where s.count > 0 {
            d[CommandName(words: s.a, s.b, s.c, count: s.length)] = s.count
        }
        return d
    }

    @inline(__always)
    mutating func add(_ name: UnsafeRawBufferPointer, times: Int = 1) {
        let n = name.count
        guard n <= 24, let p = name.baseAddress else {
            if n > 24 { long[CommandName(name), default: 0] += times } else { add(words: 0, 0, 0, length: 0, times) }
            return
        }
        let a = Self.lowerWord(p, n)
        let b = n > 8 ? Self.lowerWord(p + 8, n - 8) : 0
        let c = n > 16 ? Self.lowerWord(p + 16, n - 16) : 0
        add(words: a, b, c, length: n, times)
    }

    @inline(__always)
    private mutating func add(words a: UInt64, _ b: UInt64, _ c: UInt64, length: Int, _ times: Int) {
        var h = (a ^ (b &* 0x9E37_79B9_7F4A_7C15) ^ (c &* 0xC2B2_AE3D_27D4_EB4F) ^ UInt64(length))
        h = (h &* 0x9E37_79B9_7F4A_7C15) >> 32
        let inserted = slots.withUnsafeMutableBufferPointer { slots in
            let mask = slots.count - 1
            var i = Int(truncatingIfNeeded: h) & mask
            while true {
                let s = slots[i]
                if s.count == 0 { break }
                if s.a == a && s.b == b && s.c == c && s.length == length {
                    slots[i].count += times
                    return false
                }
                i = (i + 1) & mask
            }
            slots[i] = Slot(a: a, b: b, c: c, length: length, count: times)
            return true
        }
        if inserted {
            used += 1
            if used * 2 > slots.count { grow() }
        }
    }

    private mutating func grow() {
        let old = slots
        slots = [Slot](repeating: Slot(), count: old.count * 2)
        used = 0
        for s in old where s.count > 0 { add(words: s.a, s.b, s.c, length: s.length, s.count) }
    }

    /// Up to 8 bytes at `p` folded to ASCII lower case, as a word whose in-memory bytes are those
    /// bytes followed by zeros (the layout of ``CommandName``).
    @inline(__always)
    static func lowerWord(_ p: UnsafeRawPointer, _ count: Int) -> UInt64 {
        // Overlapping little-endian loads cover 1–8 bytes without a byte loop.
        @inline(__always) func load<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> UInt64 {
            UInt64(T(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: T.self)))
        }
        let v: UInt64
        if count >= 8 {
            v = load(0, UInt64.self)
        } else if count >= 4 {
            v = load(0, UInt32.self) | load(count - 4, UInt32.self) << (8 * (count - 4))
        } else if count >= 2 {
            v = load(0, UInt16.self) | load(count - 2, UInt16.self) << (8 * (count - 2))
        } else if count == 1 {
            v = load(0, UInt8.self)
        } else {
            v = 0
        }
        // Per byte: set 0x20 where the byte is in 'A'...'Z' (SWAR; no carries cross bytes).
        let low7 = v & 0x7F7F_7F7F_7F7F_7F7F
        let atLeastA = low7 &+ 0x3F3F_3F3F_3F3F_3F3F
        let aboveZ = low7 &+ 0x2525_2525_2525_2525
        let upper = atLeastA & ~aboveZ & ~v & 0x8080_8080_8080_8080
        return (v | (upper >> 2)).littleEndian
    }
}

/// How a manifest's producer position relates to the last complete item.
public enum ManifestAgreement: String, Sendable {
    /// The manifest names the end of the last item (and its logic id).
    case consistent
    /// The manifest points before the last item's end: items exist past what it records.
    case lagging
    /// The manifest points past the last complete item: it counts bytes that are not a whole item.
    case leading
}

/// Compares a manifest's producer position with the end of the last item decoded.
///
/// A manifest that names `(N+1):0` while the last item ends file N is read as leading only if file
/// N+1 had items; right after a roll with no item yet, Pika writes `(N+1, 0)` (Docs/Format.md §S3).
public func compareManifest(
    producer: ResumePoint, logicID: UInt64?, lastItemEnd: ResumePoint?, lastLogicID: UInt64?
) -> ManifestAgreement {
    guard let end = lastItemEnd else {
        return producer.offset == 0 ? .consistent : .leading
    }
    if producer == end { return .consistent }
    if producer.fileNumber == end.fileNumber + 1 && producer.offset == 0 { return .consistent }
    return producer < end ? .lagging : .leading
}
