import BinlogFormat
import Foundation
import TestSupport
import Testing

/// A file cut into segments (`BinlogSegmentPlan`) and each decoded alone, as `dump --jobs` does,
/// must give exactly the records of one pass over the file: on written binlogs whose items span
/// blocks, on real ones, with damage where a segment ends, and when the file shrinks after the plan.
@Suite struct SegmentDecodeTests {
    typealias Owned = DecodeAheadTests.Owned
    static let block = 65_536

    struct Decoded: Equatable {
        var records: [Owned] = []
        var trailers = 0
        var trailerBytes: UInt64 = 0
    }

    static func whole(_ path: String, _ fileNumber: UInt32) throws -> Decoded {
        var decoder = BinlogFileDecoder(source: try FileSource(path: path), fileNumber: fileNumber)
        var d = Decoded()
        while let r = try decoder.next() { d.records.append(Owned(r)) }
        d.trailers = decoder.trailerCount
        d.trailerBytes = decoder.trailerByteCount
        return d
    }

    /// The segments of `cuts` decoded one by one; after a segment that ran past its stop (decoded
    /// to the end of the file), the later ones are dropped, as dump does.
    static func bySegments(_ path: String, _ fileNumber: UInt32, cuts: [UInt64]) throws -> (Decoded, ranPast: Int) {
        var d = Decoded()
        var ranPast = 0
        for (k, start) in cuts.enumerated() {
            let source = try FileSource(path: path)
            try source.seek(to: start - start % UInt64(block))
            var decoder = BinlogFileDecoder(
                source: source, fileNumber: fileNumber, segmentStart: start, stop: k + 1 < cuts.count ? cuts[k + 1] : nil)
            while let r = try decoder.next() { d.records.append(Owned(r)) }
            d.trailers += decoder.trailerCount
            d.trailerBytes += decoder.trailerByteCount
            if decoder.ranPastStop {
                ranPast += 1
                break
            }
        }
        return (d, ranPast)
    }

    /// The two decodings agree; a difference is reported by its first record, not as a dump of both.
    static func expectSame(_ segmented: Decoded, _ whole: Decoded, _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(segmented.records.count == whole.records.count, "\(what) record count", sourceLocation: sourceLocation)
        if let i = segmented.records.indices.first(where: { $0 < whole.records.count && segmented.records[$0] != whole.records[$0] }) {
            Issue.record(
                "\(what) record \(i) differs: \(segmented.records[i].kind) \(segmented.records[i].start) against \(whole.records[i].kind) \(whole.records[i].start)",
                sourceLocation: sourceLocation)
        }
        #expect(segmented.trailers == whole.trailers, "\(what) trailers", sourceLocation: sourceLocation)
        #expect(segmented.trailerBytes == whole.trailerBytes, "\(what) trailer bytes", sourceLocation: sourceLocation)
    }

    static func cuts(_ path: String, every bytes: Int) throws -> [UInt64] {
        try BinlogSegmentPlan.cuts(in: try FileSource(path: path), bytes: UInt64(bytes))
    }

    /// One file of about 3 MiB: items of 20 to 900 bytes, every 97th of 150 000 bytes (a First,
    /// Middles and a Last), so blocks begin with every kind of fragment.
    static func writtenFile() throws -> String {
        let dir = try encTemporaryDirectory()
        var writer = try BinlogWriter(output: try BinlogDirectoryOutput(directory: dir), binlogFileSize: 64 << 20)
        for i in 0..<5000 {
            let length = i % 97 == 0 ? 150_000 : 20 + (i * 37) % 900
            let value = [UInt8](repeating: UInt8(ascii: "a") + UInt8(i % 26), count: length)
            try writer.append(
                content: RESP.encode([Array("set".utf8), Array("k\(i % 500)".utf8), value]), execTime: 1_700_000_000 + UInt32(i))
        }
        try writer.finish()
        return dir + "/write2file0"
    }

    /// The header type at `offset` of the file.
    static func recordType(_ bytes: [UInt8], at offset: UInt64) -> UInt8 { bytes[Int(offset) + 7] }

    @Test(arguments: [1, 2, 3])
    func writtenBinlogGivesTheSameRecordsFromEverySegmentSize(_ blocks: Int) throws {
        let path = try Self.writtenFile()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let bytes = try encReadFile(path)
        #expect(bytes.count > 3 << 20)
        let whole = try Self.whole(path, 0)
        let cuts = try Self.cuts(path, every: blocks * Self.block)
        // The plan's cuts are where items begin: for each segment start, the first item at or
        // after it (within the 4 blocks the plan looks at), as one pass over the file found them.
        let itemStarts = whole.records.filter { $0.kind == "item" }.map(\.start.offset)
        var expected: [UInt64] = [0]
        var e = UInt64(blocks * Self.block)
        while e + UInt64(blocks * Self.block / 2) < UInt64(bytes.count) {
            if let first = itemStarts.first(where: { $0 >= e }), first < e + 4 * UInt64(Self.block), first > expected.last! {
                expected.append(first)
            }
            e += UInt64(blocks * Self.block)
        }
        #expect(cuts == expected)
        #expect(cuts.count > 25)
        for cut in cuts.dropFirst() {
            #expect([1, 2].contains(Self.recordType(bytes, at: cut)), "cut \(cut) is a Full or First record")
        }
        // Blocks that begin inside an item (a Last fragment first) and blocks skipped whole (a
        // Middle fragment) are among them.
        #expect(cuts.contains { $0 % UInt64(Self.block) != 0 })
        #expect(cuts.dropFirst().contains { $0 - $0 % UInt64(Self.block) > UInt64(Self.block) + cuts[cuts.firstIndex(of: $0)! - 1] })
        let (segmented, ranPast) = try Self.bySegments(path, 0, cuts: cuts)
        #expect(ranPast == 0)
        #expect(whole.records.count == 5000)
        Self.expectSame(segmented, whole)
    }

    @Test(arguments: ["crash/binlog/log_db0", "bgsave/binlog/log_db0", "v4-bgsave/binlog/log_db0", "basic/binlog/log_db0"])
    func realBinlogsGiveTheSameRecords(_ dir: String) throws {
        let files = PikaFixtures.binlogFiles(dir)
        #expect(!files.isEmpty, "\(dir)")
        var segmentedFiles = 0
        for file in files {
            let cuts = try Self.cuts(file.path, every: Self.block)
            if cuts.count > 1 { segmentedFiles += 1 }
            let whole = try Self.whole(file.path, file.fileNumber)
            let (segmented, _) = try Self.bySegments(file.path, file.fileNumber, cuts: cuts)
            Self.expectSame(segmented, whole, file.path)
        }
        #expect(segmentedFiles > 0, "\(dir): some file is cut")
    }

    /// An item spanning a cut whose bytes are damaged: the decoder of the segment before the cut
    /// reaches it with the damage not yet reported, goes on to the end of the file, and the later
    /// segments are dropped; the records are still those of one pass.
    @Test func damageWhereASegmentEnds() throws {
        let path = try Self.writtenFile()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let cuts = try Self.cuts(path, every: Self.block)
        // A cut just after a Last fragment: the item it ends began before the block. Its First
        // header gets an impossible type, so its later fragments are orphans: damage not yet
        // reported when the decoder before the cut reaches it.
        let healthy = try Self.whole(path, 0)
        let cut = try #require(cuts.first { $0 % UInt64(Self.block) != 0 && $0 > 1 << 20 })
        let blockStart = cut - cut % UInt64(Self.block)
        let spanning = try #require(healthy.records.first { $0.start.offset < blockStart && $0.end.offset > blockStart })
        #expect(spanning.end.offset == cut)
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: spanning.start.offset + 7)
        handle.write(Data([9]))
        try handle.close()
        #expect(try Self.cuts(path, every: Self.block) == cuts, "the cut itself is intact")

        let whole = try Self.whole(path, 0)
        #expect(whole.records.contains { $0.kind.hasPrefix("damage") && $0.start == spanning.start && $0.end.offset == cut })
        let (segmented, ranPast) = try Self.bySegments(path, 0, cuts: cuts)
        #expect(ranPast == 1)
        Self.expectSame(segmented, whole)
    }

    /// The headers at a block start overwritten: no cut is proposed there (or the decoder before
    /// confirms none), and the records are those of one pass.
    @Test func damagedHeaderAtABlockStart() throws {
        let path = try Self.writtenFile()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let before = try Self.cuts(path, every: Self.block)
        let target = UInt64(20 * Self.block)
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: target)
        handle.write(Data(repeating: 0x5A, count: 8))
        try handle.close()
        let cuts = try Self.cuts(path, every: Self.block)
        #expect(cuts.count == before.count - 1, "the damaged block's cut is gone")
        #expect(!cuts.contains { $0 >= target && $0 < target + UInt64(Self.block) })
        let whole = try Self.whole(path, 0)
        #expect(whole.records.contains { $0.kind.hasPrefix("damage") && $0.start.offset <= target && $0.end.offset > target })
        let (segmented, _) = try Self.bySegments(path, 0, cuts: cuts)
        Self.expectSame(segmented, whole)
    }

    /// The file cut short after the plan was made (a later segment's start is past its end): the
    /// segment that reaches the end reports it and the rest is dropped.
    @Test func fileShrunkAfterThePlan() throws {
        let path = try Self.writtenFile()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let cuts = try Self.cuts(path, every: Self.block)
        #expect(cuts.count > 20)
        #expect(truncate(path, off_t(cuts[10] + 100)) == 0)
        let whole = try Self.whole(path, 0)
        let (segmented, ranPast) = try Self.bySegments(path, 0, cuts: cuts)
        #expect(ranPast == 1)
        Self.expectSame(segmented, whole)
        #expect(whole.records.last?.kind.hasPrefix("damage") == true, "the cut item is damage")
    }

    /// Seeded damage of every kind at random places (overwritten bytes, zero runs, a flipped type
    /// or length byte, a torn end), the file cut every block: segment by segment, the records are
    /// always those of one pass.
    @Test func randomDamageNeverChangesTheRecords() throws {
        let path = try Self.writtenFile()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let pristine = try encReadFile(path)
        var random = SplitMix64(seed: 0x5E6_0001)
        var ranPastSomewhere = 0
        for round in 0..<24 {
            var bytes = pristine
            for _ in 0..<(1 + random.below(6)) {
                // Half near a block start, where segments end and begin (and items cross).
                var at = random.below(bytes.count - 64)
                if random.below(2) == 0 { at = max(64, at - at % Self.block - random.below(96)) }
                switch random.below(4) {
                case 0: for k in 0..<(1 + random.below(40)) { bytes[at + k] = UInt8(truncatingIfNeeded: random.next()) }
                case 1: for k in 0..<(8 + random.below(56)) { bytes[at + k] = 0 }
                case 2: bytes[at - at % 8 + 7] = UInt8(random.below(8))  // a type byte, if a header is there
                default: bytes[at] ^= 0xFF
                }
            }
            if random.below(4) == 0 { bytes.removeLast(random.below(bytes.count / 3)) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let cuts = try Self.cuts(path, every: Self.block)
            let whole = try Self.whole(path, 0)
            let (segmented, ranPast) = try Self.bySegments(path, 0, cuts: cuts)
            ranPastSomewhere += ranPast
            Self.expectSame(segmented, whole, "round \(round)")
        }
        #expect(ranPastSomewhere > 0, "some damage lay across a cut")
    }
}
