import BinlogFormat
import BinlogToolCore
import Foundation
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// In-process helpers: what a formatter writes, and items decoded from real or written binlogs.
enum Core {
    /// What `body` wrote into an ``OutputBuffer`` (over a temporary file), as a string.
    static func written(_ body: (OutputBuffer) throws -> Void) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("core-\(UUID().uuidString)").path
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw CoreTestFailure("cannot create \(path)") }
        defer { close(fd); unlink(path) }
        let out = OutputBuffer(fd: fd)
        try body(out)
        out.flush()
        guard !out.failed, let data = FileManager.default.contents(atPath: path) else {
            throw CoreTestFailure("writing \(path) failed")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The binlog of a real fixture case (e.g. `basic/binlog`), as the CLI resolves it.
    static func input(_ relative: String) throws -> BinlogInput {
        BinlogInput(directory: try BinlogDirectory(path: PikaFixtures.path(relative)))
    }

    /// Calls `body` with each record of `input`, in order.
    static func forEachRecord(_ input: BinlogInput, _ body: (borrowing BinlogRecord) throws -> Void) throws {
        var stream = BinlogStream(files: input.streamFiles)
        while let record = try stream.next() { try body(record) }
    }

    /// One written binlog file holding `commands` as items with logic ids 1, 2, …, decoded.
    static func forEachItem(written commands: [[String]], _ body: (borrowing BinlogItem) throws -> Void) throws {
        let output = BinlogMemoryOutput()
        var writer = try BinlogWriter(output: output, binlogFileSize: 1 << 20)
        for argv in commands {
            let content = RESP.encode(argv.map { Array($0.utf8) })
            try content.withUnsafeBytes { _ = try writer.append(content: $0, execTime: 1_795_218_021) }
        }
        _ = try writer.finish()
        var decoder = BinlogFileDecoder(source: MemorySource(output.files[0].bytes), fileNumber: 0)
        while let record = try decoder.next() {
            if case .item(let item) = consume record { try body(item) }
        }
    }
}

struct CoreTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
