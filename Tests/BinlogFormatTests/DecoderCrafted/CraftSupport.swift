import BinlogFormat
import TestSupport
import Testing

// The crafting helpers of the DecoderCrafted suites (see DecoderCraftedTests.swift).

// MARK: - Crafting bytes

enum Craft {
    static let block = 65_536
    /// Every crafted stream is decoded as `write2file3`, so positions show the file number is kept.
    static let fileNumber: FileNumber = 3
    static let time: UInt32 = 1_700_000_000

    static func position(_ offset: Int) -> PhysicalPosition {
        PhysicalPosition(fileNumber: fileNumber, offset: UInt64(offset))
    }

    static func le<T: FixedWidthInteger>(_ value: T, into out: inout [UInt8]) {
        for i in 0..<(T.bitWidth / 8) { out.append(UInt8(truncatingIfNeeded: value >> (8 * i))) }
    }

    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    /// `*<argc>\r\n` then `$<len>\r\n<arg>\r\n` per argument, as Pika writes it.
    static func resp(_ argv: [[UInt8]]) -> [UInt8] {
        var out = bytes("*\(argv.count)\r\n")
        for a in argv { out += bytes("$\(a.count)\r\n") + a + [0x0D, 0x0A] }
        return out
    }

    /// The 8-byte record header: 24-bit length, 32-bit time, type (Docs/Format.md §B3).
    static func header(length: Int, time: UInt32 = Craft.time, type: UInt8) -> [UInt8] {
        [
            UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length >> 16 & 0xFF),
            UInt8(time & 0xFF), UInt8(time >> 8 & 0xFF), UInt8(time >> 16 & 0xFF), UInt8(time >> 24),
            type,
        ]
    }

    /// The 34-byte item envelope (Docs/Format.md §B7), written field by field.
    static func envelope(
        type: UInt16 = 1, execTime: UInt32, term: UInt32, logicID: UInt64, storedFile: UInt32,
        storedOffset: UInt64, contentLength: UInt32
    ) -> [UInt8] {
        var out: [UInt8] = []
        le(type, into: &out)
        le(execTime, into: &out)
        le(term, into: &out)
        le(logicID, into: &out)
        le(storedFile, into: &out)
        le(storedOffset, into: &out)
        le(contentLength, into: &out)
        return out
    }

    /// An E3 item (v3.0–v4.0): envelope then RESP.
    static func e3(
        _ argv: [[UInt8]], logicID: UInt64, execTime: UInt32 = 1_650_000_000, term: UInt32 = 0,
        storedFile: UInt32 = 0, storedOffset: UInt64 = 0
    ) -> CraftPayload {
        let content = resp(argv)
        let env = envelope(
            execTime: execTime, term: term, logicID: logicID, storedFile: storedFile, storedOffset: storedOffset,
            contentLength: UInt32(content.count))
        return CraftPayload(
            bytes: env + content, argv: argv, envelope: .pikaItem,
            header: ItemHeader(
                execTime: execTime, termOrServerID: term, logicID: logicID,
                stored: ResumePoint(fileNumber: storedFile, offset: storedOffset), contentLength: UInt32(content.count)))
    }

    static func e3(_ argv: [String], logicID: UInt64) -> CraftPayload {
        e3(argv.map(bytes), logicID: logicID)
    }

    /// An E3 item whose whole payload (envelope included) is exactly `size` bytes (≥ 60):
    /// `set k <v>`, or `set kk <v>` where the value's length digits leave no `k` solution.
    static func e3(size: Int, logicID: UInt64) -> CraftPayload {
        precondition(size >= 60, "the smallest `set k v` item is 60 bytes")
        for key in ["k", "kk"] {
            for digits in 1...8 {
                // 34 envelope + `*3\r\n$3\r\nset\r\n` 13 + key + 6 + `$<digits>\r\n<n>\r\n` 5 + digits + n.
                let n = size - 58 - key.count - digits
                if n >= 0 && String(n).count == digits {
                    let from = Int(logicID % 251)
                    let value = Array(valuePattern[from..<(from + n)])
                    let p = e3([bytes("set"), bytes(key), value], logicID: logicID)
                    precondition(p.bytes.count == size)
                    return p
                }
            }
        }
        preconditionFailure("no item of \(size) bytes")
    }

    /// An E2a item (v2.0–v2.2): bare RESP.
    static func e2a(_ argv: [[UInt8]]) -> CraftPayload {
        let b = resp(argv)
        return CraftPayload(
            bytes: b, argv: argv, envelope: .bareRESP,
            header: ItemHeader(
                execTime: 0, termOrServerID: 0, logicID: 0, stored: ResumePoint(fileNumber: 0, offset: 0),
                contentLength: UInt32(b.count)))
    }

    /// Bytes of every value, CR and LF included, for item values (sliced, not rebuilt per item).
    static let valuePattern: [UInt8] = (0..<(2_100_000 + 251)).map { UInt8(truncatingIfNeeded: $0 &* 31) }

    static let affiliatedMagic = bytes("__PIKA_X#$SKGI")

    /// An E2b item (v2.3): RESP of the command plus magic, server id, binlog_info (16 bytes LE, or
    /// empty on a slave), hub flag (Docs/Format.md §B7).
    static func e2b(
        _ argv: [[UInt8]], serverID: UInt32, info: (execTime: UInt32, filenum: UInt32, offset: UInt64)?, hub: Bool
    ) -> CraftPayload {
        var infoBytes: [UInt8] = []
        if let info {
            le(info.execTime, into: &infoBytes)
            le(info.filenum, into: &infoBytes)
            le(info.offset, into: &infoBytes)
        }
        let b = resp(argv + [affiliatedMagic, bytes(String(serverID)), infoBytes, bytes(hub ? "1" : "0")])
        return CraftPayload(
            bytes: b, argv: argv, envelope: .affiliatedRESP,
            header: ItemHeader(
                execTime: info?.execTime ?? 0, termOrServerID: serverID, logicID: 0,
                stored: ResumePoint(fileNumber: info?.filenum ?? 0, offset: info?.offset ?? 0),
                contentLength: UInt32(b.count)))
    }

    /// The padding BinlogItem of `size` payload bytes (`ConstructPaddingBinlog`, Docs/Format.md §B9): all
    /// header fields 0, content `*2\r\n$7\r\npadding\r\n$NNNNN\r\n***…\r\n`.
    static func paddingItem(size: Int) -> [UInt8] {
        precondition(size >= 61 && size <= 65528)
        let n = size - 34 - 27
        let digits = String(n)
        let content =
            bytes("*2\r\n$7\r\npadding\r\n$") + bytes(String(repeating: "0", count: 5 - digits.count) + digits)
            + bytes("\r\n") + [UInt8](repeating: UInt8(ascii: "*"), count: n) + bytes("\r\n")
        precondition(content.count == n + 27)
        return envelope(
            execTime: 0, term: 0, logicID: 0, storedFile: 0, storedOffset: 0, contentLength: UInt32(content.count))
            + content
    }
}

/// An item payload and what the decoder must report for it.
struct CraftPayload {
    var bytes: [UInt8]
    var argv: [[UInt8]]
    var envelope: ItemEnvelope
    var header: ItemHeader
}

/// Appends records exactly as Pika's `Binlog::Produce` does (Docs/Format.md §B4): a zero trailer when fewer
/// than 8 bytes are left in the block, a zero-length First record when exactly 8 are left, then
/// Full or First/Middle…/Last fragments, each never crossing a block end.
struct CraftWriter {
    var bytes: [UInt8] = []
    /// Header time of the next fragment.
    var time: UInt32 = Craft.time
    /// Advance `time` by one after every fragment (fragments of one item can differ in time).
    var tickPerFragment = false
    /// Trailers (1–7 zero bytes) written so far.
    private(set) var trailers = 0
    private(set) var trailerBytes = 0

    var count: Int { bytes.count }

    /// Frames `payload` as one item; returns where its records went.
    @discardableResult
    mutating func frame(_ payload: [UInt8]) -> CraftPlacement {
        var left = payload.count
        var index = 0
        var begin = true
        var start = -1
        var times: [UInt32] = []
        repeat {
            let leftover = Craft.block - bytes.count % Craft.block
            if leftover < 8 {
                bytes += [UInt8](repeating: 0, count: leftover)
                trailers += 1
                trailerBytes += leftover
            }
            let avail = Craft.block - bytes.count % Craft.block - 8
            let fragment = min(left, avail)
            let end = fragment == left
            let type: UInt8 = begin && end ? 1 : begin ? 2 : end ? 4 : 3
            if begin { start = bytes.count }
            bytes += Craft.header(length: fragment, time: time, type: type)
            bytes += payload[index..<(index + fragment)]
            times.append(time)
            if tickPerFragment { time &+= 1 }
            left -= fragment
            index += fragment
            begin = false
        } while left > 0
        return CraftPlacement(start: start, end: bytes.count, times: times)
    }

    /// Frames an item and returns the record the decoder must yield for it.
    @discardableResult
    mutating func item(_ p: CraftPayload) -> CraftedRecord {
        let placed = frame(p.bytes)
        return .item(
            CraftedItem(
                start: placed.start, end: placed.end, times: placed.times, envelope: p.envelope, header: p.header,
                argv: p.argv, payloadCount: p.bytes.count))
    }

    /// An E3 Full record that ends exactly `gap` bytes before the current block's end.
    @discardableResult
    mutating func fill(leaving gap: Int, logicID: UInt64) -> CraftedRecord {
        let size = Craft.block - bytes.count % Craft.block - gap - 8
        return item(Craft.e3(size: size, logicID: logicID))
    }

    /// A raw record header plus payload, with no framing logic at all.
    mutating func record(type: UInt8, length: Int, payload: [UInt8], time: UInt32 = Craft.time) {
        bytes += Craft.header(length: length, time: time, type: type)
        bytes += payload
    }

    mutating func raw(_ b: [UInt8]) { bytes += b }
    mutating func zeros(_ n: Int) { bytes += [UInt8](repeating: 0, count: n) }
    mutating func zeros(to offset: Int) { zeros(offset - bytes.count) }
}

struct CraftPlacement {
    var start: Int
    var end: Int
    var times: [UInt32]
    var fragments: Int { times.count }
}

// MARK: - Decoding into values

/// A decoded item, copied out of the decoder.
struct CraftedItem: Equatable, CustomStringConvertible {
    var start: Int
    var end: Int
    var times: [UInt32]
    var envelope: ItemEnvelope
    var header: ItemHeader
    var argv: [[UInt8]]
    var payloadCount: Int

    var fragments: Int { times.count }

    var description: String {
        let name = argv.first.map { String(decoding: $0, as: UTF8.self) } ?? "?"
        return "item[\(start)..<\(end) ×\(fragments) \(envelope.rawValue) logic \(header.logicID) \(name)/\(argv.count)]"
    }
}

enum CraftedRecord: Equatable, CustomStringConvertible {
    case item(CraftedItem)
    case padding(PaddingRegion)
    case damage(Damage)

    static func padding(_ kind: PaddingRegion.Kind, _ start: Int, _ end: Int) -> CraftedRecord {
        .padding(PaddingRegion(kind: kind, start: Craft.position(start), end: Craft.position(end)))
    }

    static func damage(_ kind: Damage.Kind, _ start: Int, _ end: Int) -> CraftedRecord {
        .damage(Damage(kind: kind, start: Craft.position(start), length: UInt64(end - start)))
    }

    var start: Int {
        switch self {
        case .item(let i): i.start
        case .padding(let p): Int(p.start.offset)
        case .damage(let d): Int(d.start.offset)
        }
    }

    var end: Int {
        switch self {
        case .item(let i): i.end
        case .padding(let p): Int(p.end.offset)
        case .damage(let d): Int(d.end.offset)
        }
    }

    var item: CraftedItem? {
        if case .item(let i) = self { return i }
        return nil
    }

    var description: String {
        switch self {
        case .item(let i): i.description
        case .padding(let p): "padding[\(p.kind.rawValue) \(p.start.offset)..<\(p.end.offset)]"
        case .damage(let d): "damage[\(d.kind) \(d.start.offset)..<\(d.end.offset)]"
        }
    }
}

struct CraftedDecoding {
    var records: [CraftedRecord] = []
    var trailerCount = 0
    var trailerBytes: UInt64 = 0
    var bytesConsumed: UInt64 = 0
    /// False when the decoder produced more records than the input has bytes (a loop).
    var terminated = true

    var items: [CraftedItem] { records.compactMap(\.item) }
}

/// Decodes `bytes[startOffset...]` as `write2file3` and copies every record out.
func craftedDecode(_ bytes: [UInt8], startOffset: Int = 0, fileNumber: FileNumber = Craft.fileNumber) throws
    -> CraftedDecoding
{
    var decoder = BinlogFileDecoder(
        source: MemorySource(Array(bytes[startOffset...])), fileNumber: fileNumber, startOffset: UInt64(startOffset))
    var out = CraftedDecoding()
    // Every record covers at least one byte; more records than bytes means the decoder loops.
    let cap = bytes.count - startOffset + 2
    while let record = try decoder.next() {
        switch record {
        case .item(let i):
            #expect(i.start.fileNumber == fileNumber && i.end.fileNumber == fileNumber)
            #expect(i.firstRecordTime == i.recordTimes.first && i.lastRecordTime == i.recordTimes.last)
            #expect(i.recordTimes.count == i.fragmentCount)
            #expect(i.endResumePoint == ResumePoint(after: i.end))
            out.records.append(
                .item(
                    CraftedItem(
                        start: Int(i.start.offset), end: Int(i.end.offset), times: Array(i.recordTimes),
                        envelope: i.envelope, header: i.header, argv: i.command.ownedArguments(),
                        payloadCount: i.payload.count)))
        case .padding(let p): out.records.append(.padding(p))
        case .damage(let d): out.records.append(.damage(d))
        }
        if out.records.count > cap {
            out.terminated = false
            break
        }
    }
    out.trailerCount = decoder.trailerCount
    out.trailerBytes = decoder.trailerByteCount
    out.bytesConsumed = decoder.bytesConsumed
    return out
}
