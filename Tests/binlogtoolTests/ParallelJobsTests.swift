import BinlogFormat
import Foundation
import TestSupport
import Testing

/// `--jobs N` decodes files on N threads; what the operator sees (stdout, stderr, exit status)
/// must be byte for byte what `--jobs 1` prints: on the real multi-file binlogs, on damage at a
/// file boundary, on a torn last file, and on a generated binlog of many small files.
@Suite struct ParallelJobsTests {
    /// stdout as bytes (RESP and hex output need not be UTF-8), stderr, exit status.
    struct Run: Equatable {
        var status: Int32
        var stdout: Data
        var stderr: String
    }

    static func run(_ arguments: [String]) throws -> Run {
        let r = try runProcess(CLI.executable.path, arguments)
        return Run(status: r.status, stdout: r.stdoutBytes, stderr: r.stderr)
    }

    /// Runs `arguments + ["--jobs", n]` for n in 1, 2, 4 and expects the same result each time;
    /// returns it.
    @discardableResult
    static func sameForEveryJobCount(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> Run {
        let one = try run(arguments + ["--jobs", "1"])
        for n in ["2", "4"] {
            let other = try run(arguments + ["--jobs", n])
            #expect(other.status == one.status, "\(arguments) --jobs \(n): exit status", sourceLocation: sourceLocation)
            #expect(other.stderr == one.stderr, "\(arguments) --jobs \(n): stderr", sourceLocation: sourceLocation)
            #expect(
                other.stdout == one.stdout,
                "\(arguments) --jobs \(n): stdout differs (\(other.stdout.count) vs \(one.stdout.count) bytes)",
                sourceLocation: sourceLocation)
        }
        return one
    }

    /// Every dump format, the statistics, a filter, check (text and JSON), a binlog diffed against
    /// itself, and rewrite to a RESP stream.
    static func everyVerb(_ dir: String) throws {
        for format in ["text", "json", "resp", "hex"] {
            try sameForEveryJobCount(["dump", dir, "--format", format])
        }
        try sameForEveryJobCount(["dump", dir, "--stats"])
        try sameForEveryJobCount(["dump", dir, "--stats", "--format", "json"])
        try sameForEveryJobCount(["dump", dir, "--command", "set", "--key", "k*"])
        try sameForEveryJobCount(["check", dir])
        try sameForEveryJobCount(["check", dir, "--format", "json"])
        try sameForEveryJobCount(["diff", dir, dir])
        try sameForEveryJobCount(["rewrite", dir, "--format", "resp", "--out", "-"])
    }

    static let multiFileFixtures = [
        "basic/binlog/log_db0", "minsize/binlog/log_db0", "v4-basic/binlog/log_db0", "bgsave/binlog-lz4/log_db0",
        "concurrent/binlog-lz4/log_db0",
    ]

    @Test(arguments: multiFileFixtures)
    func realBinlogsPrintTheSameWithAnyJobCount(_ fixture: String) throws {
        let dir = CLI.fixture(fixture)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("write2file") }
        #expect(files.count >= 5, "\(dir): a multi-file fixture")
        try Self.everyVerb(dir)
        // The run really decoded something: items in order across every file.
        let stats = try Self.run(["dump", dir, "--stats", "--format", "json", "--jobs", "2"])
        let json = try #require(try JSONSerialization.jsonObject(with: stats.stdout) as? [String: Any])
        #expect((json["items"] as? Int ?? 0) > 0)
        #expect((json["files"] as? [Any])?.count == files.count)
    }

    @Test(arguments: ["minsize/binlog/log_db0", "bgsave/binlog/log_db0", "v4-bgsave/binlog/log_db0", "crash/binlog/log_db0"])
    func sharedRealBinlogsPrintTheSameWithAnyJobCount(_ fixture: String) throws {
        let dir = RealFixturePath.shared(fixture)
        #expect(FileManager.default.fileExists(atPath: dir), "\(dir) is missing (../shared/fixtures)")
        try Self.everyVerb(dir)
    }

    /// The last bytes of one file and the first bytes of the next overwritten with garbage: damage
    /// on both sides of the roll, reported once each, in order.
    @Test func damageAtAFileBoundary() throws {
        let dir = try CLI.copyOfFixture("basic/binlog/log_db0")
        let numbers = try fileNumbers(dir.path)
        let middle = numbers[numbers.count / 2]
        let before = dir.appendingPathComponent("write2file\(middle - 1)").path
        let after = dir.appendingPathComponent("write2file\(middle)").path
        let beforeSize = try size(before)
        try overwrite(before, at: beforeSize - 20, with: [UInt8](repeating: 0xA5, count: 20))
        try overwrite(after, at: 0, with: [UInt8](repeating: 0x5A, count: 40))
        let text = try Self.sameForEveryJobCount(["dump", dir.path])
        #expect(text.status == 1)
        let out = String(decoding: text.stdout, as: UTF8.self)
        #expect(out.contains("\(middle):0 DAMAGE"), "damage at the start of write2file\(middle)")
        #expect(out.contains("\(middle - 1):"), "items of write2file\(middle - 1) are printed")
        try Self.everyVerb(dir.path)
    }

    /// The newest file cut inside a record (a copy taken while Pika wrote it).
    @Test func tornLastFile() throws {
        let dir = try CLI.copyOfFixture("v4-basic/binlog/log_db0")
        let last = try #require(try fileNumbers(dir.path).last)
        let path = dir.appendingPathComponent("write2file\(last)").path
        // Cut 10 bytes into the last item of the file: find its start with --jobs 1.
        let json = try Self.run(["dump", dir.path, "--format", "json", "--jobs", "1"])
        let lastItem = try #require(
            String(decoding: json.stdout, as: UTF8.self).split(separator: "\n").last { $0.contains("\"filenum\":\(last),") })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lastItem.utf8)) as? [String: Any])
        let start = try #require(object["offset"] as? Int)
        #expect(truncate(path, off_t(start + 10)) == 0)
        let run = try Self.sameForEveryJobCount(["dump", dir.path])
        #expect(String(decoding: run.stdout, as: UTF8.self).contains("\(last):\(start) DAMAGE"))
        try Self.everyVerb(dir.path)
    }

    /// 40 files of 64 KiB to 2 MiB written by BinlogWriter, items spanning blocks and files
    /// rolling mid-run: more files than workers, so workers wait for the writer and each other.
    @Test func generatedManyFileBinlog() throws {
        let dir = try CLI.temporaryDirectory().appendingPathComponent("log_db0")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var writer = try BinlogWriter(output: try BinlogDirectoryOutput(directory: dir.path), binlogFileSize: 256 * 1024)
        var written = 0
        for i in 0..<6000 {
            let valueLength = i % 97 == 0 ? 150_000 : 20 + (i * 37) % 900
            let value = [UInt8](repeating: UInt8(ascii: "a") + UInt8(i % 26), count: valueLength)
            try writer.append(content: RESP.encode([Array("set".utf8), Array("k\(i % 500)".utf8), value]), execTime: 1_700_000_000 + UInt32(i))
            written += 1
        }
        try writer.finish()
        let files = try fileNumbers(dir.path)
        #expect(files.count >= 20, "the writer rolled into many files (\(files.count))")
        try Self.everyVerb(dir.path)
        let stats = try Self.run(["dump", dir.path, "--stats", "--format", "json", "--jobs", "4"])
        let json = try #require(try JSONSerialization.jsonObject(with: stats.stdout) as? [String: Any])
        #expect(json["items"] as? Int == written)
        #expect(json["last_logic_id"] as? Int == written)
        // A stop position inside the third file: later files contribute nothing.
        try Self.sameForEveryJobCount(["dump", dir.path, "--stop-position", "\(files[2]):70000"])
        try Self.sameForEveryJobCount(["dump", dir.path, "--stop-position", "\(files[2]):70000", "--stats"])
    }

    /// Files of 5 MiB: each is cut into segments of 2 MiB decoded at once. The item that spans the
    /// first file's first cut has a damaged First header, so the segment before that cut does not
    /// end cleanly there and is decoded to the end of its file instead; the output is still that
    /// of one thread.
    @Test func segmentsOfLargeFiles() throws {
        let dir = try CLI.temporaryDirectory().appendingPathComponent("log_db0")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var writer = try BinlogWriter(output: try BinlogDirectoryOutput(directory: dir.path), binlogFileSize: 5 << 20)
        var written = 0
        var bytes = 0
        while bytes < 12 << 20 {
            let i = written
            let valueLength = i % 97 == 0 ? 150_000 : 20 + (i * 37) % 900
            let value = [UInt8](repeating: UInt8(ascii: "a") + UInt8(i % 26), count: valueLength)
            try writer.append(content: RESP.encode([Array("set".utf8), Array("k\(i % 500)".utf8), value]), execTime: 1_700_000_000 + UInt32(i))
            written += 1
            bytes += valueLength
        }
        try writer.finish()
        let files = try fileNumbers(dir.path)
        #expect(files.count == 3)
        #expect(try size(dir.appendingPathComponent("write2file\(files[0])").path) > 5 << 20 - 65536)
        let arguments: [[String]] = [
            ["dump", dir.path], ["dump", dir.path, "--format", "json"], ["dump", dir.path, "--format", "hex"],
            ["dump", dir.path, "--stats", "--format", "json"], ["dump", dir.path, "--command", "set", "--key", "k1*"],
            // A stop position in the second segment of the first file: the later ones contribute nothing.
            ["dump", dir.path, "--stop-position", "\(files[0]):3000000"],
            ["dump", dir.path, "--stop-position", "\(files[0]):3000000", "--stats"],
        ]
        for a in arguments { try Self.sameForEveryJobCount(a) }
        let stats = try Self.run(["dump", dir.path, "--stats", "--format", "json", "--jobs", "2"])
        let json = try #require(try JSONSerialization.jsonObject(with: stats.stdout) as? [String: Any])
        #expect(json["items"] as? Int == written)

        // The item across 2 MiB in the first file: its First header gets an impossible type.
        let items = try Self.run(["dump", dir.path, "--format", "json", "--jobs", "1"]).stdout
        let spanning = try #require(
            String(decoding: items, as: UTF8.self).split(separator: "\n").compactMap { line -> (Int, Int)? in
                guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    o["filenum"] as? Int == Int(files[0]), let start = o["offset"] as? Int,
                    let end = o["end"] as? Int
                else { return nil }
                return start < 2 << 20 && end > 2 << 20 ? (start, end) : nil
            }.first)
        try overwrite(dir.appendingPathComponent("write2file\(files[0])").path, at: spanning.0 + 7, with: [9])
        for a in arguments { try Self.sameForEveryJobCount(a) }
        let damaged = try Self.run(["dump", dir.path, "--jobs", "2"])
        #expect(damaged.status == 1)
        #expect(String(decoding: damaged.stdout, as: UTF8.self).contains("\(files[0]):\(spanning.0) DAMAGE"))
    }

    @Test func jobsMustBePositive() throws {
        let run = try Self.run(["dump", CLI.fixture("basic/binlog/log_db0"), "--jobs", "0"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("--jobs must be at least 1"))
    }

    func fileNumbers(_ dir: String) throws -> [UInt32] {
        try FileManager.default.contentsOfDirectory(atPath: dir)
            .compactMap { $0.hasPrefix("write2file") ? UInt32($0.dropFirst("write2file".count)) : nil }.sorted()
    }

    func size(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
    }

    func overwrite(_ path: String, at offset: Int, with bytes: [UInt8]) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: Data(bytes))
        try handle.close()
    }
}

/// The copies of the real fixtures kept beside the repository (../shared/fixtures/pika-real).
enum RealFixturePath {
    static func shared(_ relative: String) -> String {
        CLI.repoRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures/pika-real/" + relative).path
    }
}
