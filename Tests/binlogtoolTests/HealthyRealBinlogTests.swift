import Foundation
import Testing

/// `check` as a cron job runs it (`check || alert`): every healthy binlog a real Pika wrote exits 0
/// with no warning and no error (issue 12, point 1).
@Suite struct HealthyRealBinlogTests {
    /// Every binlog directory under `../shared/fixtures/pika-real`, found on disk (not listed by
    /// hand), plus the committed concurrent-workload master. A missing shared set fails loudly.
    static func healthyBinlogs() throws -> [String] {
        let root = CheckCommandTests.shared("")
        let walker = try #require(FileManager.default.enumerator(atPath: root), "no shared fixtures at \(root)")
        var found: [String] = []
        for case let path as String in walker where path.hasSuffix("log_db0") {
            found.append(root + "/" + path)
        }
        return found.sorted() + [CLI.fixture("concurrent/binlog-lz4/log_db0")]
    }

    @Test func everyRealBinlogChecksCleanWithExitZero() throws {
        let binlogs = try Self.healthyBinlogs()
        // basic, minsize, bgsave, crash, the two sides of slave, and the same for v4: 10 shared.
        #expect(binlogs.count == 11)
        for binlog in binlogs {
            let r = try CLI.run(["check", binlog, "--format", "json"])
            #expect(r.status == 0, "\(binlog): \(r.stdout)")
            let severities = r.lines.compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
            }.compactMap { $0["severity"] as? String }
            #expect(!severities.contains("warning") && !severities.contains("error"), "\(binlog)")
            #expect(r.lines.last?.contains("\"status\":\"clean\"") == true, "\(binlog)")
        }
    }

    /// A master under `incr`/`rpush`/`hincrby` from 72 concurrent clients on 48 keys each: runs of
    /// three commands recur 42 times under fresh logic ids and an intact position chain. That is
    /// the workload (a master gives every item its own header), reported as info only.
    @Test func concurrentCounterWorkloadRepeatsAreInfo() throws {
        let r = try CLI.run(["check", CLI.fixture("concurrent/binlog-lz4/log_db0")])
        #expect(r.status == 0)
        #expect(r.lines.contains("check: 60012 items in 5 files, 0:0 id=1 .. 4:926939 id=60012 (ends at 4:927024); 0 flushes"))
        #expect(r.lines.last == "result: 0 errors, 0 warnings, 42 infos (clean)")
        let repeats = r.lines.filter { $0.hasPrefix("info     duplicate-range") }
        #expect(repeats.count == 42)
        #expect(repeats.first?.contains("0:29934 id=369") == true)
        #expect(repeats.first?.contains("repeat the commands of the 3 items at 0:21474 id=279 .. 0:21662 id=281 with their own logic ids and positions: the workload repeating itself") == true)
    }
}

/// Output names facts, not the documents behind them (issue 12.10): no `spec §`, no `pitfall N`.
@Suite struct NoInternalReferencesTests {
    static func manifest(_ file: UInt32, _ offset: UInt64, _ logicID: UInt64) -> Data {
        var bytes = [UInt8](repeating: 0, count: 65536)
        withUnsafeBytes(of: file.littleEndian) { bytes.replaceSubrange(0..<4, with: $0) }
        withUnsafeBytes(of: offset.littleEndian) { bytes.replaceSubrange(4..<12, with: $0) }
        withUnsafeBytes(of: logicID.littleEndian) { bytes.replaceSubrange(12..<20, with: $0) }
        return Data(bytes)
    }

    @Test func findingsAndHelpNameNoDocument() throws {
        var outputs: [(String, CLIResult)] = []
        // Flushes (a master with FLUSHDB/FLUSHALL).
        outputs.append(("flush", try CLI.run(["check", CLI.fixture("slave/master/binlog")])))
        // A manifest naming the next, empty file after a roll.
        let next = try CLI.copyOfFixture("basic/binlog/log_db0")
        FileManager.default.createFile(atPath: next.appendingPathComponent("write2file7").path, contents: Data())
        try Self.manifest(7, 0, 388).write(to: next.appendingPathComponent("manifest"))
        outputs.append(("next-file", try CLI.run(["check", next.path])))
        // A stale file from another history above the manifest's file, beginning below its ids.
        let stale = try CLI.copyOfFixture("basic/binlog/log_db0")
        try FileManager.default.copyItem(
            at: stale.appendingPathComponent("write2file2"), to: stale.appendingPathComponent("write2file7"))
        outputs.append(("stale", try CLI.run(["check", stale.path])))
        // A manifest past the last item with no torn item.
        let leads = try CLI.copyOfFixture("basic/binlog/log_db0")
        try Self.manifest(6, 80000, 388).write(to: leads.appendingPathComponent("manifest"))
        outputs.append(("leads", try CLI.run(["check", leads.path])))
        outputs.append(("rewrite help", try CLI.run(["rewrite", "--help"])))
        outputs.append(("check help", try CLI.run(["check", "--help"])))

        #expect(outputs[0].1.stdout.contains("flush #1"))
        #expect(outputs[1].1.stdout.contains("manifest-next-file"))
        #expect(outputs[2].1.stdout.contains("file-above-manifest"))
        #expect(outputs[3].1.stdout.contains("manifest-leads"))
        for (name, r) in outputs {
            let text = r.stdout + r.stderr
            #expect(!text.contains("§") && !text.contains("pitfall") && !text.contains("spec "), "\(name): \(text)")
        }
    }
}
