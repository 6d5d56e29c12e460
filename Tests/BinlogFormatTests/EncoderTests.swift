import BinlogFormat
import Foundation
import Testing

/// Block framing, producer status, rolls and padding of ``BinlogWriter``, each checked by decoding
/// what was written: decode(encode(x)) == x.
@Suite struct EncoderTests {
    static let block = BinlogConstants.blockSize

    /// Writes items (content, exec time, record times) with producer headers into memory.
    static func write(
        _ items: [(content: [UInt8], execTime: UInt32, times: [UInt32])], binlogFileSize: UInt64 = 1 << 30,
        producer: ProducerStatus = ProducerStatus(), paddingTime: UInt32 = 0
    ) throws -> (output: BinlogMemoryOutput, written: [WrittenItem], status: ProducerStatus) {
        let output = BinlogMemoryOutput()
        var writer = try BinlogWriter(
            output: output, binlogFileSize: binlogFileSize, producer: producer, paddingTime: paddingTime)
        var written: [WrittenItem] = []
        for item in items {
            written.append(try writer.append(content: item.content, execTime: item.execTime, recordTimes: item.times))
        }
        let status = try writer.finish()
        return (output, written, status)
    }

    /// Fragment count of an item of `length` payload bytes whose first header is at block offset
    /// `b` (Docs/Format.md §B4).
    static func expectedFragments(length: Int, blockOffset b: Int) -> Int {
        let room = BinlogConstants.maxRecordPayload - b
        if length <= room { return 1 }
        return 1 + (length - room + BinlogConstants.maxRecordPayload - 1) / BinlogConstants.maxRecordPayload
    }

    // MARK: - Block framing

    /// An item that ends `gap` bytes before a block end (after `blocks` blocks), then a second item
    /// of `secondPayload` bytes: exact block end (0), trailers (1–7), zero-length First (8), a
    /// 1-byte First (9), and second items of one, two and three blocks.
    @Test(
        arguments: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100],
        [
            (blocks: 1, secondPayload: 200), (blocks: 1, secondPayload: 70_000), (blocks: 1, secondPayload: 140_000),
            (blocks: 2, secondPayload: 200), (blocks: 3, secondPayload: 65_528 * 2),
        ])
    func itemEndingNearBlockEnd(gap: Int, shape: (blocks: Int, secondPayload: Int)) throws {
        let block = Self.block
        let firstEnd = shape.blocks * block - gap
        // k records of 8-byte headers fill blocks 0..<k; the payload is the rest.
        let firstPayload = firstEnd - 8 * shape.blocks
        let first = encRESP(totalLength: firstPayload - BinlogConstants.itemHeaderSize, fill: UInt8(ascii: "a"))
        let second = encRESP(totalLength: shape.secondPayload - BinlogConstants.itemHeaderSize, fill: UInt8(ascii: "b"))
        let firstTimes: [UInt32] = (0..<shape.blocks).map { 1000 + UInt32($0) }
        let (output, written, status) = try Self.write([
            (first, 900, firstTimes),
            (second, 901, [2000]),  // fewer times than fragments: the last one repeats
        ])
        let bytes = try #require(output[0])

        let trailer = (1...7).contains(gap) ? gap : 0
        let secondStart = firstEnd + trailer
        let secondFragments = Self.expectedFragments(
            length: shape.secondPayload, blockOffset: secondStart % block)
        let secondEnd = secondStart + 8 * secondFragments + shape.secondPayload

        #expect(written[0].fragmentCount == shape.blocks)
        #expect(written[0].end.offset == UInt64(firstEnd))
        #expect(written[1].start.offset == UInt64(secondStart))
        #expect(written[1].fragmentCount == secondFragments)
        #expect(written[1].precedingStatus == ResumePoint(fileNumber: 0, offset: UInt64(firstEnd)))
        #expect(bytes.count == secondEnd)
        #expect(status == ProducerStatus(fileNumber: 0, offset: UInt64(secondEnd), logicID: 2, term: 0))
        if trailer > 0 {
            #expect(bytes[firstEnd..<secondStart].allSatisfy { $0 == 0 })
        }
        if gap == 8 {
            // Zero-length First record in the last 8 bytes of the block.
            let h = bytes.withUnsafeBytes { RecordHeader.load(from: $0, at: firstEnd) }
            #expect(h == RecordHeader(length: 0, time: 2000, rawType: RecordType.first.rawValue))
        }

        let decoded = try encDecode(bytes)
        let items = decoded.compactMap(\.item)
        try #require(items.count == 2 && decoded.count == 2, "decoded \(decoded)")
        #expect(items[0].content == first)
        #expect(items[0].recordTimes == firstTimes)
        #expect(items[0].header == written[0].header)
        #expect(
            items[0].header
                == ItemHeader(
                    execTime: 900, termOrServerID: 0, logicID: 1, stored: ResumePoint(fileNumber: 0, offset: 0),
                    contentLength: UInt32(first.count)))
        #expect(items[1].content == second)
        #expect(items[1].recordTimes == Array(repeating: 2000, count: secondFragments))
        #expect(items[1].header.stored == ResumePoint(fileNumber: 0, offset: UInt64(firstEnd)))
        #expect(items[1].header.logicID == 2)
        #expect(items[1].start.offset == UInt64(secondStart))
        #expect(items[1].fragmentCount == secondFragments)
    }

    /// Payload sizes around one, two and three blocks, from a block start: fragment types and
    /// lengths are Pika's.
    @Test(arguments: [44, 65_527, 65_528, 65_529, 131_056, 131_057, 196_584, 196_585, 300_000])
    func fragmentsFromBlockStart(payload: Int) throws {
        let content = encRESP(totalLength: payload - BinlogConstants.itemHeaderSize)
        let (output, written, _) = try Self.write([(content, 7, [])])
        let bytes = try #require(output[0])
        let k = Self.expectedFragments(length: payload, blockOffset: 0)
        #expect(written[0].fragmentCount == k)
        #expect(bytes.count == payload + 8 * k)
        // Walk the records.
        var types: [UInt8] = []
        var offset = 0
        while offset < bytes.count {
            let h = bytes.withUnsafeBytes { RecordHeader.load(from: $0, at: offset) }
            #expect(h.time == 7)
            types.append(h.rawType)
            if offset + 8 + h.length < bytes.count { #expect((offset + 8 + h.length) % Self.block == 0) }
            offset += 8 + h.length
        }
        #expect(offset == bytes.count)
        let expected: [RecordType] = k == 1 ? [.full] : [.first] + Array(repeating: .middle, count: k - 2) + [.last]
        #expect(types == expected.map(\.rawValue))
        let items = try encDecode(bytes).compactMap(\.item)
        #expect(items.count == 1)
        #expect(items.first?.content == content)
    }

    // MARK: - Roll

    /// Roll only when the file is strictly larger than binlog-file-size; the first item of the
    /// new file stores (N, size of N).
    @Test(arguments: [-1, 0, 1])
    func rollAtBinlogFileSize(overBy delta: Int) throws {
        let limit: UInt64 = 1024
        let firstEnd = Int(limit) + delta
        let first = encRESP(totalLength: firstEnd - 8 - BinlogConstants.itemHeaderSize)
        let second = encRESP(totalLength: 50)
        let third = encRESP(totalLength: 60)
        let (output, written, status) = try Self.write(
            [(first, 1, [1]), (second, 2, [2]), (third, 3, [3])], binlogFileSize: limit,
            producer: ProducerStatus(fileNumber: 5, offset: 0, logicID: 41, term: 3))

        let rolled = delta > 0
        // The second item rolls only when the first leaves the file over the limit; the third
        // always rolls (the file is over the limit after the second), or stays in file 6.
        #expect(output.files.map(\.fileNumber) == [5, 6])
        #expect(written[1].precedingStatus == ResumePoint(fileNumber: 5, offset: UInt64(firstEnd)))
        #expect(written[1].header?.stored == ResumePoint(fileNumber: 5, offset: UInt64(firstEnd)))
        #expect(written[1].start == PhysicalPosition(fileNumber: rolled ? 6 : 5, offset: rolled ? 0 : UInt64(firstEnd)))
        #expect(written[2].start == PhysicalPosition(fileNumber: 6, offset: rolled ? written[1].end.offset : 0))
        let secondEnd = written[1].end
        #expect(written[2].header?.stored == ResumePoint(after: secondEnd))
        #expect(written.map { $0.header?.logicID } == [42, 43, 44])
        #expect(written.allSatisfy { $0.header?.termOrServerID == 3 })
        #expect(
            status
                == ProducerStatus(
                    fileNumber: written[2].end.fileNumber, offset: written[2].end.offset, logicID: 44, term: 3))

        var decoded: [EncOwnedItem] = []
        for file in output.files {
            decoded += try encDecode(file.bytes, fileNumber: file.fileNumber).compactMap(\.item)
        }
        #expect(decoded.map(\.content) == [first, second, third])
        #expect(decoded.map(\.header) == written.map(\.header!))
        #expect(decoded.map(\.start) == written.map(\.start))
        let manifest = try #require(output.manifest)
        #expect(manifest == status.manifest().encoded())
        #expect(Manifest.decode(manifest, layout: .v3_3) == status.manifest())
    }

    /// A big item rolls into its own file, and the next one rolls again.
    @Test func eachBigItemGetsItsOwnFile() throws {
        let big = encRESP(totalLength: 150_000)
        let small = encRESP(totalLength: 30)
        let (output, written, _) = try Self.write(
            [(small, 1, []), (big, 1, []), (small, 1, []), (small, 1, [])], binlogFileSize: 1024)
        // small fits in file 0 (not > 1024); big goes after it; the file is then > 1024.
        #expect(written.map(\.start.fileNumber) == [0, 0, 1, 1])
        #expect(written[2].header?.stored == ResumePoint(after: written[1].end))
        #expect(output.files.count == 2)
    }

    // MARK: - Padding (SetProducerStatus)

    @Test(arguments: [
        0, 3, 4, 7, 8, 9, 1360, 42_674, 65_528, 65_529, 65_535, 65_536, 65_537, 65_543, 65_544, 131_072,
        131_080, 200_000,
    ])
    func setProducerStatusPadding(offset requested: UInt64) throws {
        let content = encRESP(totalLength: 100)
        let (output, written, status) = try Self.write(
            [(content, 77, [88])], producer: ProducerStatus(fileNumber: 7, offset: requested, logicID: 0, term: 0),
            paddingTime: 55)
        let effective = BinlogWriter.effectivePaddingOffset(requested)
        let physical: UInt64 = effective < 8 ? 0 : effective  // 4–7: nothing written, offset kept
        let bytes = try #require(output[7])
        #expect(output.files.map(\.fileNumber) == [7])

        // The padding: kBadRecord records of '*', one per block at most, ending at `physical`.
        let decoded = try encDecode(bytes, fileNumber: 7)
        let padding = decoded.compactMap { r -> PaddingRegion? in if case .padding(let p) = r { p } else { nil } }
        #expect(padding.allSatisfy { $0.kind == .badRecord })
        #expect(padding.count == Int((physical + UInt64(Self.block) - 1) / UInt64(Self.block)))
        #expect(padding.last?.end.offset ?? 0 == physical)
        var offset = 0
        while offset < Int(physical) {
            let h = bytes.withUnsafeBytes { RecordHeader.load(from: $0, at: offset) }
            #expect(h.rawType == RecordType.badRecord.rawValue && h.time == 55)
            #expect(bytes[(offset + 8)..<(offset + 8 + h.length)].allSatisfy { $0 == UInt8(ascii: "*") })
            offset += 8 + h.length
        }

        // The first item stores the effective offset and starts there (or after a trailer).
        let item = try #require(decoded.compactMap(\.item).first)
        #expect(item.header.stored == ResumePoint(fileNumber: 7, offset: effective))
        #expect(item.header.logicID == 1)
        #expect(item.content == content)
        #expect(item.start == ResumePoint(fileNumber: 7, offset: physical).headerPositionWithoutRoll)
        #expect(written[0].start == item.start)
        #expect(status.offset == effective + (written[0].end.offset - physical))
        #expect(status.logicID == 1)
    }

    @Test func effectivePaddingOffsets() {
        let cases: [(UInt64, UInt64)] = [
            (0, 0), (3, 0), (4, 4), (7, 7), (8, 8), (65_536, 65_536), (65_537, 65_536), (65_543, 65_536),
            (65_544, 65_544), (131_075, 131_072),
        ]
        for (requested, effective) in cases {
            #expect(BinlogWriter.effectivePaddingOffset(requested) == effective, "P = \(requested)")
        }
    }

    // MARK: - Header modes

    @Test func verbatimHeaderIsWrittenAsGivenAndLogicIDStillCounts() throws {
        let content = encRESP(totalLength: 40)
        let header = ItemHeader(
            execTime: 123, termOrServerID: 9, logicID: 500, stored: ResumePoint(fileNumber: 3, offset: 77),
            contentLength: UInt32(content.count))
        let output = BinlogMemoryOutput()
        var writer = try BinlogWriter(output: output, binlogFileSize: 1 << 20)
        try writer.append(content: content, header: header)
        try writer.append(content: content, header: header)
        #expect(writer.producer.logicID == 2)
        let status = try writer.finish(manifestLogicID: 777)
        #expect(status.logicID == 777)
        #expect(output.manifest.map { Array($0[12..<20]) } == [9, 3, 0, 0, 0, 0, 0, 0])

        let items = try encDecode(output[0]!).compactMap(\.item)
        #expect(items.map(\.header) == [header, header])
        #expect(items.map(\.recordTimes) == [[123], [123]])
    }

    @Test func serverIDReplacesTermInComputedHeaders() throws {
        let output = BinlogMemoryOutput()
        var writer = try BinlogWriter(
            output: output, binlogFileSize: 1 << 20, producer: ProducerStatus(term: 4))
        writer.serverID = 1
        let w = try writer.append(content: encRESP(totalLength: 40), execTime: 5)
        #expect(w.header?.termOrServerID == 1)
        let status = try writer.finish()
        #expect(status.term == 4)
    }

    @Test func rawPayloadsAreFramedAsIs() throws {
        // An E2a item (bare RESP) and an empty item (one zero-length Full record, v3.3.0–v3.3.5).
        let resp = RESP.encode([Array("set".utf8), Array("k".utf8), Array("v".utf8)])
        let output = BinlogMemoryOutput()
        var writer = try BinlogWriter(output: output, binlogFileSize: 1 << 20)
        try writer.appendPayload(resp, recordTimes: [1])
        let empty = try writer.appendPayload([], recordTimes: [2])
        #expect(empty.fragmentCount == 1)
        try writer.finish()
        let bytes = output[0]!
        #expect(bytes.count == 8 + resp.count + 8)
        let decoded = try encDecode(bytes)
        #expect(decoded.first?.item?.envelope == .bareRESP)
        #expect(decoded.first?.item?.payload == resp)
        if case .padding(let p) = decoded.last { #expect(p.kind == .emptyItem) } else { Issue.record("\(decoded)") }
    }

    /// The producer status lands in the manifest fields Pika v3.3+ uses (the encoding itself is
    /// ``Manifest``'s).
    @Test func manifestLayout() throws {
        let m = ProducerStatus(fileNumber: 0x0102_0304, offset: 0x1122_3344_5566_7788, logicID: 0xA1, term: 0xB2)
            .manifest().encoded()
        #expect(m.count == 65_536)
        #expect(
            Array(m.prefix(24)) == [
                4, 3, 2, 1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0xA1, 0, 0, 0, 0, 0, 0, 0, 0xB2, 0, 0, 0,
            ])
        #expect(m.dropFirst(24).allSatisfy { $0 == 0 })

        // A writer that appends nothing writes its starting status.
        let output = BinlogMemoryOutput()
        let writer = try BinlogWriter(
            output: output, binlogFileSize: 1024, producer: ProducerStatus(fileNumber: 9, logicID: 5, term: 2))
        try writer.finish()
        #expect(
            output.manifest.flatMap { Manifest.decode($0, layout: .v3_3) }
                == ProducerStatus(fileNumber: 9, logicID: 5, term: 2).manifest())
        #expect(output[9] == [])
    }

    @Test func effectiveBinlogFileSizeFallsBackLikePika() {
        #expect(BinlogWriter.effectiveBinlogFileSize(configured: 1023) == 104_857_600)
        #expect(BinlogWriter.effectiveBinlogFileSize(configured: 1024) == 1024)
        #expect(BinlogWriter.effectiveBinlogFileSize(configured: 1 << 30) == 1 << 30)
        #expect(BinlogWriter.effectiveBinlogFileSize(configured: (1 << 30) + 1) == 104_857_600)
    }

    // MARK: - Directory output

    @Test func abandonedWriterLeavesNothingBehind() throws {
        let dir = try encTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            var writer = try BinlogWriter(
                output: try BinlogDirectoryOutput(directory: dir), binlogFileSize: 1024,
                producer: ProducerStatus(fileNumber: 3, offset: 1360))
            for _ in 0..<50 { try writer.append(content: encRESP(totalLength: 300), execTime: 1) }
            #expect(writer.producer.fileNumber > 3)
            // Files so far exist only under temporary names.
            let names = try FileManager.default.contentsOfDirectory(atPath: dir)
            #expect(!names.isEmpty && names.allSatisfy { !$0.hasPrefix("write2file") && $0 != "manifest" })
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == [])
    }

    @Test func existingOutputIsRefusedUnlessReplacing() throws {
        let dir = try encTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(FileManager.default.createFile(atPath: dir + "/write2file0", contents: Data([1, 2, 3])))
        #expect(throws: BinlogWriteError.outputExists(path: dir + "/write2file0")) {
            _ = try BinlogWriter(output: try BinlogDirectoryOutput(directory: dir), binlogFileSize: 1024)
        }
        #expect(try encReadFile(dir + "/write2file0") == [1, 2, 3])

        var writer = try BinlogWriter(
            output: try BinlogDirectoryOutput(directory: dir, replaceExisting: true), binlogFileSize: 1024)
        try writer.append(content: encRESP(totalLength: 20), execTime: 1)
        try writer.finish()
        #expect(try encReadFile(dir + "/write2file0").count == 8 + 34 + 20)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["manifest", "write2file0"])

        #expect(throws: BinlogWriteError.outputExists(path: dir + "/manifest")) {
            _ = try BinlogDirectoryOutput(directory: dir)
        }
    }

    @Test func missingDirectoryNamesThePath() throws {
        let dir = "/nonexistent-binlogtool-\(UUID().uuidString)"
        let error = #expect(throws: BinlogWriteError.self) {
            _ = try BinlogWriter(output: try BinlogDirectoryOutput(directory: dir), binlogFileSize: 1024)
        }
        guard case .createFailed(let path, let errno) = error else {
            Issue.record("expected createFailed, got \(String(describing: error))")
            return
        }
        #expect(path == dir + "/.binlogtool-tmp.write2file0")
        #expect(errno.rawValue == 2)  // ENOENT
        #expect(error?.description.hasPrefix(path) == true)
    }
}
