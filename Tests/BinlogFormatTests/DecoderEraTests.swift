import BinlogFormat
import Testing

// Every item encoding Pika has written (Docs/Format.md §B7) and every kind of padding a slave gets after a
// full sync (§B10A, §B10B, §B10C, §B13), framed with `CraftWriter` (DecoderCraftedTests.swift).

@Suite struct DecoderEraTests {
    // MARK: - E2a (v2.0–v2.2): bare RESP

    @Test func bareRESPItems() throws {
        var w = CraftWriter()
        w.tickPerFragment = true
        let b = Craft.bytes
        var expected: [CraftedRecord] = []
        expected.append(w.item(Craft.e2a([b("set"), b("key"), b("value")])))
        expected.append(w.item(Craft.e2a([b("EXPIRE"), b("key"), b("100")])))
        // Binary-safe: CRLF, NUL, `*` and `$` inside arguments; an empty argument.
        expected.append(w.item(Craft.e2a([b("set"), b("a\r\nb"), [0, 0x2A, 0x24, 0x0D, 0x0A, 0xFF], []])))
        // Spanning three blocks.
        expected.append(w.item(Craft.e2a([b("set"), b("big"), [UInt8](repeating: 0x41, count: 150_000)])))
        expected.append(w.item(Craft.e2a([b("ping")])))
        // One that ends 8 bytes before a block end: the next starts with a zero-length First.
        // `set k <n bytes>` is n + digits(n) + 25 bytes of RESP.
        let target = Craft.block - w.count % Craft.block - 8 - 8
        var n = -1
        for digits in 1...6 where String(target - 25 - digits).count == digits { n = target - 25 - digits }
        #expect(n > 0)
        expected.append(w.item(Craft.e2a([b("set"), b("k"), [UInt8](repeating: 0x42, count: n)])))
        #expect(w.count % Craft.block == 65_528)
        expected.append(w.item(Craft.e2a([b("del"), b("k")])))
        #expect(expected.last?.start == 3 * 65_536 - 8)
        let d = try craftedDecode(w.bytes)
        #expect(d.records == expected)
        for item in d.items {
            #expect(item.envelope == .bareRESP)
            #expect(item.header.logicID == 0 && item.header.execTime == 0 && item.header.stored.offset == 0)
            #expect(Int(item.header.contentLength) == item.payloadCount)
        }
    }

    // MARK: - E2b (v2.3): RESP with four affiliated arguments

    @Test func affiliatedRESPItems() throws {
        var w = CraftWriter()
        let b = Craft.bytes
        // Written by a master: 16 bytes of binlog_info. These bytes include CR, LF, `*` and `$`.
        let master = Craft.e2b(
            [b("set"), b("k"), b("v")], serverID: 7, info: (execTime: 0x0A0D_0A0D, filenum: 0x242A, offset: 0x0D0A_0000_0001_E240),
            hub: true)
        // Written by a slave: empty binlog_info, the slave's own server id, hub flag 0.
        let slave = Craft.e2b([b("hset"), b("h"), b("f"), b("v")], serverID: 12, info: nil, hub: false)
        // Spanning two blocks.
        let big = Craft.e2b(
            [b("set"), b("big"), [UInt8](repeating: 0x43, count: 80_000)], serverID: 1,
            info: (execTime: 1_300_000_000, filenum: 5, offset: 999_999), hub: true)
        let e1 = w.item(master)
        let e2 = w.item(slave)
        let e3 = w.item(big)
        #expect(e3.item?.fragments == 2)
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [e1, e2, e3])
        // Stated by hand rather than through Craft.e2b.
        let m = try #require(d.items.first)
        #expect(m.envelope == .affiliatedRESP)
        #expect(m.argv == [b("set"), b("k"), b("v")])
        #expect(m.header.execTime == 0x0A0D_0A0D)
        #expect(m.header.termOrServerID == 7)
        #expect(m.header.stored == ResumePoint(fileNumber: 0x242A, offset: 0x0D0A_0000_0001_E240))
        #expect(m.header.logicID == 0)
        #expect(Int(m.header.contentLength) == master.bytes.count)
        let s = d.items[1]
        #expect(s.envelope == .affiliatedRESP)
        #expect(s.argv == [b("hset"), b("h"), b("f"), b("v")])
        #expect(s.header == ItemHeader(execTime: 0, termOrServerID: 12, logicID: 0, stored: ResumePoint(fileNumber: 0, offset: 0), contentLength: UInt32(slave.bytes.count)))
    }

    struct NearlyAffiliated: Sendable, CustomTestStringConvertible {
        var name: String
        var argv: [[UInt8]]
        /// The arguments the decoder must report.
        var command: [[UInt8]]
        var envelope: ItemEnvelope
        var serverID: UInt32 = 0
        var testDescription: String { name }
    }

    static let nearlyAffiliated: [NearlyAffiliated] = {
        let b = Craft.bytes
        let magic = Craft.affiliatedMagic
        return [
            NearlyAffiliated(
                name: "magic with one byte more", argv: [b("set"), magic + b("X"), b("1"), [], b("0")],
                command: [b("set"), magic + b("X"), b("1"), [], b("0")], envelope: .bareRESP),
            NearlyAffiliated(
                name: "magic one byte short", argv: [b("set"), Array(magic.dropLast()), b("1"), [], b("0")],
                command: [b("set"), Array(magic.dropLast()), b("1"), [], b("0")], envelope: .bareRESP),
            NearlyAffiliated(
                name: "magic but no command", argv: [magic, b("1"), [], b("0")], command: [magic, b("1"), [], b("0")],
                envelope: .bareRESP),
            NearlyAffiliated(
                name: "magic not 4th from the end", argv: [b("set"), magic, b("1"), [], b("0"), b("x")],
                command: [b("set"), magic, b("1"), [], b("0"), b("x")], envelope: .bareRESP),
            NearlyAffiliated(
                name: "non-numeric server id", argv: [b("set"), b("k"), magic, b("srv"), [], b("0")],
                command: [b("set"), b("k")], envelope: .affiliatedRESP, serverID: 0),
            NearlyAffiliated(
                name: "server id above UInt32", argv: [b("set"), b("k"), magic, b("4294967296"), [], b("0")],
                command: [b("set"), b("k")], envelope: .affiliatedRESP, serverID: 0),
            NearlyAffiliated(
                name: "binlog_info of 15 bytes", argv: [b("set"), b("k"), magic, b("4294967295"), [UInt8](repeating: 9, count: 15), b("1")],
                command: [b("set"), b("k")], envelope: .affiliatedRESP, serverID: 4_294_967_295),
        ]
    }()

    /// Only the exact magic, 4th from the end, after at least one argument, marks E2b; a server id
    /// or binlog_info that does not parse leaves the header fields 0.
    @Test(arguments: nearlyAffiliated)
    func nearlyAffiliatedRESP(_ c: NearlyAffiliated) throws {
        var w = CraftWriter()
        let payload = Craft.resp(c.argv)
        w.frame(payload)
        let d = try craftedDecode(w.bytes)
        let item = try #require(d.items.first)
        #expect(d.records.count == 1)
        #expect(item.envelope == c.envelope)
        #expect(item.argv == c.command)
        #expect(
            item.header
                == ItemHeader(
                    execTime: 0, termOrServerID: c.serverID, logicID: 0, stored: ResumePoint(fileNumber: 0, offset: 0),
                    contentLength: UInt32(payload.count)))
    }

    // MARK: - E3 (v3.0–v4.0): the 34-byte item

    @Test func pikaItems() throws {
        var w = CraftWriter()
        let b = Craft.bytes
        var expected: [CraftedRecord] = []
        // E3.0–E3.2: field 6 is the server id; E3.3+: the term. Stored position = the previous end.
        var stored: UInt64 = 0
        for (i, argv) in [["set", "a", "1"], ["pksetexat", "b", "1700000000", "v"], ["sadd", "s", "m1", "m2"]].enumerated() {
            let p = Craft.e3(
                argv.map(b), logicID: UInt64(10 + i), execTime: 1_600_000_000 + UInt32(i), term: 3, storedFile: 4,
                storedOffset: stored)
            let r = w.item(p)
            stored = UInt64(r.end)
            expected.append(r)
        }
        // Spanning four blocks, with a value of every byte.
        let big = Craft.e3([b("set"), b("big"), (0..<200_000).map { UInt8(truncatingIfNeeded: $0 * 7) }], logicID: 13,
            execTime: 1_600_000_003, term: 3, storedFile: 4, storedOffset: stored)
        expected.append(w.item(big))
        // The largest header values.
        expected.append(
            w.item(
                Craft.e3(
                    [b("del"), b("k")], logicID: .max, execTime: .max, term: .max, storedFile: .max,
                    storedOffset: .max)))
        let d = try craftedDecode(w.bytes)
        #expect(d.records == expected)
        #expect(d.items[3].fragments == 4)
        #expect(d.items.map(\.header.logicID) == [10, 11, 12, 13, .max])
        #expect(d.items[1].header.stored == ResumePoint(fileNumber: 4, offset: UInt64(d.items[0].end)))
        #expect(d.items.allSatisfy { $0.envelope == .pikaItem })
    }

    /// The E3 decoder does not depend on RESP to find the envelope: an item whose first content
    /// argument is the E2b magic stays a Pika item with all its arguments.
    @Test func pikaItemWithAffiliatedLookingContent() throws {
        var w = CraftWriter()
        let b = Craft.bytes
        let argv = [b("set"), b("k"), Craft.affiliatedMagic, b("1"), [], b("0")]
        let e = w.item(Craft.e3(argv, logicID: 5))
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [e])
        #expect(d.items.first?.argv.count == 6)
    }

    // MARK: - Docs/Format.md §B10A: header-less blocks of spaces (v2.0–v3.0.9, v3.1.0)

    /// What `AppendBlank` writes for a requested offset `p`: whole blocks of spaces while
    /// `pos + 65536 < p`, then one Full record of `p % 65536 − 8` spaces (0 if that is < 8).
    static func appendBlank(_ p: Int) -> [UInt8] {
        var out: [UInt8] = []
        while out.count + Craft.block < p { out += [UInt8](repeating: 0x20, count: Craft.block) }
        let n = p % Craft.block < 8 ? 0 : p % Craft.block - 8
        out += Craft.header(length: n, type: 1) + [UInt8](repeating: 0x20, count: n)
        return out
    }

    struct Blank: Sendable, CustomTestStringConvertible {
        var p: Int
        /// Where the filler really ends (≠ p when p % 65536 is 0 or < 8).
        var physical: Int
        var testDescription: String { "P = \(p)" }
    }

    @Test(arguments: [
        Blank(p: 1_000, physical: 1_000),
        Blank(p: 65_536 + 1_000, physical: 65_536 + 1_000),
        Blank(p: 3 * 65_536 + 1_000, physical: 3 * 65_536 + 1_000),
        Blank(p: 65_536 + 8, physical: 65_536 + 8),
        Blank(p: 131_072, physical: 65_544),
        Blank(p: 65_539, physical: 65_544),
        Blank(p: 20 * 65_536 + 4_000, physical: 20 * 65_536 + 4_000),
    ])
    func blankPadding(_ c: Blank) throws {
        var w = CraftWriter()
        w.raw(Self.appendBlank(c.p))
        #expect(w.count == c.physical)
        // The first item stores the master's offset P, though it starts at the physical end.
        let first = w.item(Craft.e3([Craft.bytes("set"), Craft.bytes("k"), Craft.bytes("v")], logicID: 1, storedFile: 2, storedOffset: UInt64(c.p)))
        let second = w.item(Craft.e3(["del", "k"], logicID: 2))
        let d = try craftedDecode(w.bytes)
        // One region: the header-less blocks together with the Full record of spaces after them.
        #expect(d.records == [.padding(.blank, 0, c.physical), first, second])
    }

    /// P = 65 536: no whole block, just a zero-length Full record. Nothing tells it from a
    /// v3.3.0–v3.3.5 empty item, and it is reported as one.
    @Test func blankPaddingOfExactlyOneBlock() throws {
        var w = CraftWriter()
        w.raw(Self.appendBlank(65_536))
        #expect(w.count == 8)
        let first = w.item(Craft.e3(["set", "k", "v"], logicID: 1))
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [.padding(.emptyItem, 0, 8), first])
    }

    /// A file cut inside the blank blocks is blank to its end.
    @Test func blankPaddingCutByEOF() throws {
        let bytes = Array(Self.appendBlank(3 * 65_536 + 1_000).prefix(150_000))
        let d = try craftedDecode(bytes)
        #expect(d.records == [.padding(.blank, 0, 150_000)])
    }

    /// A block of spaces with one other byte in it is not blank padding: damage up to the next
    /// block, then the blank blocks after it.
    @Test func spacesWithAHole() throws {
        var bytes = Self.appendBlank(3 * 65_536 + 1_000)
        bytes[40_000] = 0x21
        var w = CraftWriter()
        w.raw(bytes)
        let first = w.item(Craft.e3(["set", "k", "v"], logicID: 1))
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [.damage(.impossibleType(0x20), 0, 65_536), .padding(.blank, 65_536, bytes.count), first])
    }

    /// Blank blocks where an item should continue: the item is cut off, the blanks are padding.
    @Test func blankBlocksAfterAFirst() throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 100, logicID: 1))
        w.frame(Craft.e3(size: 100_000, logicID: 2).bytes)
        var bytes = Array(w.bytes[..<65_536])
        bytes += Self.appendBlank(2 * 65_536 + 100).suffix(65_536 + 100)
        let d = try craftedDecode(bytes)
        #expect(d.records == [a, .damage(.interruptedItem(fragments: 1), 108, 65_536), .padding(.blank, 65_536, bytes.count)])
    }

    // MARK: - Docs/Format.md §B10B: padding items (v3.0.10–v3.0.16, v3.1.1–v3.3.1)

    @Test(arguments: [61, 5_000, 65_536, 2 * 65_536 + 5_000, 2 * 65_536 + 69])
    func paddingItems(p: Int) throws {
        // `AppendPadding`: chunks of min(left, 65536), each a Full record holding a padding item of
        // chunk − 8 bytes; a last chunk whose item would be < 61 bytes is not written (#891).
        var w = CraftWriter()
        var expected: [CraftedRecord] = []
        var left = p
        while left > 0 {
            let size = min(left, Craft.block)
            guard size - 8 >= 61 else { break }
            let at = w.count
            w.record(type: 1, length: size - 8, payload: Craft.paddingItem(size: size - 8))
            expected.append(.padding(.paddingItem, at, at + size))
            left -= size
        }
        let effective = w.count
        let first = w.item(Craft.e3([Craft.bytes("set"), Craft.bytes("k"), Craft.bytes("v")], logicID: 1, storedFile: 2, storedOffset: UInt64(effective)))
        let d = try craftedDecode(w.bytes)
        #expect(d.records == expected + [first])
        if p == 61 { #expect(effective == 0) }
        if p == 2 * 65_536 + 69 { #expect(effective == 2 * 65_536 + 69) }
    }

    /// The padding content as Docs/Format.md §B9 lays it out, byte for byte.
    @Test func paddingItemLayout() {
        let item = Craft.paddingItem(size: 100)
        #expect(item.count == 100)
        #expect(Array(item[0..<2]) == [1, 0])
        #expect(item[2..<30].allSatisfy { $0 == 0 })
        #expect(Array(item[30..<34]) == [66, 0, 0, 0])
        #expect(Array(item[34...]) == Craft.bytes("*2\r\n$7\r\npadding\r\n$00039\r\n") + [UInt8](repeating: 42, count: 39) + Craft.bytes("\r\n"))
    }

    /// A `padding` command logged as an ordinary item (non-zero header) is a command, not filler.
    @Test func paddingCommandItem() throws {
        var w = CraftWriter()
        let content = Craft.bytes("*2\r\n$7\r\npadding\r\n$00005\r\n*****\r\n")
        let payload =
            Craft.envelope(execTime: 9, term: 0, logicID: 3, storedFile: 1, storedOffset: 50, contentLength: UInt32(content.count))
            + content
        let placed = w.frame(payload)
        let d = try craftedDecode(w.bytes)
        let item = try #require(d.items.first)
        #expect(d.records.count == 1)
        #expect(item.start == placed.start && item.end == placed.end)
        #expect(item.argv == [Craft.bytes("padding"), Craft.bytes("*****")])
        #expect(item.header.logicID == 3)
    }

    // MARK: - Docs/Format.md §B10C: kBadRecord (v3.3.2–v4.0.1)

    @Test(arguments: [8, 1_360, 42_674, 65_536, 2 * 65_536 + 42_674])
    func badRecordPadding(p: Int) throws {
        var w = CraftWriter()
        var expected: [CraftedRecord] = []
        var left = p
        while left > 0 {
            let size = min(left, Craft.block)
            let at = w.count
            w.record(type: 6, length: size - 8, payload: [UInt8](repeating: 0x2A, count: size - 8))
            expected.append(.padding(.badRecord, at, at + size))
            left -= size
        }
        #expect(w.count == p)
        let first = w.item(Craft.e3([Craft.bytes("set"), Craft.bytes("k"), Craft.bytes("v")], logicID: 1, storedFile: 7, storedOffset: UInt64(p)))
        let d = try craftedDecode(w.bytes)
        #expect(d.records == expected + [first])
    }

    // MARK: - Docs/Format.md §B13: zero-length Full records (v3.3.0–v3.3.5)

    @Test func emptyItemsMidFile() throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(["set", "a", "1"], logicID: 1))
        let e1 = w.count
        w.frame([])
        w.frame([])
        let b = w.item(Craft.e3(["setnx", "a", "2"], logicID: 2))
        let e3 = w.count
        w.frame([])
        let c = w.item(Craft.e3(size: 100_000, logicID: 3))
        #expect(Array(w.bytes[e1..<(e1 + 8)]) == Craft.header(length: 0, type: 1))
        let d = try craftedDecode(w.bytes)
        #expect(
            d.records == [
                a, .padding(.emptyItem, e1, e1 + 8), .padding(.emptyItem, e1 + 8, e1 + 16), b,
                .padding(.emptyItem, e3, e3 + 8), c,
            ])
    }

    /// An empty item written when exactly 8 bytes are left in the block fills them (Pika's writer
    /// emits a zero-length Full there); with fewer left it goes after the trailer.
    @Test(arguments: [8, 3, 0])
    func emptyItemAtABlockEnd(gap: Int) throws {
        var w = CraftWriter()
        let a = w.fill(leaving: gap, logicID: 1)
        w.frame([])
        let b = w.item(Craft.e3(["set", "b", "v"], logicID: 2))
        let emptyStart = gap == 8 ? 65_528 : 65_536
        #expect(Array(w.bytes[emptyStart..<(emptyStart + 8)]) == Craft.header(length: 0, type: 1))
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [a, .padding(.emptyItem, emptyStart, emptyStart + 8), b])
    }
}
