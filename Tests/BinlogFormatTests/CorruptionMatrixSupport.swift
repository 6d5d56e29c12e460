import BinlogFormat
import Foundation
import TestSupport
import Testing

// The corruption matrix's records as values, damaging edits and its rule (`expectDamage`); the
// cases are in CorruptionMatrixTests.swift.

// MARK: - Records as values

/// One decoded record, copied out of the decoder.
struct MatrixRecord: Equatable, CustomStringConvertible {
    enum Kind: Equatable {
        case item
        case padding(PaddingRegion.Kind)
        case damage(Damage.Kind)
    }
    var kind: Kind
    var start: Int
    var end: Int
    /// The whole payload of an item (empty for padding and damage).
    var payload: [UInt8] = []
    /// Header time of every fragment of an item.
    var times: [UInt32] = []

    var isDamage: Bool {
        if case .damage = kind { return true }
        return false
    }

    var range: Range<Int> { start..<end }

    func overlaps(_ r: Range<Int>) -> Bool { start < r.upperBound && r.lowerBound < end }

    /// The same record `delta` bytes further on.
    func moved(by delta: Int) -> MatrixRecord {
        var r = self
        r.start += delta
        r.end += delta
        return r
    }

    var description: String {
        switch kind {
        case .item: "item[\(start)..<\(end) ×\(times.count) \(payload.count) B]"
        case .padding(let k): "padding[\(k.rawValue) \(start)..<\(end)]"
        case .damage(let k): "damage[\(k) \(start)..<\(end)]"
        }
    }
}

enum Matrix {
    static let block = BinlogConstants.blockSize

    /// Decodes `bytes` as one file from offset 0.
    static func decode(_ bytes: [UInt8], fileNumber: FileNumber = 0) throws -> [MatrixRecord] {
        var decoder = BinlogFileDecoder(source: MemorySource(bytes), fileNumber: fileNumber)
        var out: [MatrixRecord] = []
        while let record = try decoder.next() {
            switch record {
            case .item(let i):
                out.append(
                    MatrixRecord(
                        kind: .item, start: Int(i.start.offset), end: Int(i.end.offset), payload: Array(i.payload),
                        times: Array(i.recordTimes)))
            case .padding(let p):
                out.append(MatrixRecord(kind: .padding(p.kind), start: Int(p.start.offset), end: Int(p.end.offset)))
            case .damage(let d):
                out.append(MatrixRecord(kind: .damage(d.kind), start: Int(d.start.offset), end: Int(d.end.offset)))
            }
            // Every record covers at least one byte: more records than bytes would be a loop.
            if out.count > bytes.count + 2 { throw MatrixFailure("the decoder does not end") }
        }
        return out
    }

    static func read(_ relative: String) throws -> [UInt8] {
        let path = RealFixtures.path(relative)
        guard let data = FileManager.default.contents(atPath: path) else { throw MatrixFailure("cannot read \(path)") }
        return [UInt8](data)
    }

    /// Where the 8-byte header of every physical record of a clean decode is: each fragment of an
    /// item (the first at its start, the others at the following block starts) and each padding
    /// record. `owner` indexes `records`, `fragment` is the fragment's index in its item.
    static func headers(of records: [MatrixRecord]) -> [(offset: Int, owner: Int, fragment: Int)] {
        var out: [(Int, Int, Int)] = []
        for (index, r) in records.enumerated() {
            switch r.kind {
            case .item:
                for k in 0..<r.times.count { out.append((k == 0 ? r.start : (r.start / block + k) * block, index, k)) }
            case .padding(.badRecord), .padding(.paddingItem), .padding(.emptyItem):
                out.append((r.start, index, 0))
            default:
                break
            }
        }
        return out
    }

    /// Whether `bytes[from..<to]` is a block trailer: fewer than 8 zero bytes ending at a block end
    /// (or at the end of the file inside such a tail).
    static func isTrailer(_ bytes: [UInt8], _ from: Int, _ to: Int) -> Bool {
        let blockEnd = (from / block + 1) * block
        return from < to && (to == blockEnd || to == bytes.count) && to <= blockEnd && blockEnd - from < 8
            && bytes[from..<to].allSatisfy { $0 == 0 }
    }

    /// `ranges` sorted and merged where they touch or are separated by a block trailer only, with
    /// trailer bytes trimmed from their ends (a trailer next to damage may be reported in it).
    static func spans(_ ranges: [Range<Int>], in bytes: [UInt8]) -> [Range<Int>] {
        var merged: [Range<Int>] = []
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) where !r.isEmpty {
            if let last = merged.last, last.upperBound == r.lowerBound || isTrailer(bytes, last.upperBound, r.lowerBound) {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                merged.append(r)
            }
        }
        return merged.compactMap { r in
            var end = r.upperBound
            // The trailer at a block end inside the span's last block (Pika's records end in
            // CRLF or `*`, never in a zero byte).
            let blockStart = (end - 1) / block * block
            if end == blockStart + block || end == bytes.count {
                var t = end
                while t > r.lowerBound && end - t < 7 && bytes[t - 1] == 0 && t - 1 >= blockStart + block - 7 { t -= 1 }
                end = t
            }
            return r.lowerBound < end ? r.lowerBound..<end : nil
        }
    }

    /// The bytes no survivor covers, as spans (trailers between survivors excluded).
    static func uncovered(by survivors: [MatrixRecord], in bytes: [UInt8]) -> [Range<Int>] {
        var gaps: [Range<Int>] = []
        var at = 0
        for r in survivors.sorted(by: { $0.start < $1.start }) {
            if at < r.start && !isTrailer(bytes, at, r.start) { gaps.append(at..<r.start) }
            at = max(at, r.end)
        }
        if at < bytes.count && !isTrailer(bytes, at, bytes.count) { gaps.append(at..<bytes.count) }
        return spans(gaps, in: bytes)
    }

    /// Problems with how `records` cover `bytes`: order, overlap, bounds, and gaps other than
    /// block trailers.
    static func tilingProblems(_ records: [MatrixRecord], in bytes: [UInt8]) -> [String] {
        var problems: [String] = []
        var at = 0
        func gap(_ from: Int, _ to: Int) {
            var a = from
            while a < to {
                let b = min(to, (a / block + 1) * block)
                if !isTrailer(bytes, a, b) { problems.append("undecoded gap \(a)..<\(b)") }
                a = b
            }
        }
        for r in records {
            if r.start >= r.end { problems.append("empty \(r)") }
            if r.start < at { problems.append("\(r) overlaps \(at)") }
            if r.end > bytes.count { problems.append("\(r) ends past \(bytes.count)") }
            gap(at, r.start)
            at = max(at, r.end)
        }
        gap(at, bytes.count)
        return problems
    }
}

struct MatrixFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The matrix rule: `decoded` tiles `bytes`, its non-damage records are exactly `survivors`, and
/// its damage covers exactly what the survivors leave uncovered. Returns false on a failure (so
/// loops over thousands of cases can stop at the first).
@discardableResult
func expectDamage(
    _ label: @autoclosure () -> String, bytes: [UInt8], decoded: [MatrixRecord], survivors: [MatrixRecord],
    sourceLocation: SourceLocation = #_sourceLocation
) -> Bool {
    let tiling = Matrix.tilingProblems(decoded, in: bytes)
    let kept = decoded.filter { !$0.isDamage }
    let damage = Matrix.spans(decoded.filter(\.isDamage).map(\.range), in: bytes)
    let expectedDamage = Matrix.uncovered(by: survivors, in: bytes)
    let ok = tiling.isEmpty && kept == survivors && damage == expectedDamage
    if !ok {
        let lost = survivors.filter { !kept.contains($0) }
        let extra = kept.filter { !survivors.contains($0) }
        Issue.record(
            """
            \(label()): tiling \(tiling.prefix(3)); lost \(lost.count) \(lost.prefix(3)); unexpected \(extra.prefix(3)); \
            damage \(damage.prefix(4)) expected \(expectedDamage.prefix(4)); records near: \
            \(decoded.filter { r in (lost + extra).contains { abs($0.start - r.start) < 70_000 } || r.isDamage }.prefix(8))
            """, sourceLocation: sourceLocation)
    }
    return ok
}
