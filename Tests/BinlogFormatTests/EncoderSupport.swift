import BinlogFormat
import Foundation
import TestSupport
import Testing

/// Test helpers for the encoder suites (prefixed `Encoder`/`enc` to stay clear of other suites'
/// helpers in this module).
enum EncoderFixtures {
    static let committed = PikaFixtures.committed
    static let shared = PikaFixtures.shared

    /// The path of `relative` (``PikaFixtures/path(_:)``), nil if in neither copy.
    static func path(_ relative: String) -> String? {
        let p = PikaFixtures.path(relative)
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }

    /// `write2file<N>` files of a binlog directory (not `.lz4`), sorted by N.
    static func binlogFiles(_ relativeDir: String) -> [(fileNumber: FileNumber, path: String)] {
        PikaFixtures.binlogFiles(relativeDir).filter { !$0.path.hasSuffix(".lz4") }
    }

    /// `binlog-file-size` from a `pika.conf` (`binlog-file-size : 131072`).
    static func binlogFileSize(conf relative: String) throws -> UInt64 {
        let p = try #require(path(relative), "missing \(relative)")
        let text = try String(contentsOfFile: p, encoding: .utf8)
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, parts[0] == "binlog-file-size", let v = Int64(parts[1]) {
                return BinlogWriter.effectiveBinlogFileSize(configured: v)
            }
        }
        throw EncoderTestFailure("no binlog-file-size in \(p)")
    }
}

struct EncoderTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A decoded item copied out of the decoder, so it can be kept and compared.
struct EncOwnedItem: Equatable, CustomStringConvertible {
    var start: PhysicalPosition
    var end: PhysicalPosition
    var fragmentCount: Int
    var recordTimes: [UInt32]
    var envelope: ItemEnvelope
    var header: ItemHeader
    var payload: [UInt8]
    var content: [UInt8]

    init(_ item: BinlogItem) {
        start = item.start
        end = item.end
        fragmentCount = item.fragmentCount
        recordTimes = Array(item.recordTimes)
        envelope = item.envelope
        header = item.header
        payload = Array(item.payload)
        content = Array(item.content)
    }

    var description: String {
        "item \(start)..\(end) \(fragmentCount) frag, logic \(header.logicID), stored \(header.stored), \(payload.count) B"
    }
}

/// A decoded record, owned.
enum EncOwnedRecord: Equatable {
    case item(EncOwnedItem)
    case padding(PaddingRegion)
    case damage(Damage)

    var item: EncOwnedItem? { if case .item(let i) = self { i } else { nil } }
}

/// Decodes all of `bytes` as `write2file<fileNumber>`.
func encDecode(_ bytes: [UInt8], fileNumber: FileNumber = 0) throws -> [EncOwnedRecord] {
    var decoder = BinlogFileDecoder(source: MemorySource(bytes), fileNumber: fileNumber)
    var out: [EncOwnedRecord] = []
    while let r = try decoder.next() {
        switch r {
        case .item(let i): out.append(.item(EncOwnedItem(i)))
        case .padding(let p): out.append(.padding(p))
        case .damage(let d): out.append(.damage(d))
        }
    }
    return out
}

/// The first index where `a` and `b` differ (or the shorter length), nil when equal.
func encFirstDifference(_ a: [UInt8], _ b: [UInt8]) -> Int? {
    let n = min(a.count, b.count)
    var i = 0
    while i < n {
        if a[i] != b[i] { return i }
        i += 1
    }
    return a.count == b.count ? nil : n
}

/// A RESP command of exactly `totalLength` bytes (at least 10): `*1\r\n$k\r\n<k bytes>\r\n`, or,
/// for the lengths that form cannot reach (just past a power of ten), with an empty first argument.
func encRESP(totalLength: Int, fill: UInt8 = UInt8(ascii: "v")) -> [UInt8] {
    precondition(totalLength >= 10)
    for (overhead, prefix) in [(9, [[UInt8]]()), (15, [[UInt8]()])] {
        for digits in 1...9 {
            let k = totalLength - overhead - digits
            if k >= 0 && String(k).count == digits {
                let out = RESP.encode(prefix + [[UInt8](repeating: fill, count: k)])
                precondition(out.count == totalLength)
                return out
            }
        }
    }
    preconditionFailure("no RESP of \(totalLength) bytes")
}

/// A fresh empty directory under the system temp dir; removed by the caller.
func encTemporaryDirectory() throws -> String {
    let p = FileManager.default.temporaryDirectory
        .appendingPathComponent("binlogtool-enc-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: false)
    return p
}

func encReadFile(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw EncoderTestFailure("cannot read \(path)")
    }
    return [UInt8](data)
}
