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
    }

    public var items = 0
    public var itemBytes: UInt64 = 0
    public var fragments = 0
    public var padding: [PaddingRegion] = []
    public var damage: [Damage] = []
    public var commandCounts: [CommandName: Int] = [:]
    public var files: [FileSummary] = []
    public var firstItem: (logicID: UInt64, time: UInt32, start: PhysicalPosition)?
    public var lastItem: (logicID: UInt64, time: UInt32, end: PhysicalPosition, term: UInt32)?

    public init() {}

    /// Adds one record.
    public mutating func add(_ record: BinlogRecord) {
        let fileNumber = record.start.fileNumber
        if files.last?.fileNumber != fileNumber { files.append(FileSummary(fileNumber: fileNumber)) }
        let f = files.count - 1
        files[f].end = max(files[f].end, record.end.offset)
        switch record {
        case .item(let item):
            let bytes = item.end.offset - item.start.offset
            items += 1
            itemBytes += bytes
            fragments += item.fragmentCount
            if item.command.count > 0 {
                commandCounts[CommandName(item.command[0]), default: 0] += 1
            }
            let time = item.envelope == .pikaItem ? item.header.execTime : item.firstRecordTime
            files[f].items += 1
            files[f].itemBytes += bytes
            if files[f].firstLogicID == nil {
                files[f].firstLogicID = item.header.logicID
                files[f].firstExecTime = time
                files[f].firstItemStart = item.start
                files[f].firstItemStored = item.header.stored
            }
            files[f].lastLogicID = item.header.logicID
            files[f].lastExecTime = time
            files[f].lastItemEnd = item.end
            if firstItem == nil { firstItem = (item.header.logicID, time, item.start) }
            lastItem = (item.header.logicID, time, item.end, item.header.termOrServerID)
        case .padding(let p):
            padding.append(p)
            files[f].paddingBytes += p.byteCount
        case .damage(let d):
            damage.append(d)
            files[f].damageBytes += d.length
        }
    }

    /// Per-command counts, most frequent first.
    public var sortedCommandCounts: [(CommandName, Int)] {
        commandCounts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
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
/// N+1 had items; right after a roll with no item yet, Pika writes `(N+1, 0)` (spec §8.19).
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
