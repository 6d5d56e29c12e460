import BinlogFormat
import Foundation
import TestSupport
import Testing

// The corruption matrix: real Pika binlog files, damaged on purpose in every way a disk, a copy
// or a crash damages them, each decoded and compared with the clean decode of the same file.
//
// The rule every case checks (`expectDamage`): the decoder ends; its records tile the file; every
// record of the clean decode that does not overlap the damaged bytes comes out exactly (position,
// payload, fragment times); and the damage records cover exactly the bytes of the records that
// do, no more, no less (block trailers aside). The few places where damage makes a header valid
// again are listed in `Docs/Hardening.md` and asserted precisely where they occur.

// MARK: - Tests

@Suite struct CorruptionMatrixTests {
    // MARK: Truncation

    /// Small files cut at every byte offset, 0 through the file size: every record that ends at
    /// or before the cut comes out exactly; a record the cut goes through is damage from its start
    /// to the cut (or, when the bytes kept of it are all zero, a zero tail: that is what a
    /// preallocated file looks like); nothing else.
    @Test(arguments: [
        "minsize/binlog/log_db0/write2file0", "minsize/binlog/log_db0/write2file1", "minsize/binlog/log_db0/write2file2",
        "minsize/binlog/log_db0/write2file3", "minsize/binlog/log_db0/write2file4", "minsize/binlog/log_db0/write2file20",
    ])
    func truncationAtEveryOffset(_ file: String) throws {
        let bytes = try Matrix.read(file)
        let clean = try Matrix.decode(bytes)
        #expect(clean.allSatisfy { !$0.isDamage } && clean.count > 0)
        var tailCuts = 0
        for cut in 0...bytes.count {
            let ok = try expectTruncation(bytes, clean: clean, at: cut, tailCuts: &tailCuts, file: file)
            if !ok { break }
        }
        // Cuts of 1–7 bytes into a header whose first bytes are zero read as a zero tail. In these
        // files no header starts with a zero byte: every cut inside a record is damage.
        #expect(tailCuts == 0)
    }

    /// Multi-block files cut at every offset within 24 bytes of every record boundary and every
    /// block boundary, and every 61st offset elsewhere: items across blocks (First + Middle +
    /// Last), the 8-byte header at a block start, and a kBadRecord padding record.
    @Test(arguments: [
        "basic/binlog/log_db0/write2file0", "slave/slave/binlog/log_db0/write2file7", "minsize/binlog/log_db0/write2file8",
    ])
    func truncationAroundEveryBoundary(_ file: String) throws {
        let bytes = try Matrix.read(file)
        let clean = try Matrix.decode(bytes)
        #expect(clean.allSatisfy { !$0.isDamage })
        var marks = Set(clean.flatMap { [$0.start, $0.end] })
        marks.formUnion(stride(from: 0, through: bytes.count, by: Matrix.block))
        marks.formUnion(Matrix.headers(of: clean).map(\.offset))
        var cuts = Set(stride(from: 0, through: bytes.count, by: 61))
        for m in marks { cuts.formUnion(max(0, m - 24)...min(bytes.count, m + 24)) }
        var tailCuts = 0
        for cut in cuts.sorted() {
            if !(try expectTruncation(bytes, clean: clean, at: cut, tailCuts: &tailCuts, file: file)) { break }
        }
        #expect(tailCuts == 0)
        #expect(cuts.count > bytes.count / 61)
    }

    /// One cut: the records before it exactly, then damage over the record it cuts.
    private func expectTruncation(
        _ bytes: [UInt8], clean: [MatrixRecord], at cut: Int, tailCuts: inout Int, file: String
    ) throws -> Bool {
        let prefix = Array(bytes[0..<cut])
        let decoded = try Matrix.decode(prefix)
        var expected = clean.filter { $0.end <= cut }
        if let cutRecord = clean.first(where: { $0.start < cut && cut < $0.end }) {
            if prefix[cutRecord.start..<cut].allSatisfy({ $0 == 0 }) {
                tailCuts += 1
                expected.append(MatrixRecord(kind: .padding(.zeroTail), start: cutRecord.start, end: cut))
            } else {
                // The kind depends on where the cut is (header, payload, between fragments).
                let kind = decoded.last?.kind ?? .item
                switch kind {
                case .damage(.truncatedHeader), .damage(.truncatedRecord), .damage(.interruptedItem): break
                default: Issue.record("\(file) cut at \(cut): \(decoded.last.map { "\($0)" } ?? "nothing") after the cut record")
                }
                expected.append(MatrixRecord(kind: kind, start: cutRecord.start, end: cut))
            }
        }
        #expect(decoded == expected, "\(file) cut at \(cut): \(decoded.suffix(3)) expected \(expected.suffix(3))")
        return decoded == expected
    }

    // MARK: Bit flips in record headers

    /// Every bit of every byte of every record header of a file, flipped one at a time.
    /// * Time bytes (3–6): every record comes out; only that fragment's time differs.
    /// * Length and type bytes (0–2, 7): every record not overlapping the flipped record's item
    ///   (or padding record) comes out exactly; damage covers exactly that item.
    /// The two exceptions (asserted, see `Docs/Hardening.md`): a length flip that shortens a
    /// kBadRecord padding record leaves a valid, shorter padding record of `*`, and one that turns a
    /// Full record's length into 0 leaves an 8-byte empty item; the rest of the record is damage.
    ///
    /// Files: a slave's (a padding record, 67 Full records, a First and its Last), an item across a
    /// block end, a First after Full records, small items, a four-fragment item alone (First,
    /// Middle, Middle, Last), and basic's first file (73 records: both kinds of multi-block item
    /// among Full records).
    @Test(arguments: [
        "slave/slave/binlog/log_db0/write2file7", "minsize/binlog/log_db0/write2file8",
        "minsize/binlog/log_db0/write2file5", "minsize/binlog/log_db0/write2file0",
        "v4-basic/binlog/log_db0/write2file1", "basic/binlog/log_db0/write2file0",
    ])
    func singleBitFlipInEveryHeaderByte(_ file: String) throws {
        let bytes = try Matrix.read(file)
        let clean = try Matrix.decode(bytes)
        #expect(clean.allSatisfy { !$0.isDamage })
        let headers = Matrix.headers(of: clean)
        var flips = 0
        var shortenedPadding = 0
        var emptiedItems = 0
        outer: for h in headers {
            let owner = clean[h.owner]
            for byte in 0..<8 {
                for bit in 0..<8 {
                    var damaged = bytes
                    damaged[h.offset + byte] ^= UInt8(1 << bit)
                    let decoded = try Matrix.decode(damaged)
                    flips += 1
                    let label = "\(file): bit \(bit) of header byte \(byte) at \(h.offset) (\(owner))"
                    var survivors: [MatrixRecord]
                    if (3...6).contains(byte) {
                        survivors = clean
                        if owner.kind == .item {
                            survivors[h.owner].times[h.fragment] ^= UInt32(1) << (8 * (byte - 3) + bit)
                        }
                    } else {
                        survivors = clean.filter { !$0.overlaps(owner.range) }
                        let length = owner.end - owner.start - 8
                        if owner.kind == .item, owner.times.count == 1, byte < 3, length == 1 << (8 * byte + bit) {
                            // Allowed exception: the length becomes 0, and a zero-length Full record
                            // is an empty item (v3.3.0–v3.3.5, Docs/Format.md §B13); its old payload is damage.
                            emptiedItems += 1
                            survivors.append(MatrixRecord(kind: .padding(.emptyItem), start: owner.start, end: owner.start + 8))
                            survivors.sort { $0.start < $1.start }
                        }
                        if owner.kind == .padding(.badRecord), byte < 3,
                            let shorter = decoded.first(where: { $0.start == owner.start && $0.kind == .padding(.badRecord) })
                        {
                            // The allowed exception: a shorter, still valid padding record.
                            #expect(shorter.end < owner.end, "\(label): \(shorter)")
                            shortenedPadding += 1
                            survivors.append(shorter)
                            survivors.sort { $0.start < $1.start }
                        }
                    }
                    if !expectDamage(label, bytes: damaged, decoded: decoded, survivors: survivors) { break outer }
                }
            }
        }
        #expect(flips == headers.count * 64)
        if file.hasPrefix("slave/") { #expect(shortenedPadding > 0) }
        // Exactly the Full records whose length has one bit set (e.g. minsize write2file5's 72-byte
        // item, length 64) can be emptied by one flip, and each was.
        let oneBitLengths = clean.filter { r in
            r.kind == .item && r.times.count == 1 && (r.end - r.start - 8).nonzeroBitCount == 1
        }
        #expect(emptiedItems == oneBitLengths.count)
        if file.hasSuffix("minsize/binlog/log_db0/write2file5") { #expect(emptiedItems == 1) }
    }

    // MARK: Whole blocks

    struct BlockCase: CustomTestStringConvertible, Sendable {
        var file: String
        var block: Int
        /// Records of the clean decode that do not overlap the block.
        var survivors: Int
        /// Records that do (inside it, or across one of its edges).
        var lost: Int
        /// The file ends in this block: zeroed, it reads as a zero tail (``zeroedLastBlockIsAZeroTail()``).
        var isLast = false
        var testDescription: String { "\(file) block \(block)" }
    }

    static let blockCases: [BlockCase] = [
        // About 534 small items per block; every block boundary falls inside an item.
        BlockCase(file: "bgsave/binlog/log_db0/write2file10", block: 0, survivors: 1600, lost: 534),
        BlockCase(file: "bgsave/binlog/log_db0/write2file10", block: 1, survivors: 1600, lost: 534),
        BlockCase(file: "bgsave/binlog/log_db0/write2file10", block: 2, survivors: 1599, lost: 535),
        // The Last fragment of a two-block item, then a First running to the block end.
        BlockCase(file: "basic/binlog/log_db0/write2file0", block: 1, survivors: 67, lost: 2),
        // A Middle fragment of a four-fragment item.
        BlockCase(file: "basic/binlog/log_db0/write2file0", block: 2, survivors: 68, lost: 1),
        // A slave's last block: the Last fragment of the item that began after the padding record.
        BlockCase(file: "slave/slave/binlog/log_db0/write2file7", block: 1, survivors: 68, lost: 1, isLast: true),
    ]

    /// A 64 KiB block zeroed (a lost page range, a sparse hole): every record not overlapping the
    /// block comes out exactly; damage covers exactly the block and the records it cuts.
    @Test(arguments: blockCases.filter { !$0.isLast })
    func zeroedBlock(_ c: BlockCase) throws {
        let bytes = try Matrix.read(c.file)
        let clean = try Matrix.decode(bytes)
        let hit = c.block * Matrix.block..<min(bytes.count, (c.block + 1) * Matrix.block)
        var damaged = bytes
        damaged.replaceSubrange(hit, with: repeatElement(0, count: hit.count))
        let decoded = try Matrix.decode(damaged)
        let survivors = clean.filter { !$0.overlaps(hit) }
        expectDamage("\(c) zeroed", bytes: damaged, decoded: decoded, survivors: survivors)
        #expect(survivors.count == c.survivors && clean.count - survivors.count == c.lost)
        // The records the block cuts and the zeros are one damage range.
        #expect(decoded.filter(\.isDamage).count == 1, "one merged damage range: \(decoded.filter(\.isDamage))")
    }

    /// The allowed exception for zeros: a file whose last block is zeroed to the end reads like
    /// the preallocated tail of a live or crashed file (Docs/Format.md §B12): the records wholly inside it
    /// vanish into the zero tail; an item cut by it is damage (an interrupted item). The bytes
    /// cannot tell the two apart; `check` reports the lost logic ids and the manifest mismatch.
    @Test func zeroedLastBlockIsAZeroTail() throws {
        let file = "bgsave/binlog/log_db0/write2file10"
        let bytes = try Matrix.read(file)
        let clean = try Matrix.decode(bytes)
        let hit = 4 * Matrix.block..<bytes.count
        var damaged = bytes
        damaged.replaceSubrange(hit, with: repeatElement(0, count: hit.count))
        let decoded = try Matrix.decode(damaged)
        let cut = try #require(clean.first { $0.overlaps(hit) })
        #expect(cut.start < hit.lowerBound)
        #expect(Array(decoded.dropLast(2)) == clean.filter { $0.end <= cut.start })
        #expect(
            Array(decoded.suffix(2)) == [
                MatrixRecord(kind: .damage(.interruptedItem(fragments: 1)), start: cut.start, end: hit.lowerBound),
                MatrixRecord(kind: .padding(.zeroTail), start: hit.lowerBound, end: bytes.count),
            ])
    }

    /// A 64 KiB block of seeded random bytes (a misdirected write): the same rule as a zeroed block.
    @Test(arguments: blockCases)
    func randomBlock(_ c: BlockCase) throws {
        let bytes = try Matrix.read(c.file)
        let clean = try Matrix.decode(bytes)
        let hit = c.block * Matrix.block..<min(bytes.count, (c.block + 1) * Matrix.block)
        for seed in 0..<8 {
            var rng = SplitMix64(seed: 0xB10C_0000 + UInt64(seed) * 7919 + UInt64(c.block))
            var damaged = bytes
            damaged.replaceSubrange(hit, with: rng.bytes(hit.count))
            let decoded = try Matrix.decode(damaged)
            let survivors = clean.filter { !$0.overlaps(hit) }
            if !expectDamage("\(c) random seed \(seed)", bytes: damaged, decoded: decoded, survivors: survivors) { break }
            #expect(survivors.count == c.survivors)
        }
    }

    struct SwapCase: CustomTestStringConvertible, Sendable {
        var file: String
        var first: Int
        var second: Int
        /// Records wholly inside the two blocks (decoded at their new offsets).
        var moved: Int
        /// Records across the edges of the two blocks (damage).
        var lost: Int
        var testDescription: String { "\(file) blocks \(first)⇄\(second)" }
    }

    /// Two 64 KiB blocks swapped (a copy that reordered pages): the records wholly inside either
    /// block come out exactly, at their new offsets; the records across the edges of the two
    /// blocks are damage; everything else comes out unchanged.
    @Test(arguments: [
        // Four edges inside items (65536, 131072, 196608, 262144): four items lost.
        SwapCase(file: "bgsave/binlog/log_db0/write2file10", first: 1, second: 3, moved: 1064, lost: 4),
        // Adjacent blocks: three edges.
        SwapCase(file: "bgsave/binlog/log_db0/write2file10", first: 1, second: 2, moved: 1065, lost: 3),
        // The first block (its start is the file start, not an item edge): three edges.
        SwapCase(file: "bgsave/binlog/log_db0/write2file3", first: 0, second: 2, moved: 1082, lost: 3),
        // Block 1: the Last of a two-block item and a First; block 3: a Middle. Nothing is wholly
        // inside either block, so the two items are lost and nothing moves.
        SwapCase(file: "basic/binlog/log_db0/write2file0", first: 1, second: 3, moved: 0, lost: 2),
    ])
    func swappedBlocks(_ c: SwapCase) throws {
        let bytes = try Matrix.read(c.file)
        let clean = try Matrix.decode(bytes)
        let block = Matrix.block
        let a = c.first * block..<(c.first + 1) * block
        let b = c.second * block..<(c.second + 1) * block
        try #require(b.upperBound <= bytes.count)
        var damaged = bytes
        damaged.replaceSubrange(a, with: bytes[b])
        damaged.replaceSubrange(b, with: bytes[a])
        let decoded = try Matrix.decode(damaged)
        let delta = b.lowerBound - a.lowerBound
        var survivors: [MatrixRecord] = []
        for r in clean {
            if !r.overlaps(a) && !r.overlaps(b) {
                survivors.append(r)
            } else if a.contains(r.start) && r.end <= a.upperBound {
                survivors.append(r.moved(by: delta))
            } else if b.contains(r.start) && r.end <= b.upperBound {
                survivors.append(r.moved(by: -delta))
            }
        }
        survivors.sort { $0.start < $1.start }
        expectDamage("\(c)", bytes: damaged, decoded: decoded, survivors: survivors)
        let moved = survivors.filter { a.contains($0.start) || b.contains($0.start) }.count
        let lost = clean.count - survivors.count
        // Each swapped block keeps its inner records; only the records across its edges are lost.
        #expect(moved == c.moved && lost == c.lost, "moved \(moved), lost \(lost)")
    }
}
