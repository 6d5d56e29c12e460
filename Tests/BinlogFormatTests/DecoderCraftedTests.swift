import BinlogFormat
import TestSupport
import Testing

// Crafted byte streams fed to `BinlogFileDecoder`: framing at every block position, every damage
// kind with the items around it, zero regions, start offsets, and a seeded fuzz run.
//
// The bytes are framed by `CraftWriter` below, a deliberately tiny copy of Pika's
// `Binlog::Produce` (Docs/Format.md §B4) that does not use the library's own writer.
// Helpers are prefixed `Craft`/`crafted` to stay clear of other suites in this module.

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

// MARK: - Framing

@Suite struct DecoderCraftedTests {
    /// Item A ends `gap` bytes before the end of block 0; item B (67 bytes) follows as Pika writes it.
    @Test(arguments: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 74, 75, 76, 100, 65_000])
    func itemEndingNearABlockEnd(gap: Int) throws {
        var w = CraftWriter()
        w.tickPerFragment = true
        let a = w.fill(leaving: gap, logicID: 1)
        let b = w.item(Craft.e3(["set", "key", "value"], logicID: 2))
        let c = w.item(Craft.e3(["del", "key"], logicID: 3))
        #expect(a.end == 65_536 - gap)
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [a, b, c])

        // What Pika's writer does, stated by hand rather than through CraftWriter.
        let bItem = try #require(b.item)
        #expect(bItem.payloadCount == 67)
        switch gap {
        case 0:
            #expect(bItem.start == 65_536 && bItem.fragments == 1 && bItem.end == 65_536 + 75)
        case 1...7:
            // A trailer of `gap` zero bytes; B starts the next block.
            #expect(Array(w.bytes[(65_536 - gap)..<65_536]) == [UInt8](repeating: 0, count: gap))
            #expect(bItem.start == 65_536 && bItem.fragments == 1 && bItem.end == 65_536 + 75)
        case 8:
            // A zero-length First record fills the last 8 bytes; the item starts there.
            #expect(Array(w.bytes[65_528..<65_536]) == Craft.header(length: 0, time: bItem.times[0], type: 2))
            #expect(bItem.start == 65_528 && bItem.fragments == 2 && bItem.end == 65_536 + 75)
            #expect(bItem.times == [Craft.time + 1, Craft.time + 2])
        case 9...74:
            // First with gap − 8 bytes, Last with the rest.
            #expect(bItem.start == 65_536 - gap && bItem.fragments == 2)
            #expect(bItem.end == 65_536 + 8 + (67 - (gap - 8)))
        default:
            #expect(bItem.start == 65_536 - gap && bItem.fragments == 1 && bItem.end == 65_536 - gap + 75)
        }
        // A trailer after A (gap 1–7), or after B when B ends 1 byte before the block end (gap 76).
        #expect(w.trailers == ((1...7).contains(gap) || gap == 76 ? 1 : 0))
        #expect(d.trailerCount == w.trailers)
        #expect(d.trailerBytes == UInt64((1...7).contains(gap) ? gap : gap == 76 ? 1 : 0))
        #expect(d.bytesConsumed == UInt64(w.count))
    }

    struct Span: Sendable, CustomTestStringConvertible {
        var payload: Int
        var fragments: Int
        var end: Int
        var testDescription: String { "\(payload) bytes, \(fragments) fragments" }
    }

    /// Item M starts at 108 (after a 100-byte item), so its First carries 65 420 bytes.
    @Test(arguments: [
        Span(payload: 65_420, fragments: 1, end: 65_536),
        Span(payload: 65_421, fragments: 2, end: 65_536 + 9),
        Span(payload: 65_420 + 65_528, fragments: 2, end: 131_072),
        Span(payload: 65_420 + 65_528 + 1, fragments: 3, end: 131_072 + 9),
        Span(payload: 65_420 + 2 * 65_528 - 1, fragments: 3, end: 196_608 - 1),
        Span(payload: 65_420 + 3 * 65_528 + 500, fragments: 5, end: 262_144 + 508),
        // More than 16 fragments (the decoder's initial time buffer) and more than one 1 MiB chunk.
        Span(payload: 65_420 + 20 * 65_528 + 1_000, fragments: 22, end: 21 * 65_536 + 1_008),
    ])
    func itemSpanningBlocks(_ s: Span) throws {
        var w = CraftWriter()
        w.tickPerFragment = true
        let a = w.item(Craft.e3(size: 100, logicID: 1))
        let m = w.item(Craft.e3(size: s.payload, logicID: 2))
        let c = w.item(Craft.e3(["ping"], logicID: 3))
        let mItem = try #require(m.item)
        #expect(mItem.start == 108 && mItem.fragments == s.fragments && mItem.end == s.end)
        #expect(mItem.times == (0..<s.fragments).map { Craft.time + 1 + UInt32($0) })
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [a, m, c])
        #expect(d.trailerCount == w.trailers)
    }

    /// Several MiB of items of every size class: many trailers, zero-length Firsts, block-filling
    /// Full records and items crossing the decoder's 1 MiB chunk boundaries.
    @Test func manyItemsAcrossChunks() throws {
        var w = CraftWriter()
        w.tickPerFragment = true
        var expected: [CraftedRecord] = []
        var rng = SplitMix64(seed: 7)
        var logic: UInt64 = 1
        while w.count < 3 * 1_048_576 + 12_345 {
            let inBlock = w.count % Craft.block
            let r = rng.below(100)
            if r < 10 && inBlock < 60_000 {
                // Force a trailer of 1–8 bytes (8 = zero-length First next).
                expected.append(w.fill(leaving: 1 + rng.below(8), logicID: logic))
            } else if r < 15 && inBlock < 60_000 {
                expected.append(w.fill(leaving: 0, logicID: logic))
            } else if r < 25 {
                expected.append(w.item(Craft.e3(size: 60 + rng.below(300_000), logicID: logic)))
            } else {
                expected.append(w.item(Craft.e3(size: 60 + rng.below(2_000), logicID: logic)))
            }
            logic += 1
        }
        let d = try craftedDecode(w.bytes)
        #expect(d.records.count == expected.count)
        #expect(d.records == expected)
        for (x, y) in zip(d.records, expected) where x != y {
            Issue.record("first difference: \(x) vs \(y)")
            break
        }
        #expect(w.trailers >= 10)
        #expect(d.trailerCount == w.trailers)
        #expect(d.trailerBytes == UInt64(w.trailerBytes))
        #expect(expected.contains { $0.item.map { $0.start % Craft.block == 65_528 } ?? false })
    }

    /// Binary arguments: CR, LF, NUL, `*`, `$` and every byte value survive framing and reassembly.
    @Test func binaryArgumentsAcrossFragments() throws {
        var w = CraftWriter()
        let all = (0..<70_000).map { UInt8(truncatingIfNeeded: $0) }
        let argv: [[UInt8]] = [Craft.bytes("set"), Craft.bytes("\r\n*1\r\n$3\r\n"), all, [], [0]]
        let m = w.item(Craft.e3(argv, logicID: 9))
        #expect(m.item?.fragments == 2)
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [m])
    }

    @Test func emptyFile() throws {
        let d = try craftedDecode([])
        #expect(d.records.isEmpty)
        #expect(d.trailerCount == 0)
    }

    // MARK: - Damage: record headers

    /// A, the damaged bytes, B in the same block, F filling the block, C at the next block start.
    struct Sandwich {
        var w = CraftWriter()
        let a: CraftedRecord
        let damageStart: Int
        let b: CraftedRecord
        let f: CraftedRecord
        let c: CraftedRecord

        init(aSize: Int = 200, _ damaged: (inout CraftWriter) -> Void) {
            a = w.item(Craft.e3(size: aSize, logicID: 1))
            damageStart = w.count
            damaged(&w)
            b = w.item(Craft.e3(["set", "b", "after"], logicID: 2))
            f = w.fill(leaving: 0, logicID: 3)
            c = w.item(Craft.e3(["set", "c", "next block"], logicID: 4))
        }

        var bStart: Int { b.start }

        /// A, one damage record from the damaged bytes to B, then B, F and C.
        func expecting(_ kind: Damage.Kind) -> [CraftedRecord] {
            [a, .damage(kind, damageStart, bStart), b, f, c]
        }
    }

    static let impossibleTypes: [UInt8] = [0, 5, 7, 8, 9, 0x20, 0x7F, 0x80, 255]

    @Test(arguments: impossibleTypes)
    func impossibleType(_ type: UInt8) throws {
        let s = Sandwich { w in w.record(type: type, length: 20, payload: Array(repeating: UInt8(ascii: "x"), count: 20)) }
        let d = try craftedDecode(s.w.bytes)
        #expect(d.records == s.expecting(.impossibleType(type)))
    }

    /// Type 0 with length 0 but a non-zero time is not a zero region: it is an impossible header.
    @Test func zeroTypeWithTime() throws {
        let s = Sandwich { w in w.raw(Craft.header(length: 0, time: 1, type: 0)) }
        let d = try craftedDecode(s.w.bytes)
        #expect(d.records == s.expecting(.impossibleType(0)))
        #expect(s.bStart - s.damageStart == 8)
    }

    struct TooLong: Sendable, CustomTestStringConvertible {
        var type: UInt8
        var excess: Int
        var testDescription: String { "type \(type), room + \(excess)" }
    }

    @Test(arguments: [
        TooLong(type: 1, excess: 1), TooLong(type: 1, excess: 1_000), TooLong(type: 1, excess: 0xFF_FFFF),
        TooLong(type: 2, excess: 1), TooLong(type: 3, excess: 7), TooLong(type: 4, excess: 1),
        TooLong(type: 6, excess: 1),
    ])
    func lengthBeyondBlock(_ t: TooLong) throws {
        var length = 0
        let s = Sandwich { w in
            let room = Craft.block - w.count % Craft.block - 8
            length = min(room + t.excess, 0xFF_FFFF)
            w.record(type: t.type, length: length, payload: Array(repeating: UInt8(ascii: "y"), count: 30))
        }
        let d = try craftedDecode(s.w.bytes)
        #expect(d.records == s.expecting(.lengthBeyondBlock(length: length)))
    }

    @Test(arguments: [RecordType.first, .middle])
    func fragmentNotReachingBlockEnd(_ type: RecordType) throws {
        let s = Sandwich { w in
            let piece = Array(Craft.e3(size: 500, logicID: 99).bytes.prefix(40))
            w.record(type: type.rawValue, length: 40, payload: piece)
        }
        let d = try craftedDecode(s.w.bytes)
        #expect(d.records == s.expecting(.fragmentShort(type)))
    }

    /// A short First whose Last follows in the next block: the Last becomes an orphan.
    @Test func shortFirstThenItsLast() throws {
        let s = Sandwich { w in
            w.record(type: 2, length: 40, payload: Array(Craft.e3(size: 500, logicID: 99).bytes.prefix(40)))
        }
        // Keep A, the short First, B and F; then the Last at the next block start and C after it.
        var w = CraftWriter()
        w.raw(Array(s.w.bytes[..<s.f.end]))
        let lastStart = w.count
        w.record(type: 4, length: 30, payload: Array(repeating: 7, count: 30))
        let c = w.item(Craft.e3(["set", "c", "x"], logicID: 4))
        let d = try craftedDecode(w.bytes)
        #expect(lastStart == 65_536)
        #expect(
            d.records == [
                s.a, .damage(.fragmentShort(.first), s.damageStart, s.bStart), s.b, s.f,
                .damage(.orphanFragment(.last), lastStart, lastStart + 38), c,
            ])
    }

    // MARK: - Damage: fragment sequences

    /// Block 0: A and B fill it. Block 1 starts with a Last (no First before it), then C.
    @Test func orphanLast() throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 300, logicID: 1))
        let b = w.fill(leaving: 0, logicID: 2)
        w.record(type: 4, length: 100, payload: Array(repeating: UInt8(ascii: "L"), count: 100))
        let c = w.item(Craft.e3(["set", "c", "v"], logicID: 3))
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [a, b, .damage(.orphanFragment(.last), 65_536, 65_644), c])
    }

    /// Block 1 is a whole Middle and block 2 starts with a Last, with no First: one orphan damage
    /// (contiguous damage is merged under the first kind), then C.
    @Test func orphanMiddleAndLast() throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 300, logicID: 1))
        let b = w.fill(leaving: 0, logicID: 2)
        w.record(type: 3, length: 65_528, payload: Array(repeating: UInt8(ascii: "M"), count: 65_528))
        w.record(type: 4, length: 100, payload: Array(repeating: UInt8(ascii: "L"), count: 100))
        let c = w.item(Craft.e3(["set", "c", "v"], logicID: 3))
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [a, b, .damage(.orphanFragment(.middle), 65_536, 131_072 + 108), c])
    }

    /// A whole Middle alone (its block followed by a Full item): orphan Middle.
    @Test func orphanMiddle() throws {
        var w = CraftWriter()
        let a = w.fill(leaving: 0, logicID: 1)
        w.record(type: 3, length: 65_528, payload: Array(repeating: UInt8(ascii: "M"), count: 65_528))
        let c = w.item(Craft.e3(["set", "c", "v"], logicID: 3))
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [a, .damage(.orphanFragment(.middle), 65_536, 131_072), c])
    }

    /// M's First (and maybe Middles) then, where its next fragment should be, a Full record.
    @Test(arguments: [1, 2, 3])
    func firstInterruptedByFull(fragmentsBefore: Int) throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 1_000, logicID: 1))
        // Frame a long item, then cut it after `fragmentsBefore` fragments.
        var m = CraftWriter()
        m.raw(w.bytes)
        let full = m.frame(Craft.e3(size: 400_000, logicID: 2).bytes)
        let cut = (fragmentsBefore) * Craft.block
        w.raw(Array(m.bytes[full.start..<cut]))
        let c = w.item(Craft.e3(["set", "c", "v"], logicID: 3))
        let e = w.item(Craft.e3(["set", "e", "v"], logicID: 4))
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [a, .damage(.interruptedItem(fragments: fragmentsBefore), 1_008, cut), c, e])
    }

    /// A First interrupted by another First: the first item is damage, the second decodes.
    @Test func firstInterruptedByFirst() throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 1_000, logicID: 1))
        let first = Craft.e3(size: 100_000, logicID: 2).bytes
        w.record(type: 2, length: 65_536 - 1_016, payload: Array(first.prefix(65_536 - 1_016)))
        let m = w.item(Craft.e3(size: 100_000, logicID: 3))
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [a, .damage(.interruptedItem(fragments: 1), 1_008, 65_536), m])
    }

    /// The file ends after M's First (and Middles): an uncommitted item (Docs/Format.md §B12).
    @Test(arguments: [1, 2, 3])
    func itemTruncatedByEOF(fragmentsKept: Int) throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 1_000, logicID: 1))
        w.frame(Craft.e3(size: 400_000, logicID: 2).bytes)
        let bytes = Array(w.bytes[..<(fragmentsKept * Craft.block)])
        let d = try craftedDecode(bytes)
        #expect(d.records == [a, .damage(.interruptedItem(fragments: fragmentsKept), 1_008, bytes.count)])
    }

    /// The zero-length First in the last 8 bytes of a block, then the end of the file.
    @Test func zeroLengthFirstAtEOF() throws {
        var w = CraftWriter()
        let a = w.fill(leaving: 8, logicID: 1)
        w.frame(Craft.e3(size: 500, logicID: 2).bytes)
        let d = try craftedDecode(Array(w.bytes[..<65_536]))
        #expect(d.records == [a, .damage(.interruptedItem(fragments: 1), 65_528, 65_536)])
    }

    /// The file ends inside M's Middle record: one damage from M's start to the end.
    @Test func eofInsideAFragment() throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 1_000, logicID: 1))
        w.frame(Craft.e3(size: 400_000, logicID: 2).bytes)
        let bytes = Array(w.bytes[..<(Craft.block + 30_000)])
        let d = try craftedDecode(bytes)
        #expect(d.records == [a, .damage(.interruptedItem(fragments: 1), 1_008, bytes.count)])
    }

    /// 1–7 non-zero bytes where a header should start, then the end of the file.
    @Test(arguments: 1...7)
    func truncatedHeaderAtEOF(_ n: Int) throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 500, logicID: 1))
        let b = Craft.e3(size: 500, logicID: 2).bytes
        w.raw(Array((Craft.header(length: b.count, type: 1) + b).prefix(n)))
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [a, .damage(.truncatedHeader, 508, 508 + n)])
    }

    /// 1–7 zero bytes at the end of the file (after an item, not at a block end): a tiny zero tail.
    @Test(arguments: 1...7)
    func shortZeroTail(_ n: Int) throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 500, logicID: 1))
        w.zeros(n)
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [a, .padding(.zeroTail, 508, 508 + n)])
    }

    /// A whole header, then the file ends inside the payload.
    @Test(arguments: [0, 1, 250, 499])
    func recordTruncatedAtEOF(payloadKept: Int) throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 500, logicID: 1))
        let b = Craft.e3(size: 500, logicID: 2).bytes
        w.raw(Craft.header(length: 500, type: 1) + b.prefix(payloadKept))
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [a, .damage(.truncatedRecord(length: 500), 508, 516 + payloadKept)])
    }

    /// A First or Last cut by EOF: the item before the First is interrupted, the cut record merged.
    @Test func lastTruncatedAtEOF() throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 1_000, logicID: 1))
        w.frame(Craft.e3(size: 100_000, logicID: 2).bytes)
        let bytes = Array(w.bytes.dropLast(10))
        let d = try craftedDecode(bytes)
        #expect(d.records == [a, .damage(.interruptedItem(fragments: 1), 1_008, bytes.count)])
    }

    // MARK: - Damage: a length field made larger

    /// X's length grows by 100 bytes (still inside its block) and so takes in B's header: X is
    /// damage up to B, and B and C decode.
    @Test func lengthenedFullRecord() throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 200, logicID: 1))
        let x = w.frame(Craft.e3(size: 300, logicID: 2).bytes)
        let b = w.item(Craft.e3(["set", "b", "v"], logicID: 3))
        let c = w.item(Craft.e3(size: 500, logicID: 4))
        var bytes = w.bytes
        bytes.replaceSubrange(x.start..<(x.start + 3), with: [UInt8(400 & 0xFF), UInt8(400 >> 8), 0])
        let d = try craftedDecode(bytes)
        #expect(d.records == [a, .damage(.badEnvelope("content length 266 but 366 bytes follow"), x.start, b.start), b, c])
    }

    /// The same for the Last fragment of a two-block item.
    @Test func lengthenedLastRecord() throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 200, logicID: 1))
        let m = w.frame(Craft.e3(size: 100_000, logicID: 2).bytes)
        let b = w.item(Craft.e3(["set", "b", "v"], logicID: 3))
        let c = w.item(Craft.e3(size: 500, logicID: 4))
        #expect(m.fragments == 2 && m.end == 100_224)
        var bytes = w.bytes
        let lastLength = 100_000 - (65_536 - 216) + 50
        bytes.replaceSubrange(65_536..<65_539, with: [UInt8(lastLength & 0xFF), UInt8(lastLength >> 8 & 0xFF), 0])
        let d = try craftedDecode(bytes)
        #expect(
            d.records == [a, .damage(.badEnvelope("content length 99966 but 100016 bytes follow"), 208, b.start), b, c])
    }

    /// X's length now runs past the end of the file, over the last item B: B still decodes.
    @Test func recordLengthenedPastEOF() throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 200, logicID: 1))
        let x = w.frame(Craft.e3(size: 300, logicID: 2).bytes)
        let b = w.item(Craft.e3(["set", "b", "v"], logicID: 3))
        var bytes = w.bytes
        bytes.replaceSubrange(x.start..<(x.start + 3), with: [UInt8(1_300 & 0xFF), UInt8(1_300 >> 8), 0])
        let d = try craftedDecode(bytes)
        #expect(d.records == [a, .damage(.truncatedRecord(length: 1_300), x.start, b.start), b])
    }

    // MARK: - Damage: trailers

    /// Item A leaves `gap` (1–7) bytes; one of them is not zero.
    @Test(arguments: 1...7)
    func dirtyTrailer(gap: Int) throws {
        var w = CraftWriter()
        let a = w.fill(leaving: gap, logicID: 1)
        var trailer = [UInt8](repeating: 0, count: gap)
        trailer[gap - 1] = 0xAB
        w.raw(trailer)
        let b = w.item(Craft.e3(["set", "b", "v"], logicID: 2))
        #expect(b.start == 65_536)
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [a, .damage(.dirtyTrailer, 65_536 - gap, 65_536), b])
        #expect(d.trailerCount == 1)
    }

    /// The last 8 bytes of a block hold something other than a zero-length First (or an empty item).
    @Test(arguments: [
        Craft.header(length: 0, type: 4), Craft.header(length: 0, type: 3), Craft.header(length: 5, type: 2),
        Craft.bytes("ABCDEFGH"),
    ])
    func dirtyLastEightBytes(_ junk: [UInt8]) throws {
        var w = CraftWriter()
        let a = w.fill(leaving: 8, logicID: 1)
        w.raw(junk)
        let b = w.item(Craft.e3(["set", "b", "v"], logicID: 2))
        #expect(b.start == 65_536)
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [a, .damage(.dirtyTrailer, 65_528, 65_536), b])
    }

    // MARK: - Damage: item envelope and RESP

    struct BadPayload: Sendable, CustomTestStringConvertible {
        var name: String
        var payload: [UInt8]
        var kind: Damage.Kind
        var testDescription: String { name }
    }

    static let badEnvelopes: [BadPayload] = {
        let good = Craft.e3(["set", "x", "y"], logicID: 5).bytes
        let contentLength = good.count - 34
        var type2 = good
        type2[0] = 2
        var type257 = good
        type257[1] = 1
        var longer = good
        longer[30] = UInt8(contentLength + 1)
        var shorter = good
        shorter[30] = UInt8(contentLength - 1)
        var huge = good
        huge[33] = 0x80
        return [
            BadPayload(
                name: "type 2", payload: type2,
                kind: .badEnvelope("payload starts with byte 2, neither an item header nor RESP")),
            BadPayload(
                name: "type 257", payload: type257,
                kind: .badEnvelope("payload starts with byte 1, neither an item header nor RESP")),
            BadPayload(
                name: "content length + 1", payload: longer,
                kind: .badEnvelope("content length \(contentLength + 1) but \(contentLength) bytes follow")),
            BadPayload(
                name: "content length − 1", payload: shorter,
                kind: .badEnvelope("content length \(contentLength - 1) but \(contentLength) bytes follow")),
            BadPayload(
                name: "content length 2^31", payload: huge,
                kind: .badEnvelope("content length \(UInt32(contentLength) | 0x8000_0000) but \(contentLength) bytes follow")),
            BadPayload(
                name: "33 bytes", payload: Array(good.prefix(33)),
                kind: .badEnvelope("33 bytes, shorter than the 34-byte item header")),
            BadPayload(
                name: "2 bytes", payload: [1, 0], kind: .badEnvelope("2 bytes, shorter than the 34-byte item header")),
            BadPayload(
                name: "1 byte", payload: [1],
                kind: .badEnvelope("payload starts with byte 1, neither an item header nor RESP")),
            BadPayload(
                name: "text", payload: Craft.bytes("hello world, not an item"),
                kind: .badEnvelope("payload starts with byte 104, neither an item header nor RESP")),
            BadPayload(
                name: "spaces then text", payload: Craft.bytes("   x"),
                kind: .badEnvelope("payload starts with byte 32, neither an item header nor RESP")),
        ]
    }()

    @Test(arguments: badEnvelopes)
    func badEnvelope(_ bad: BadPayload) throws {
        var x = CraftPlacement(start: 0, end: 0, times: [])
        let s = Sandwich { w in x = w.frame(bad.payload) }
        let d = try craftedDecode(s.w.bytes)
        #expect(x.end == s.bStart)
        #expect(d.records == s.expecting(bad.kind))
    }

    /// A bad envelope on a three-fragment item: the damage covers the whole item, the next decodes.
    @Test func badEnvelopeOnAMultiBlockItem() throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 100, logicID: 1))
        var bad = Craft.e3(size: 150_000, logicID: 2).bytes
        bad[30] ^= 1
        let x = w.frame(bad)
        let c = w.item(Craft.e3(["set", "c", "v"], logicID: 3))
        #expect(x.fragments == 3)
        let d = try craftedDecode(w.bytes)
        let cl = 150_000 - 34
        #expect(
            d.records == [
                a, .damage(.badEnvelope("content length \(cl ^ 1) but \(cl) bytes follow"), x.start, x.end), c,
            ])
    }

    struct BadRESP: Sendable, CustomTestStringConvertible {
        var content: String
        var error: RESPError
        var testDescription: String { "\(error)" }
    }

    static let badRESPs: [BadRESP] = [
        BadRESP(content: "+OK\r\n", error: .notAnArray(offset: 0)),
        BadRESP(content: "", error: .truncated(offset: 0)),
        BadRESP(content: "*x\r\n", error: .badCount(offset: 1)),
        BadRESP(content: "*0\r\n", error: .emptyArray(offset: 0)),
        BadRESP(content: "*1\r\n+set\r\n", error: .notABulkString(offset: 4)),
        BadRESP(content: "*1\r\n$3\r\nsetXY", error: .missingTerminator(offset: 11)),
        BadRESP(content: "*2\r\n$3\r\nset\r\n", error: .truncated(offset: 13)),
        BadRESP(content: "*1\r\n$9\r\nset\r\n", error: .truncated(offset: 8)),
        BadRESP(content: "*1\r\n$3\r\nset\r\nXX", error: .trailingBytes(offset: 13, count: 2)),
        BadRESP(content: "*1\r\n$-1\r\n", error: .badCount(offset: 5)),
    ]

    /// E3 items whose envelope is fine but whose content is not RESP; the items around decode.
    @Test(arguments: badRESPs)
    func badRESPInAnItem(_ bad: BadRESP) throws {
        let content = Craft.bytes(bad.content)
        let payload =
            Craft.envelope(
                execTime: 5, term: 0, logicID: 77, storedFile: 0, storedOffset: 0, contentLength: UInt32(content.count))
            + content
        let s = Sandwich { w in w.frame(payload) }
        let d = try craftedDecode(s.w.bytes)
        #expect(d.records == s.expecting(.badRESP(bad.error, logicID: 77)))
    }

    /// An item framed whole whose content ends in zeros (its bytes not all copied yet into a
    /// zero-filled file): damage that says so, for `check` to tell a torn in-flight tail.
    @Test func itemEndingInZerosIsDamageThatSaysSo() throws {
        var content = Craft.bytes("*3\r\n$3\r\nset\r\n$1\r\nk\r\n$5\r\nvalue\r\n")
        content.replaceSubrange((content.count - 6)..., with: [UInt8](repeating: 0, count: 6))
        let payload =
            Craft.envelope(
                execTime: 5, term: 0, logicID: 77, storedFile: 0, storedOffset: 0, contentLength: UInt32(content.count))
            + content
        let s = Sandwich { w in w.frame(payload) }
        let d = try craftedDecode(s.w.bytes)
        let damage = d.records.compactMap { if case .damage(let x) = $0 { x } else { nil } }
        #expect(damage.count == 1)
        #expect(damage.first?.endsInZeros == true)
        // A content that ends otherwise (the table above) does not.
        let t = Sandwich { w in w.frame(Craft.envelope(execTime: 5, term: 0, logicID: 77, storedFile: 0, storedOffset: 0, contentLength: 7) + Craft.bytes("*1\r\n$3X")) }
        let e = try craftedDecode(t.w.bytes).records.compactMap { if case .damage(let x) = $0 { x } else { nil } }
        #expect(e.count == 1 && e.first?.endsInZeros == false)
    }

    /// Bare RESP (E2a) that does not parse: logic id 0.
    @Test(arguments: badRESPs.filter { $0.content.hasPrefix("*") })
    func badRESPInABareItem(_ bad: BadRESP) throws {
        let s = Sandwich { w in w.frame(Craft.bytes(bad.content)) }
        let d = try craftedDecode(s.w.bytes)
        #expect(d.records == s.expecting(.badRESP(bad.error, logicID: 0)))
    }

    /// Two damaged items back to back are one damage record (contiguous damage merges), and the
    /// items on both sides still decode.
    @Test func adjacentDamageMerges() throws {
        let s = Sandwich { w in
            var bad = Craft.e3(["set", "x", "y"], logicID: 10).bytes
            bad[30] += 1
            w.frame(bad)
            w.frame(Craft.envelope(execTime: 0, term: 0, logicID: 11, storedFile: 0, storedOffset: 0, contentLength: 4)
                + Craft.bytes("*0\r\n"))
        }
        let d = try craftedDecode(s.w.bytes)
        #expect(d.records == s.expecting(.badEnvelope("content length 28 but 27 bytes follow")))
    }

    // MARK: - Zero regions

    /// Zeros from after the last item to the end of the file (mmap preallocation, Docs/Format.md §B12).
    @Test(arguments: [1_000, 65_536, 4 * 1_048_576, 4 * 1_048_576 + 5])
    func zeroTail(fileSize: Int) throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 300, logicID: 1))
        let b = w.item(Craft.e3(size: 400, logicID: 2))
        w.zeros(to: fileSize)
        let d = try craftedDecode(w.bytes)
        #expect(b.end == 716)
        #expect(d.records == [a, b, .padding(.zeroTail, 716, fileSize)])
    }

    /// The zero tail after an item that leaves a trailer: the trailer is counted, the tail starts
    /// at the next block.
    @Test(arguments: [0, 3, 8])
    func zeroTailAfterABlockEnd(gap: Int) throws {
        var w = CraftWriter()
        let a = w.fill(leaving: gap, logicID: 1)
        w.zeros(to: 300_000)
        let d = try craftedDecode(w.bytes)
        let tailStart = gap == 8 ? 65_528 : 65_536
        #expect(d.records == [a, .padding(.zeroTail, tailStart, 300_000)])
        #expect(d.trailerCount == (gap == 3 ? 1 : 0))
    }

    /// A crash in the middle of a multi-block item, then preallocated zeros.
    @Test func zeroTailAfterAnInterruptedItem() throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 300, logicID: 1))
        w.frame(Craft.e3(size: 200_000, logicID: 2).bytes)
        var bytes = Array(w.bytes[..<(2 * Craft.block)])
        bytes += [UInt8](repeating: 0, count: 500_000)
        let d = try craftedDecode(bytes)
        #expect(
            d.records == [
                a, .damage(.interruptedItem(fragments: 2), 308, 131_072), .padding(.zeroTail, 131_072, bytes.count),
            ])
    }

    @Test(arguments: [1, 7, 8, 9, 65_535, 65_536, 65_537, 1_048_576, 1_048_576 + 3, 3 * 1_048_576 + 100])
    func allZeroFile(size: Int) throws {
        let d = try craftedDecode([UInt8](repeating: 0, count: size))
        #expect(d.records == [.padding(.zeroTail, 0, size)])
    }

    struct Hole: Sendable, CustomTestStringConvertible {
        var name: String
        /// Where the hole starts (A fills up to it).
        var start: Int
        var length: Int
        /// Payload size of B, the item right after the hole (a multiple of 256 puts a zero byte
        /// first in its header).
        var bSize: Int = 300
        var testDescription: String { name }
    }

    static let holes: [Hole] = [
        Hole(name: "mid-block", start: 1_000, length: 1_000),
        Hole(name: "8 bytes", start: 1_000, length: 8),
        Hole(name: "B's header starts with a zero byte", start: 1_000, length: 2_000, bSize: 512),
        Hole(name: "to a block end", start: 1_000, length: 65_536 - 1_000),
        Hole(name: "three blocks", start: 30_000, length: 3 * 65_536),
        Hole(name: "to the 1 MiB chunk end", start: 1_000_000, length: 1_048_576 - 1_000_000),
        Hole(
            name: "to the 1 MiB chunk end, B's header starts with a zero byte", start: 1_000_000,
            length: 1_048_576 - 1_000_000, bSize: 256),
        Hole(name: "across the 1 MiB chunk end", start: 1_000_000, length: 1_048_576 - 1_000_000 + 5_000),
        Hole(
            name: "across the 1 MiB chunk end, B's header starts with a zero byte", start: 1_000_000,
            length: 1_048_576 - 1_000_000 + 5_000, bSize: 768),
    ]

    /// Zeros where records should be, then more items: damage `.zeroRegion`, then B and C decode.
    @Test(arguments: holes)
    func zeroHole(_ h: Hole) throws {
        var w = CraftWriter()
        var expected: [CraftedRecord] = []
        var logic: UInt64 = 1
        while w.count + Craft.block <= h.start {
            expected.append(w.fill(leaving: 0, logicID: logic))
            logic += 1
        }
        if w.count < h.start { expected.append(w.item(Craft.e3(size: h.start - w.count - 8, logicID: logic))) }
        #expect(w.count == h.start)
        w.zeros(h.length)
        let b = w.item(Craft.e3(size: h.bSize, logicID: 100))
        let c = w.item(Craft.e3(["set", "c", "v"], logicID: 101))
        #expect(b.start == h.start + h.length)
        if h.bSize % 256 == 0 { #expect(w.bytes[b.start] == 0) }
        let d = try craftedDecode(w.bytes)
        #expect(d.records == expected + [.damage(.zeroRegion, h.start, b.start), b, c])
    }

    // MARK: - Starting inside a file

    /// A, then M over blocks 0–3 (First, Middle, Middle, Last), then C and D in block 3. Starting
    /// at block 1, 2 or 3 skips M's fragments silently.
    @Test(arguments: [1, 2, 3])
    func startInsideAMultiBlockItem(block: Int) throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 1_000, logicID: 1))
        let m = w.item(Craft.e3(size: 3 * 65_528 - 1_008 + 100, logicID: 2))
        let c = w.item(Craft.e3(["set", "c", "v"], logicID: 3))
        let e = w.item(Craft.e3(["set", "e", "v"], logicID: 4))
        #expect(m.item?.fragments == 4 && m.end == 3 * 65_536 + 108)
        #expect(try craftedDecode(w.bytes).records == [a, m, c, e])
        let d = try craftedDecode(w.bytes, startOffset: block * Craft.block)
        #expect(d.records == [c, e])
    }

    /// An item that began with the zero-length First at 65 528: starting at 65 536 skips its Last.
    @Test func startAfterAZeroLengthFirst() throws {
        var w = CraftWriter()
        _ = w.fill(leaving: 8, logicID: 1)
        let m = w.item(Craft.e3(size: 1_000, logicID: 2))
        let c = w.item(Craft.e3(["set", "c", "v"], logicID: 3))
        #expect(m.start == 65_528)
        let d = try craftedDecode(w.bytes, startOffset: Craft.block)
        #expect(d.records == [c])
    }

    /// Starting at a block where an item begins: nothing is skipped.
    @Test func startAtAnItemStart() throws {
        var w = CraftWriter()
        _ = w.fill(leaving: 0, logicID: 1)
        let b = w.item(Craft.e3(size: 100_000, logicID: 2))
        let c = w.item(Craft.e3(["set", "c", "v"], logicID: 3))
        let d = try craftedDecode(w.bytes, startOffset: Craft.block)
        #expect(d.records == [b, c])
    }

    /// A start past the 1 MiB chunk size inside a long item.
    @Test func startInsideAnItemBeyondTheFirstChunk() throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 100, logicID: 1))
        let m = w.item(Craft.e3(size: 2_000_000, logicID: 2))
        let c = w.item(Craft.e3(["set", "c", "v"], logicID: 3))
        #expect(try craftedDecode(w.bytes).records == [a, m, c])
        #expect(try craftedDecode(w.bytes, startOffset: 20 * Craft.block).records == [c])
    }

    // MARK: - Items outside damaged bytes survive

    enum Mutation: String, Sendable, CaseIterable {
        /// A run of zeros, 1–100 bytes or up to 200 KiB, anywhere.
        case zeroRun
        /// An item's first header replaced by one of an impossible type.
        case impossibleHeader
        /// One byte of one fragment header (type, length or time) changed.
        case headerByte
    }

    /// Streams of one era (E3, E2a, E2b; items of 0–150 KB, trailers, zero-length Firsts) with one
    /// mutation: every item whose bytes the mutation does not touch must come out exactly. (This
    /// found the lost items fixed by resynchronising inside failed and truncated records.)
    @Test(arguments: Mutation.allCases)
    func itemsOutsideTheDamageSurvive(_ mutation: Mutation) throws {
        var rng = SplitMix64(seed: 0xDA3A6E + UInt64(mutation.rawValue.count))
        var checked = 0
        for round in 0..<240 {
            var w = CraftWriter()
            var placed: [CraftedItem] = []
            var logic: UInt64 = 1
            let era = round % 3
            let size = 150_000 + rng.below(400_000)
            while w.count < size {
                let k = rng.below(10)
                let record: CraftedRecord
                if k == 0 && w.count % Craft.block < 60_000 {
                    record = w.fill(leaving: rng.below(9), logicID: logic)
                } else {
                    let n = k < 3 ? rng.below(150_000) : rng.below(2_000)
                    let argv = [Craft.bytes("set"), Craft.bytes("k\(logic)"), Array(Craft.valuePattern[0..<n])]
                    switch era {
                    case 0: record = w.item(Craft.e3(argv, logicID: logic))
                    case 1: record = w.item(Craft.e2a(argv))
                    default: record = w.item(Craft.e2b(argv, serverID: 1, info: (execTime: 1, filenum: 2, offset: logic), hub: true))
                    }
                }
                placed.append(try #require(record.item))
                logic += 1
            }
            var bytes = w.bytes
            let damaged: Range<Int>
            switch mutation {
            case .zeroRun:
                let lo = rng.below(bytes.count)
                damaged = lo..<min(bytes.count, lo + 1 + rng.below(rng.below(2) == 0 ? 100 : 200_000))
                bytes.replaceSubrange(damaged, with: repeatElement(0, count: damaged.count))
            case .impossibleHeader:
                let victim = placed[rng.below(placed.count)]
                damaged = victim.start..<(victim.start + 8)
                let type: UInt8 = [0, 5, 7, 9, 0x20, 200][rng.below(6)]
                bytes.replaceSubrange(damaged, with: Craft.header(length: rng.below(70_000), type: type))
            case .headerByte:
                let victim = placed[rng.below(placed.count)]
                let f = rng.below(victim.fragments)
                let header = f == 0 ? victim.start : (victim.start / Craft.block + f) * Craft.block
                let at = header + rng.below(8)
                damaged = at..<(at + 1)
                bytes[at] ^= UInt8(1 + rng.below(255))
            }
            let d = try craftedDecode(bytes)
            #expect(craftTilingProblems(d.records, input: bytes).isEmpty, "round \(round)")
            let decoded = d.items
            for item in placed where item.end <= damaged.lowerBound || item.start >= damaged.upperBound {
                checked += 1
                #expect(
                    decoded.contains(item),
                    "round \(round), era \(era), damaged \(damaged): lost \(item) among \(d.records.filter { $0.end >= damaged.lowerBound - 100 && $0.start <= item.end + 100 }.prefix(6))"
                )
            }
        }
        #expect(checked > 1_000)
    }

    // MARK: - Never crash, never loop

    /// 2 000 seeded inputs of 0–200 KiB: random bytes, random bytes with plausible headers, and
    /// valid streams with mutations. The decoder must end, and its records must be in order, not
    /// overlap, stay inside the file and leave no gap other than a block trailer. (This found the
    /// damage/record overlap fixed in `resync`.)
    @Test func fuzz() throws {
        var rng = SplitMix64(seed: 0x5EED_B10C)
        var stats = (items: 0, damage: 0, padding: 0)
        for round in 0..<2_000 {
            let input = craftFuzzInput(round: round, &rng)
            let d = try craftedDecode(input)
            #expect(d.terminated, "round \(round) loops")
            let problems = craftTilingProblems(d.records, input: input)
            #expect(problems.isEmpty, "round \(round) (\(input.count) bytes): \(problems.prefix(3)) in \(d.records.prefix(30))")
            if !problems.isEmpty { break }
            // From a block-aligned start inside the input: leading fragments are skipped, the rest
            // stays in order and in bounds.
            if round % 3 == 0 && input.count > Craft.block {
                let start = (1 + rng.below(input.count / Craft.block)) * Craft.block
                if start < input.count {
                    let e = try craftedDecode(input, startOffset: start)
                    #expect(e.terminated, "round \(round) from \(start) loops")
                    var at = start
                    for r in e.records {
                        #expect(r.start >= at && r.end > r.start && r.end <= input.count, "round \(round) from \(start): \(r)")
                        at = r.end
                    }
                }
            }
            for r in d.records {
                switch r {
                case .item: stats.items += 1
                case .damage: stats.damage += 1
                case .padding: stats.padding += 1
                }
            }
        }
        // The corpus reaches every kind of record.
        #expect(stats.items > 1_000 && stats.damage > 1_000 && stats.padding > 100)
    }
}

// MARK: - Fuzz support


/// One fuzz input: a mix of pure noise, noise with real-looking headers, and valid streams with
/// mutations (bit flips, zeroed runs, overwritten headers, insertions, deletions, truncation).
func craftFuzzInput(round: Int, _ rng: inout SplitMix64) -> [UInt8] {
    let maxSize = 200 * 1_024
    switch round % 4 {
    case 0:
        return rng.bytes(rng.below(maxSize + 1))
    case 1:
        // Noise with record headers of every type scattered in it, often at block-relative spots.
        var b = rng.bytes(rng.below(maxSize + 1))
        for _ in 0..<rng.below(40) where b.count >= 8 {
            let at = rng.below(2) == 0 ? rng.below(b.count - 7) : min(b.count - 8, rng.below(4) * Craft.block + 65_528)
            let h = Craft.header(length: rng.below(70_000), time: UInt32(truncatingIfNeeded: rng.next()), type: UInt8(rng.below(9)))
            b.replaceSubrange(at..<(at + 8), with: h)
        }
        return b
    default:
        var w = CraftWriter()
        let target = rng.below(maxSize + 1)
        var logic: UInt64 = 1
        while w.count < target {
            let kind = rng.below(10)
            if kind == 0 && w.count % Craft.block < 60_000 {
                w.fill(leaving: rng.below(9), logicID: logic)
            } else if kind == 1 {
                w.frame(Craft.paddingItem(size: 61 + rng.below(2_000)))
            } else if kind == 2 {
                w.frame(Craft.e2a([Craft.bytes("set"), rng.bytes(rng.below(3_000))]).bytes)
            } else if kind == 3 && w.count % Craft.block <= 65_528 {
                // A kBadRecord padding record (Docs/Format.md §B10C), never past the block end.
                let n = min(rng.below(3_000), Craft.block - w.count % Craft.block - 8)
                w.record(type: 6, length: n, payload: [UInt8](repeating: UInt8(ascii: "*"), count: n))
            } else if kind == 4 {
                w.item(Craft.e3(size: 60 + rng.below(150_000), logicID: logic))
            } else {
                w.item(Craft.e3(size: 60 + rng.below(1_500), logicID: logic))
            }
            logic += 1
        }
        var b = w.bytes
        if round % 4 == 3 {
            // Preallocated tail.
            b += [UInt8](repeating: 0, count: rng.below(100_000))
        }
        for _ in 0..<(1 + rng.below(6)) where !b.isEmpty {
            let at = rng.below(b.count)
            switch rng.below(7) {
            case 0: b[at] ^= UInt8(1 << rng.below(8))
            case 1:
                let n = min(b.count - at, 1 + rng.below(3_000))
                b.replaceSubrange(at..<(at + n), with: repeatElement(0, count: n))
            case 2 where b.count - at >= 8:
                b.replaceSubrange(at..<(at + 8), with: rng.bytes(8))
            case 3: b.insert(contentsOf: rng.bytes(1 + rng.below(20)), at: at)
            case 4: b.removeSubrange(at..<min(b.count, at + 1 + rng.below(20)))
            case 5: b.removeSubrange(at...)
            default: b[at] = rng.below(2) == 0 ? 0x20 : UInt8(rng.below(9))
            }
        }
        if b.count > maxSize { b.removeSubrange(maxSize...) }
        return b
    }
}

/// Problems with how `records` cover `input`: out of order, overlapping, out of bounds, or a gap
/// that is not a zero block trailer (fewer than 8 bytes before a block end).
func craftTilingProblems(_ records: [CraftedRecord], input: [UInt8]) -> [String] {
    var problems: [String] = []
    var at = 0
    func gap(_ from: Int, _ to: Int) {
        guard from < to else { return }
        let blockEnd = (from / Craft.block + 1) * Craft.block
        if !(to == min(blockEnd, input.count) && blockEnd - from < 8 && input[from..<to].allSatisfy({ $0 == 0 })) {
            problems.append("gap \(from)..<\(to)")
        }
    }
    for r in records {
        if r.start >= r.end { problems.append("empty or reversed \(r)") }
        if r.start < at { problems.append("\(r) overlaps or precedes \(at)") }
        var next = r.start
        // A gap can hold a trailer and then continue at the next block start.
        while at < next {
            let blockEnd = (at / Craft.block + 1) * Craft.block
            let to = min(next, blockEnd)
            gap(at, to)
            at = to
            if !problems.isEmpty { break }
        }
        next = r.end
        at = max(at, next)
        if r.end > input.count { problems.append("\(r) ends past \(input.count)") }
    }
    while at < input.count && problems.isEmpty {
        let blockEnd = (at / Craft.block + 1) * Craft.block
        let to = min(input.count, blockEnd)
        gap(at, to)
        at = to
    }
    return problems
}




