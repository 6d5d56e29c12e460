import BinlogFormat
import Foundation
import Testing

/// A decoded record kept as a value, so decodes of the plain and the compressed file compare.
enum LZ4SourceTestRecord: Equatable {
    case item(start: PhysicalPosition, end: PhysicalPosition, header: ItemHeader, fragments: Int, content: [UInt8])
    case padding(PaddingRegion)
    case damage(Damage)
}

@Suite struct LZ4SourceTests {
    static func decodeAll(_ source: any ByteSource, fileNumber: FileNumber) throws -> [LZ4SourceTestRecord] {
        var decoder = BinlogFileDecoder(source: source, fileNumber: fileNumber)
        var records: [LZ4SourceTestRecord] = []
        while let record = try decoder.next() {
            switch record {
            case .item(let i):
                records.append(
                    .item(start: i.start, end: i.end, header: i.header, fragments: i.fragmentCount, content: Array(i.content)))
            case .padding(let p): records.append(.padding(p))
            case .damage(let d): records.append(.damage(d))
            }
        }
        return records
    }

    static func readAll(_ source: any ByteSource, chunk: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return out }
            out += buffer[0..<n]
        }
    }

    /// Where each block's data starts in an LZ4 frame (just after its 4-byte size field), and
    /// where the end mark is; follows the frame format (lz4_Frame_format.md).
    static func blockDataStarts(_ frame: [UInt8]) -> (starts: [Int], endMark: Int) {
        let flags = frame[4]
        var p = 6 + ((flags & 0x08) != 0 ? 8 : 0) + ((flags & 0x01) != 0 ? 4 : 0) + 1
        let blockChecksum = (flags & 0x10) != 0
        var starts: [Int] = []
        while true {
            let word =
                UInt32(frame[p]) | UInt32(frame[p + 1]) << 8 | UInt32(frame[p + 2]) << 16 | UInt32(frame[p + 3]) << 24
            if word == 0 { return (starts, p) }
            starts.append(p + 4)
            p += 4 + Int(word & 0x7fff_ffff) + (blockChecksum ? 4 : 0)
        }
    }

    // MARK: - Round trip through BinlogFileDecoder

    struct RoundTrip: CustomTestStringConvertible, Sendable {
        var file: String
        var fileNumber: FileNumber
        var items: Int
        var blockSize64KiB: Bool
        var blockChecksum: Bool
        var testDescription: String {
            "\(file) \(blockSize64KiB ? "64KiB" : "4MiB") blocks\(blockChecksum ? " +block checksums" : "")"
        }
    }

    static let roundTrips: [RoundTrip] = [
        RoundTrip(file: "basic/binlog/log_db0/write2file0", fileNumber: 0, items: 69, blockSize64KiB: true, blockChecksum: false),
        RoundTrip(file: "basic/binlog/log_db0/write2file0", fileNumber: 0, items: 69, blockSize64KiB: false, blockChecksum: false),
        RoundTrip(file: "basic/binlog/log_db0/write2file0", fileNumber: 0, items: 69, blockSize64KiB: true, blockChecksum: true),
        RoundTrip(file: "basic/binlog/log_db0/write2file1", fileNumber: 1, items: 2, blockSize64KiB: true, blockChecksum: false),
        RoundTrip(file: "slave/slave/binlog/log_db0/write2file7", fileNumber: 7, items: 68, blockSize64KiB: true, blockChecksum: false),
        RoundTrip(file: "minsize/binlog/log_db0/write2file20", fileNumber: 20, items: 1, blockSize64KiB: true, blockChecksum: false),
    ]

    @Test(arguments: roundTrips)
    func compressedFileDecodesToTheSameRecords(_ c: RoundTrip) throws {
        let plainPath = MetadataFixtures.committedPath(c.file)
        let plain = try MetadataFixtures.read(plainPath)
        let dir = try MetadataFixtures.makeTemporaryDirectory()
        defer { MetadataFixtures.remove(dir) }
        let compressed = LZ4FileSource.compressFrame(plain, blockSize64KiB: c.blockSize64KiB, blockChecksum: c.blockChecksum)
        try MetadataFixtures.write(compressed, to: dir + "/write2file\(c.fileNumber).lz4")

        let found = try BinlogDirectory(path: dir)
        let entry = try #require(found.files.first)
        #expect(found.files.count == 1)
        #expect(entry.fileNumber == c.fileNumber)
        #expect(entry.compressed)
        #expect(entry.byteCount == UInt64(compressed.count))

        let expected = try Self.decodeAll(try FileSource(path: plainPath), fileNumber: c.fileNumber)
        let actual = try Self.decodeAll(try found.openSource(entry), fileNumber: c.fileNumber)
        #expect(actual == expected)
        let itemCount = actual.filter { if case .item = $0 { true } else { false } }.count
        #expect(itemCount == c.items)
    }

    @Test func slavePaddingSurvivesCompression() throws {
        let plainPath = MetadataFixtures.committedPath("slave/slave/binlog/log_db0/write2file7")
        let dir = try MetadataFixtures.makeTemporaryDirectory()
        defer { MetadataFixtures.remove(dir) }
        try MetadataFixtures.write(
            LZ4FileSource.compressFrame(try MetadataFixtures.read(plainPath)), to: dir + "/write2file7.lz4")
        let records = try Self.decodeAll(try LZ4FileSource(path: dir + "/write2file7.lz4"), fileNumber: 7)
        let first = try #require(records.first)
        guard case .padding(let padding) = first else {
            Issue.record("expected padding first, got \(first)")
            return
        }
        #expect(padding.start == PhysicalPosition(fileNumber: 7, offset: 0))
        #expect(padding.end == PhysicalPosition(fileNumber: 7, offset: 1360))
    }

    // MARK: - Streaming

    @Test(arguments: [1, 7, 4096, 65536, 1 << 20])
    func readsIntoAnyBufferSize(_ chunk: Int) throws {
        // 70373 bytes holding a 70000-byte value that spans two 64 KiB blocks.
        let plain = try MetadataFixtures.read(MetadataFixtures.committedPath("minsize/binlog/log_db0/write2file5"))
        let dir = try MetadataFixtures.makeTemporaryDirectory()
        defer { MetadataFixtures.remove(dir) }
        try MetadataFixtures.write(LZ4FileSource.compressFrame(plain, blockChecksum: true), to: dir + "/f.lz4")
        let source = try LZ4FileSource(path: dir + "/f.lz4")
        #expect(try Self.readAll(source, chunk: chunk) == plain)
        #expect(source.decompressedOffset == UInt64(plain.count))
        // At the end it keeps returning 0.
        var one: [UInt8] = [0]
        #expect(try one.withUnsafeMutableBytes { try source.read(into: $0) } == 0)
    }

    @Test func concatenatedAndSkippableFramesReadInSequence() throws {
        let a = Array((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let b = Array("second frame".utf8)
        let skippable: [UInt8] = [0x50, 0x2A, 0x4D, 0x18, 4, 0, 0, 0, 9, 9, 9, 9]
        let empty = LZ4FileSource.compressFrame([])
        let bytes = LZ4FileSource.compressFrame(a) + skippable + empty + LZ4FileSource.compressFrame(b)
        let dir = try MetadataFixtures.makeTemporaryDirectory()
        defer { MetadataFixtures.remove(dir) }
        try MetadataFixtures.write(bytes, to: dir + "/f.lz4")
        let source = try LZ4FileSource(path: dir + "/f.lz4")
        #expect(try Self.readAll(source, chunk: 5000) == a + b)
        #expect(source.compressedOffset == UInt64(bytes.count))
    }

    // MARK: - Corruption

    /// A frame with block checksums over 300 000 bytes: five 64 KiB blocks.
    static func checkedFrame() -> (plain: [UInt8], frame: [UInt8]) {
        var state: UInt32 = 12345
        let plain = (0..<300_000).map { i -> UInt8 in
            state = state &* 1_103_515_245 &+ 12345
            return i % 7 == 0 ? UInt8(truncatingIfNeeded: state >> 16) : UInt8(ascii: "a") + UInt8(i % 13)
        }
        return (plain, LZ4FileSource.compressFrame(plain, blockChecksum: true))
    }

    @Test(arguments: [0, 2, 4])
    func corruptBlockIsReportedAtItsOffset(_ block: Int) throws {
        var (_, frame) = Self.checkedFrame()
        let (starts, _) = Self.blockDataStarts(frame)
        #expect(starts.count == 5)
        frame[starts[block] + 10] ^= 0x55
        let dir = try MetadataFixtures.makeTemporaryDirectory()
        defer { MetadataFixtures.remove(dir) }
        let path = dir + "/write2file3.lz4"
        try MetadataFixtures.write(frame, to: path)

        let expected = BinlogIOError(
            kind: .corruptCompression, path: path, offset: UInt64(starts[block]),
            reason: "LZ4 error ERROR_blockChecksum_invalid")
        let source = try LZ4FileSource(path: path)
        #expect(throws: expected) { try Self.readAll(source, chunk: 65536) }
        // Sticky: the same error again.
        #expect(throws: expected) { try Self.readAll(source, chunk: 65536) }
        #expect(expected.description.contains(path))
        #expect(expected.description.contains("byte \(starts[block])"))
    }

    @Test func corruptionSurfacesFromTheDecoder() throws {
        let plainPath = MetadataFixtures.committedPath("basic/binlog/log_db0/write2file0")
        var frame = LZ4FileSource.compressFrame(try MetadataFixtures.read(plainPath), blockChecksum: true)
        let (starts, _) = Self.blockDataStarts(frame)
        frame[starts[2] + 1] ^= 0xff
        let dir = try MetadataFixtures.makeTemporaryDirectory()
        defer { MetadataFixtures.remove(dir) }
        let path = dir + "/write2file0.lz4"
        try MetadataFixtures.write(frame, to: path)
        #expect(
            throws: BinlogIOError(
                kind: .corruptCompression, path: path, offset: UInt64(starts[2]),
                reason: "LZ4 error ERROR_blockChecksum_invalid")
        ) {
            try Self.decodeAll(try LZ4FileSource(path: path), fileNumber: 0)
        }
    }

    @Test func badMagicAndTrailingGarbage() throws {
        let (plain, frame) = Self.checkedFrame()
        let dir = try MetadataFixtures.makeTemporaryDirectory()
        defer { MetadataFixtures.remove(dir) }

        var badMagic = frame
        badMagic[0] ^= 0xff
        try MetadataFixtures.write(badMagic, to: dir + "/magic.lz4")
        #expect(
            throws: BinlogIOError(
                kind: .corruptCompression, path: dir + "/magic.lz4", offset: 0,
                reason: "LZ4 error ERROR_frameType_unknown")
        ) { try Self.readAll(try LZ4FileSource(path: dir + "/magic.lz4"), chunk: 4096) }

        // A plain binlog named .lz4 is not a frame either.
        let binlog = try MetadataFixtures.read(MetadataFixtures.committedPath("minsize/binlog/log_db0/write2file0"))
        try MetadataFixtures.write(binlog, to: dir + "/plain.lz4")
        let error = #expect(throws: BinlogIOError.self) {
            try Self.readAll(try LZ4FileSource(path: dir + "/plain.lz4"), chunk: 4096)
        }
        #expect(error?.kind == .corruptCompression)
        #expect(error?.offset == 0)

        // Bytes after a complete frame must be another frame.
        try MetadataFixtures.write(frame + Array("garbage!!".utf8), to: dir + "/tail.lz4")
        let source = try LZ4FileSource(path: dir + "/tail.lz4")
        var buffer = [UInt8](repeating: 0, count: plain.count)
        // The whole first frame comes out before the failure.
        #expect(try buffer.withUnsafeMutableBytes { try source.read(into: $0) } == plain.count)
        #expect(buffer == plain)
        #expect(
            throws: BinlogIOError(
                kind: .corruptCompression, path: dir + "/tail.lz4", offset: UInt64(frame.count),
                reason: "LZ4 error ERROR_frameType_unknown")
        ) { try Self.readAll(source, chunk: 4096) }
    }

    /// A sweep over a real compressed binlog (the committed `lz4 -9` copy of bgsave's write2file7:
    /// 35 063 bytes, no block checksums, a content checksum): a bit flipped every 59th byte and a cut
    /// every 61st. Each decode ends (no crash, no hang) with an error naming the file and a byte
    /// offset inside it; a cut file gives exactly the records that end before the cut's
    /// decompressed offset, then the error at the cut.
    @Test func damagedRealFrameSweep() throws {
        let path = MetadataFixtures.committedPath("bgsave/binlog-lz4/log_db0/write2file7.lz4")
        let frame = try MetadataFixtures.read(path)
        #expect(frame.count == 35_063)
        let clean = try Self.decodeAll(try LZ4FileSource(path: path), fileNumber: 7)
        #expect(clean.count > 1000)
        let dir = try MetadataFixtures.makeTemporaryDirectory()
        defer { MetadataFixtures.remove(dir) }
        let damaged = dir + "/write2file7.lz4"

        var flips = 0
        for at in stride(from: 0, to: frame.count, by: 59) {
            var bytes = frame
            bytes[at] ^= 0x10
            try MetadataFixtures.write(bytes, to: damaged)
            let error = #expect(throws: BinlogIOError.self, "flip at \(at)") {
                try Self.decodeAll(try LZ4FileSource(path: damaged), fileNumber: 7)
            }
            #expect(error?.path == damaged && error?.kind == .corruptCompression, "flip at \(at): \(String(describing: error))")
            #expect((error?.offset ?? .max) <= UInt64(frame.count), "flip at \(at)")
            flips += 1
        }
        var cuts = 0
        for cut in stride(from: 0, to: frame.count, by: 61) {
            try MetadataFixtures.write(Array(frame[..<cut]), to: damaged)
            let source = try LZ4FileSource(path: damaged)
            var decoder = BinlogFileDecoder(source: source, fileNumber: 7)
            var records: [LZ4SourceTestRecord] = []
            do {
                while let record = try decoder.next() {
                    switch record {
                    case .item(let i):
                        records.append(
                            .item(start: i.start, end: i.end, header: i.header, fragments: i.fragmentCount, content: Array(i.content)))
                    case .padding(let p): records.append(.padding(p))
                    case .damage(let d): records.append(.damage(d))
                    }
                }
                Issue.record("cut at \(cut): no error")
            } catch {
                #expect(error.path == damaged && error.offset == UInt64(cut), "cut at \(cut): \(error)")
            }
            // What came out before the error is the clean decode's start, record for record.
            #expect(records.count <= clean.count && Array(clean.prefix(records.count)) == records, "cut at \(cut)")
            cuts += 1
        }
        #expect((flips, cuts) == (595, 575))
    }

    @Test(arguments: [0, 3, 1000, -1])
    func truncatedFrameIsAnErrorAtItsEnd(_ cut: Int) throws {
        let (_, frame) = Self.checkedFrame()
        let length = cut >= 0 ? cut : frame.count - 1
        let dir = try MetadataFixtures.makeTemporaryDirectory()
        defer { MetadataFixtures.remove(dir) }
        let path = dir + "/write2file0.lz4"
        try MetadataFixtures.write(Array(frame[0..<length]), to: path)
        let error = #expect(throws: BinlogIOError.self) {
            try Self.readAll(try LZ4FileSource(path: path), chunk: 65536)
        }
        #expect(error?.kind == .corruptCompression)
        #expect(error?.path == path)
        #expect(error?.offset == UInt64(length))
        #expect(error?.reason.contains("truncated") == true)
    }

    @Test func contentChecksumMismatch() throws {
        var frame = LZ4FileSource.compressFrame(Array(repeating: 7, count: 200_000))
        frame[frame.count - 1] ^= 0x01
        let dir = try MetadataFixtures.makeTemporaryDirectory()
        defer { MetadataFixtures.remove(dir) }
        try MetadataFixtures.write(frame, to: dir + "/f.lz4")
        let error = #expect(throws: BinlogIOError.self) {
            try Self.readAll(try LZ4FileSource(path: dir + "/f.lz4"), chunk: 65536)
        }
        #expect(error?.kind == .corruptCompression)
        #expect(error?.reason == "LZ4 error ERROR_contentChecksum_invalid")
        // Reported at the 4-byte content checksum, the frame's last unit.
        #expect(error?.offset == UInt64(frame.count - 4))
    }

    @Test func missingFile() {
        let path = "/nonexistent-binlogtool-test/write2file0.lz4"
        let error = #expect(throws: BinlogIOError.self) { try LZ4FileSource(path: path) }
        #expect(error?.kind == .missing)
        #expect(error?.path == path)
    }
}
