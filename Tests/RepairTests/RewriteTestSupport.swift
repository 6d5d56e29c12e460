import BinlogFormat
import Foundation
import Testing

@testable import PikaStorage
@testable import Repair

/// Helpers for the Rewrite* suites: run a rewrite into a temporary directory (or a command list),
/// read its output back, hash inputs.
enum RewriteTest {
    struct Result {
        var summary: RewriteSummary
        var changes: [RewriteChange]
        /// The output binlog directory (binlog runs).
        var directory: String?
        /// The commands written (RESP runs), in order.
        var commands: [[[UInt8]]]

        func changes(_ kind: RewriteChange.Kind) -> [RewriteChange] { changes.filter { $0.kind == kind } }
    }

    /// Rewrites the binlog in `input` into a new temporary binlog directory.
    static func rewrite(
        _ input: String, options: RewriteOptions = RewriteOptions(), binlogFileSize: UInt64 = 100 * 1024 * 1024
    ) throws -> Result {
        let out = try CheckFixtures.temporaryDirectory() + "/log_db0"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let output = BinlogRewriteOutput(output: try BinlogDirectoryOutput(directory: out), binlogFileSize: binlogFileSize)
        let box = ChangeBox()
        let summary = try BinlogRewriter(directory: try BinlogDirectory(path: input), options: options)
            .rewrite(into: output, report: { box.changes.append($0) })
        return Result(summary: summary, changes: box.changes, directory: out, commands: [])
    }

    /// Rewrites the binlog in `input` into a RESP stream (Redis dialect by default) and parses it back.
    static func rewriteRESP(
        _ input: String, options: RewriteOptions = RewriteOptions(), dialect: RewriteDialect = .redis
    ) throws -> Result {
        var options = options
        options.dialect = dialect
        let path = try CheckFixtures.temporaryDirectory() + "/out.resp"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        #expect(fd >= 0)
        let output = RESPRewriteOutput(descriptor: fd, path: path, closeWhenDone: true)
        let box = ChangeBox()
        let summary = try BinlogRewriter(directory: try BinlogDirectory(path: input), options: options)
            .rewrite(into: output, report: { box.changes.append($0) })
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        return Result(summary: summary, changes: box.changes, directory: nil, commands: try parseRESPStream(bytes))
    }

    final class ChangeBox: @unchecked Sendable {
        var changes: [RewriteChange] = []
    }

    /// Every command of a RESP multi-bulk stream.
    static func parseRESPStream(_ bytes: [UInt8]) throws -> [[[UInt8]]] {
        var out: [[[UInt8]]] = []
        var i = 0
        func line() throws -> Int {
            var j = i
            while j + 1 < bytes.count && !(bytes[j] == 13 && bytes[j + 1] == 10) { j += 1 }
            guard j + 1 < bytes.count, let n = Int(String(decoding: bytes[(i + 1)..<j], as: UTF8.self)) else {
                throw CheckTestFailure("bad RESP at \(i)")
            }
            i = j + 2
            return n
        }
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "*") else { throw CheckTestFailure("expected * at \(i)") }
            let argc = try line()
            var argv: [[UInt8]] = []
            for _ in 0..<argc {
                guard bytes[i] == UInt8(ascii: "$") else { throw CheckTestFailure("expected $ at \(i)") }
                let n = try line()
                argv.append(Array(bytes[i..<(i + n)]))
                i += n + 2
            }
            out.append(argv)
        }
        return out
    }

    /// The items of a binlog directory with their argv.
    struct Item {
        var start: PhysicalPosition
        var end: PhysicalPosition
        var header: ItemHeader
        var arguments: [[UInt8]]
        var line: String { arguments.map { String(decoding: $0.prefix(30), as: UTF8.self) }.joined(separator: " ") }
    }

    static func items(_ directory: String) throws -> (items: [Item], padding: [PaddingRegion], damage: Int) {
        let d = try BinlogDirectory(path: directory)
        var stream = BinlogStream(
            files: d.files.map { entry in
                BinlogStream.File(fileNumber: entry.fileNumber) { () throws(BinlogIOError) -> any ByteSource in
                    try entry.openSource()
                }
            })
        var items: [Item] = []
        var padding: [PaddingRegion] = []
        var damage = 0
        while let r = try stream.next() {
            switch r {
            case .item(let i):
                items.append(Item(start: i.start, end: i.end, header: i.header, arguments: i.command.ownedArguments()))
            case .padding(let p): padding.append(p)
            case .damage: damage += 1
            }
        }
        return (items, padding, damage)
    }

    /// SHA-like fingerprint of every regular file under `path` (FNV-1a over names and bytes).
    static func fingerprint(_ path: String) throws -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        let manager = FileManager.default
        var isDir: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isDir) else { return [:] }
        let files = isDir.boolValue ? (manager.enumerator(atPath: path)?.allObjects as? [String] ?? []) : [""]
        for relative in files {
            let full = relative.isEmpty ? path : path + "/" + relative
            var d: ObjCBool = false
            guard manager.fileExists(atPath: full, isDirectory: &d), !d.boolValue else { continue }
            let data = try Data(contentsOf: URL(fileURLWithPath: full))
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in data {
                h ^= UInt64(b)
                h &*= 0x100_0000_01B3
            }
            out[relative] = h ^ UInt64(data.count)
        }
        return out
    }

    static func text(_ argv: [[UInt8]]) -> String {
        argv.map { String(decoding: $0.prefix(40), as: UTF8.self) }.joined(separator: " ")
    }

    static func b(_ s: String) -> [UInt8] { Array(s.utf8) }
}
