import BinlogFormat
import Testing

/// What the decoder finds in a whole binlog directory, kept as values.
struct DecodedDirectory {
    struct Item: Equatable {
        var start: PhysicalPosition
        var end: PhysicalPosition
        var header: ItemHeader
        var fragments: Int
        var argv: [[UInt8]]
        var content: [UInt8]
    }
    var items: [Item] = []
    var padding: [PaddingRegion] = []
    var damage: [Damage] = []
    var trailerCount = 0

    init(files: [(UInt32, String)]) throws {
        for (number, path) in files {
            let source: any ByteSource =
                path.hasSuffix(".lz4") ? try LZ4FileSource(path: path) : try FileSource(path: path)
            var decoder = BinlogFileDecoder(source: source, fileNumber: number)
            while let record = try decoder.next() {
                switch record {
                case .item(let i):
                    items.append(
                        Item(
                            start: i.start, end: i.end, header: i.header, fragments: i.fragmentCount,
                            argv: i.command.ownedArguments(), content: Array(i.content)))
                case .padding(let p): padding.append(p)
                case .damage(let d): damage.append(d)
                }
            }
            trailerCount += decoder.trailerCount
        }
    }
}

/// Every real case, decoded and compared item for item with what Pika's own reader returned.
@Suite struct DecoderOracleTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var binlog: String
        var tsv: String
        var expectedItems: Int
        var testDescription: String { binlog }
    }

    static let cases: [Case] = [
        Case(binlog: "basic/binlog/log_db0", tsv: "basic/binlog-items.tsv", expectedItems: 388),
        Case(binlog: "minsize/binlog/log_db0", tsv: "minsize/binlog-items.tsv", expectedItems: 97),
        Case(binlog: "crash/binlog/log_db0", tsv: "crash/binlog-items.tsv", expectedItems: 203),
        Case(binlog: "bgsave/binlog/log_db0", tsv: "bgsave/binlog-items.tsv", expectedItems: 20234),
        // The same files compressed with `lz4 -9` and committed (the plain ones are only in ../shared):
        // what `scripts/demo` runs on, read through `LZ4FileSource`.
        Case(binlog: "bgsave/binlog-lz4/log_db0", tsv: "bgsave/binlog-items.tsv", expectedItems: 20234),
        Case(binlog: "slave/master/binlog/log_db0", tsv: "slave/master/binlog-items.tsv", expectedItems: 300),
        Case(binlog: "slave/slave/binlog/log_db0", tsv: "slave/slave/binlog-items.tsv", expectedItems: 100),
        Case(binlog: "v4-basic/binlog/log_db0", tsv: "v4-basic/binlog-items.tsv", expectedItems: 342),
        Case(binlog: "v4-bgsave/binlog/log_db0", tsv: "v4-bgsave/binlog-items.tsv", expectedItems: 18169),
        Case(binlog: "v4-slave/master/binlog/log_db0", tsv: "v4-slave/master/binlog-items.tsv", expectedItems: 303),
        Case(binlog: "v4-slave/slave/binlog/log_db0", tsv: "v4-slave/slave/binlog-items.tsv", expectedItems: 142),
    ]

    @Test(arguments: cases)
    func matchesPikasReader(_ c: Case) throws {
        let decoded = try DecodedDirectory(files: RealFixtures.binlogFiles(c.binlog))
        let oracle = try RealFixtures.oracle(c.tsv)
        #expect(oracle.count == c.expectedItems)
        #expect(decoded.items.count == c.expectedItems)
        #expect(decoded.damage.isEmpty, "\(decoded.damage)")
        for (item, row) in zip(decoded.items, oracle) {
            #expect(item.header.logicID == row.logicID)
            #expect(item.end == PhysicalPosition(fileNumber: row.endFile, offset: row.endOffset))
            #expect(item.header.stored == ResumePoint(fileNumber: row.storedFile, offset: row.storedOffset))
            #expect(item.header.execTime == row.execTime)
            #expect(item.header.termOrServerID == row.term)
            #expect(Int(item.header.contentLength) == row.contentLength)
            if let prefix = row.contentPrefix {
                #expect(Array(item.content.prefix(prefix.count)) == prefix, "logic id \(row.logicID)")
            }
            if item.header.logicID != row.logicID { break }
        }
    }

    @Test func basicFileBoundariesAndFragments() throws {
        let d = try DecodedDirectory(files: RealFixtures.binlogFiles("basic/binlog/log_db0"))
        // NOTES.md: first item of write2file1 stores 0:285634 but starts at 1:0.
        let first1 = try #require(d.items.first { $0.start.fileNumber == 1 })
        #expect(first1.header.logicID == 70)
        #expect(first1.start == PhysicalPosition(fileNumber: 1, offset: 0))
        #expect(first1.header.stored == ResumePoint(fileNumber: 0, offset: 285634))
        // Physical records: 375 full, 13 first, 2 middle, 13 last.
        #expect(d.items.filter { $0.fragments == 1 }.count == 375)
        #expect(d.items.filter { $0.fragments > 1 }.count == 13)
        #expect(d.items.reduce(0) { $0 + max(0, $1.fragments - 2) } == 2)
        #expect(d.padding.isEmpty)
        // Rewritten forms: items 3 and 4 are pksetexat; MSET became three `set` items (15..17).
        #expect(d.items[2].argv[0] == Array("pksetexat".utf8))
        #expect(d.items[14...16].map { $0.argv[0] } == Array(repeating: Array("set".utf8), count: 3))
        #expect(d.items[59].argv[0] == Array("EXPIREAT".utf8))
        #expect(d.items.last!.end == PhysicalPosition(fileNumber: 6, offset: 70544))
    }

    @Test func bgsaveBlockTrailers() throws {
        let d = try DecodedDirectory(files: RealFixtures.binlogFiles("bgsave/binlog/log_db0"))
        // NOTES.md: trailer fills at write2file4@131069, write2file6@131069, write2file7@131070.
        #expect(d.trailerCount == 3)
        let after = d.items.filter { $0.header.stored.offset == 131069 || $0.header.stored.offset == 131070 }
        #expect(after.map(\.start.offset) == [131072, 131072, 131072])
        // logic 11964 is the first item of write2file8 and stores 7:262165 (the bgsave info offset).
        let i = try #require(d.items.first { $0.header.logicID == 11964 })
        #expect(i.start == PhysicalPosition(fileNumber: 8, offset: 0))
        #expect(i.header.stored == ResumePoint(fileNumber: 7, offset: 262165))
    }

    @Test func slaveStartsWithPaddingRecord() throws {
        let d = try DecodedDirectory(files: RealFixtures.binlogFiles("slave/slave/binlog/log_db0"))
        #expect(d.padding == [PaddingRegion(kind: .badRecord, start: PhysicalPosition(fileNumber: 7, offset: 0), end: PhysicalPosition(fileNumber: 7, offset: 1360))])
        #expect(d.items.first?.header.logicID == 201)
        let v4 = try DecodedDirectory(files: RealFixtures.binlogFiles("v4-slave/slave/binlog/log_db0"))
        #expect(v4.padding.map(\.byteCount) == [42674])
        #expect(v4.items.first?.header.logicID == 1)
        #expect(v4.items.first?.header.stored == ResumePoint(fileNumber: 7, offset: 42674))
    }

    @Test func crashZeroTail() throws {
        let d = try DecodedDirectory(files: RealFixtures.binlogFiles("crash/binlog/log_db0"))
        #expect(d.padding == [PaddingRegion(kind: .zeroTail, start: PhysicalPosition(fileNumber: 1, offset: 615216), end: PhysicalPosition(fileNumber: 1, offset: 4194304))])
        #expect(d.items.last?.end == PhysicalPosition(fileNumber: 1, offset: 615216))
        #expect(d.items.suffix(4).map(\.header.contentLength) == [308227, 308106, 307811, 307249])
    }
}
