import Foundation
import TestSupport

/// The real Pika fixtures (located by TestSupport's ``PikaFixtures``), and the oracle's rows.
enum RealFixtures {
    static let repoRoot = PikaFixtures.repoRoot
    static let committed = PikaFixtures.committed
    static let shared = PikaFixtures.shared

    static func path(_ relative: String) -> String { PikaFixtures.path(relative) }

    /// A binlog directory's files as (file number, path), sorted, merging committed and shared copies.
    /// Paths ending in `.lz4` are LZ4 frames (read them through `LZ4FileSource`).
    static func binlogFiles(_ relativeDir: String) -> [(UInt32, String)] {
        PikaFixtures.binlogFiles(relativeDir).map { ($0.fileNumber, $0.path) }
    }

    /// One row of a `binlog-items.tsv`: what Pika's own reader returned for an item.
    struct OracleItem: Equatable {
        var logicID: UInt64
        var endFile: UInt32
        var endOffset: UInt64
        var storedFile: UInt32
        var storedOffset: UInt64
        var execTime: UInt32
        var term: UInt32
        var contentLength: Int
        var contentPrefix: [UInt8]?
    }

    /// Reads `binlog-items.tsv` (or its `.gz`) of a case directory.
    static func oracle(_ relativeTSV: String) throws -> [OracleItem] {
        var text: String
        let plain = path(relativeTSV)
        if FileManager.default.fileExists(atPath: plain) {
            text = try String(contentsOfFile: plain, encoding: .isoLatin1)
        } else {
            let gz = path(relativeTSV + ".gz")
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/gzip")
            p.arguments = ["-dc", gz]
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            text = String(decoding: data, as: UTF8.self)
        }
        var rows: [OracleItem] = []
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            rows.append(
                OracleItem(
                    logicID: UInt64(f[1])!, endFile: UInt32(f[2])!, endOffset: UInt64(f[3])!,
                    storedFile: UInt32(f[4])!, storedOffset: UInt64(f[5])!, execTime: UInt32(f[6])!,
                    term: UInt32(f[7])!, contentLength: Int(f[8])!,
                    contentPrefix: f.count > 9 ? unescape(f[9]) : nil))
        }
        return rows
    }

    /// Undoes the `\xNN` escaping of `content_prefix_escaped`.
    static func unescape(_ s: Substring) -> [UInt8] {
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            // The listing cuts the prefix at a fixed length, sometimes inside an escape.
            if b[i] == UInt8(ascii: "\\"), b.count - i < 4 { break }
            if b[i] == UInt8(ascii: "\\"), i + 3 < b.count, b[i + 1] == UInt8(ascii: "x"),
                let v = UInt8(String(decoding: b[(i + 2)...(i + 3)], as: UTF8.self), radix: 16)
            {
                out.append(v)
                i += 4
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return out
    }
}
