import BinlogFormat
import Foundation
import Testing

/// Re-encodes every real Pika binlog from its decoded contents and compares byte for byte.
@Suite struct EncoderFixtureTests {
    /// One binlog directory written by a real Pika server.
    struct Case: Sendable, CustomTestStringConvertible {
        /// How the item headers are produced.
        enum Headers: Sendable {
            /// Computed from the producer status, as a master (and a v4.0.1 slave) does.
            case producer
            /// Copied from the decoded item, as a v3.5.0 slave does with the master's items.
            case verbatim
        }
        var name: String
        var binlogDirectory: String
        var conf: String
        var headers: Headers
        /// Items in the binlog, from the case's NOTES.md.
        var itemCount: Int

        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "basic", binlogDirectory: "basic/binlog/log_db0", conf: "basic/pika.conf", headers: .producer,
            itemCount: 388),
        Case(
            name: "minsize", binlogDirectory: "minsize/binlog/log_db0", conf: "minsize/pika.conf", headers: .producer,
            itemCount: 97),
        Case(
            name: "crash", binlogDirectory: "crash/binlog/log_db0", conf: "crash/pika.conf", headers: .producer,
            itemCount: 203),
        Case(
            name: "slave/master", binlogDirectory: "slave/master/binlog/log_db0", conf: "slave/master/pika.conf",
            headers: .producer, itemCount: 300),
        Case(
            name: "slave/slave", binlogDirectory: "slave/slave/binlog/log_db0", conf: "slave/slave/pika.conf",
            headers: .verbatim, itemCount: 100),
        Case(
            name: "bgsave", binlogDirectory: "bgsave/binlog/log_db0", conf: "bgsave/pika.conf", headers: .producer,
            itemCount: 20234),
        Case(
            name: "v4-basic", binlogDirectory: "v4-basic/binlog/log_db0", conf: "v4-basic/pika.conf",
            headers: .producer, itemCount: 342),
        Case(
            name: "v4-slave/master", binlogDirectory: "v4-slave/master/binlog/log_db0",
            conf: "v4-slave/master/pika.conf", headers: .producer, itemCount: 303),
        // v4.0.1 slaves number their own items and store their own producer status: a master's rule.
        Case(
            name: "v4-slave/slave", binlogDirectory: "v4-slave/slave/binlog/log_db0",
            conf: "v4-slave/slave/pika.conf", headers: .producer, itemCount: 142),
        Case(
            name: "v4-bgsave", binlogDirectory: "v4-bgsave/binlog/log_db0", conf: "v4-bgsave/pika.conf",
            headers: .producer, itemCount: 18169),
    ]

    /// Where a binlog starts: `SetProducerStatus` padding, or a fresh file.
    struct Start {
        var producer: ProducerStatus
        var paddingTime: UInt32
    }

    /// Reads the start of the first file: the `kBadRecord` padding run (its end is the
    /// `SetProducerStatus` offset, its first header holds the padding time), or an item.
    static func start(of firstFile: (fileNumber: FileNumber, path: String)) throws -> Start {
        var decoder = BinlogFileDecoder(source: try FileSource(path: firstFile.path), fileNumber: firstFile.fileNumber)
        var paddingEnd: UInt64 = 0
        while let r = try decoder.next() {
            switch r {
            case .padding(let p) where p.kind == .badRecord && p.start.offset == paddingEnd:
                paddingEnd = p.end.offset
                continue
            case .item(let i):
                // v3.5/v4.0 `SetProducerStatus(filenum, offset)`: logic id and term restart at 0.
                // A fresh master binlog: logic id of the first item − 1 (0 for write2file0).
                let logicID = paddingEnd > 0 ? 0 : i.header.logicID &- 1
                return Start(
                    producer: ProducerStatus(
                        fileNumber: firstFile.fileNumber, offset: paddingEnd, logicID: logicID,
                        term: paddingEnd > 0 ? 0 : i.header.termOrServerID),
                    paddingTime: try paddingTime(firstFile.path, present: paddingEnd > 0))
            default:
                throw EncoderTestFailure("\(firstFile.path): unexpected first record \(r.start)")
            }
        }
        throw EncoderTestFailure("\(firstFile.path): no item")
    }

    /// Header time of the record at offset 0.
    static func paddingTime(_ path: String, present: Bool) throws -> UInt32 {
        guard present else { return 0 }
        let head = Array(try encReadFile(path).prefix(8))
        return head.withUnsafeBytes { RecordHeader.load(from: $0, at: 0).time }
    }

    /// Decodes `files` and re-encodes every item into `output`, checking each item's placement and
    /// (for producer headers) that the computed header equals the one Pika wrote.
    /// - Returns: per file, the byte count the original should be compared over (the whole file,
    ///   or up to its zero tail), and the status the writer wrote to the manifest.
    static func reencode(
        _ c: Case, files: [(fileNumber: FileNumber, path: String)], into output: any BinlogOutput
    ) throws -> (lengths: [FileNumber: UInt64], manifest: ProducerStatus, items: Int) {
        let start = try start(of: files[0])
        var writer = try BinlogWriter(
            output: output, binlogFileSize: try EncoderFixtures.binlogFileSize(conf: c.conf),
            producer: start.producer, paddingTime: start.paddingTime)
        #expect(writer.producer.offset == start.producer.offset)
        var lengths: [FileNumber: UInt64] = [:]
        var items = 0
        var headerMismatches = 0
        var placementMismatches = 0
        for (index, file) in files.enumerated() {
            var decoder = BinlogFileDecoder(source: try FileSource(path: file.path), fileNumber: file.fileNumber)
            lengths[file.fileNumber] = try FileSource(path: file.path).size()
            var sawItem = false
            while let r = try decoder.next() {
                switch r {
                case .item(let item):
                    sawItem = true
                    items += 1
                    let written: WrittenItem
                    switch c.headers {
                    case .producer:
                        written = try writer.append(
                            content: item.content, execTime: item.header.execTime, recordTimes: item.recordTimes)
                        if written.header != item.header {
                            headerMismatches += 1
                            if headerMismatches <= 3 {
                                Issue.record(
                                    "\(c.name) \(item.start): computed \(String(describing: written.header)), Pika wrote \(item.header)"
                                )
                            }
                        }
                    case .verbatim:
                        written = try writer.append(
                            content: item.content, header: item.header, recordTimes: item.recordTimes)
                    }
                    if written.start != item.start || written.end != item.end
                        || written.fragmentCount != item.fragmentCount
                    {
                        placementMismatches += 1
                        if placementMismatches <= 3 {
                            Issue.record(
                                "\(c.name): item at \(item.start)..\(item.end) written at \(written.start)..\(written.end)"
                            )
                        }
                    }
                case .padding(let p) where p.kind == .badRecord && index == 0 && !sawItem:
                    #expect(p.end.offset <= start.producer.offset)
                case .padding(let p) where p.kind == .zeroTail && index == files.count - 1:
                    // The live file's mmap preallocation (crash case): compare up to it.
                    lengths[file.fileNumber] = p.start.offset
                default:
                    Issue.record("\(c.name): unexpected record \(r.start)..\(r.end) in \(file.path)")
                }
            }
        }
        #expect(headerMismatches == 0, "\(c.name): \(headerMismatches) computed headers differ")
        #expect(placementMismatches == 0, "\(c.name): \(placementMismatches) items placed differently")
        let manifest = try writer.finish()
        return (lengths, manifest, items)
    }

    /// Compares one re-encoded file with the original's first `length` bytes.
    static func expectSame(_ written: [UInt8]?, original path: String, length: UInt64, _ name: String) throws {
        let original = Array(try encReadFile(path).prefix(Int(length)))
        let bytes = try #require(written, "\(name): \(path) was not written")
        let diff = encFirstDifference(bytes, original)
        #expect(
            diff == nil,
            "\(name): \(path) differs at byte \(diff ?? -1) (written \(bytes.count) bytes, original \(original.count))")
    }

    @Test("re-encoding a real binlog reproduces its files and manifest byte for byte", arguments: cases)
    func roundTrip(_ c: Case) throws {
        let files = EncoderFixtures.binlogFiles(c.binlogDirectory)
        try #require(!files.isEmpty, "no write2file* for \(c.name)")
        let manifestPath = try #require(EncoderFixtures.path(c.binlogDirectory + "/manifest"))
        let originalManifest = try encReadFile(manifestPath)

        let output = BinlogMemoryOutput()
        let (lengths, status, items) = try Self.reencode(c, files: files, into: output)
        #expect(items == c.itemCount)
        // The last file ends at the manifest offset (the crash case's zero tail excluded).
        #expect(lengths[status.fileNumber] == status.offset)

        #expect(output.isCommitted)
        #expect(output.files.map(\.fileNumber) == files.map(\.fileNumber))
        for file in files {
            try Self.expectSame(output[file.fileNumber], original: file.path, length: lengths[file.fileNumber]!, c.name)
        }
        let manifest = try #require(output.manifest)
        #expect(manifest.count == 65_536)
        #expect(Array(manifest.prefix(24)) == Array(originalManifest.prefix(24)), "\(c.name): manifest \(status)")
        #expect(manifest == originalManifest)
    }

    /// The v3.5.0 slave: items keep the master's logic ids 201..300 while the manifest's counter,
    /// reset to 0 by `SetProducerStatus`, counts the slave's 100 puts.
    @Test func slaveManifestCountsPutsNotHeaderLogicIDs() throws {
        let c = Self.cases.first { $0.name == "slave/slave" }!
        let files = EncoderFixtures.binlogFiles(c.binlogDirectory)
        try #require(!files.isEmpty)
        let output = BinlogMemoryOutput()
        let (_, status, _) = try Self.reencode(c, files: files, into: output)
        #expect(status == ProducerStatus(fileNumber: 11, offset: 56125, logicID: 100, term: 0))
        let lastItem = try #require(try encDecode(output[11]!, fileNumber: 11).compactMap(\.item).last)
        #expect(lastItem.header.logicID == 300)
    }

    /// The same round trip through the directory output: temporary files, fsync, rename.
    @Test(arguments: ["basic", "slave/slave", "crash"])
    func roundTripToDirectory(_ name: String) throws {
        let c = Self.cases.first { $0.name == name }!
        let files = EncoderFixtures.binlogFiles(c.binlogDirectory)
        try #require(!files.isEmpty)
        let dir = try encTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }

        let (lengths, _, _) = try Self.reencode(c, files: files, into: try BinlogDirectoryOutput(directory: dir))

        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(names == (files.map { "write2file\($0.fileNumber)" } + ["manifest"]).sorted())
        for file in files {
            try Self.expectSame(
                try encReadFile(dir + "/write2file\(file.fileNumber)"), original: file.path,
                length: lengths[file.fileNumber]!, name)
        }
        let manifestPath = try #require(EncoderFixtures.path(c.binlogDirectory + "/manifest"))
        #expect(try encReadFile(dir + "/manifest") == encReadFile(manifestPath))
    }
}
