import BinlogFormat
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `binlogtool rewrite` end to end: the built binary on the real fixtures and on generated input,
/// its exit codes, what it prints, what it writes and what it leaves alone.
@Suite struct RewriteCommandTests {
    static let basic = CLI.fixture("basic/binlog/log_db0")

    /// FNV-1a of every file under `path` (names and bytes).
    static func hashes(_ path: String) throws -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        let manager = FileManager.default
        for relative in manager.enumerator(atPath: path)?.allObjects as? [String] ?? [] {
            var isDir: ObjCBool = false
            let full = path + "/" + relative
            guard manager.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue else { continue }
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in try Data(contentsOf: URL(fileURLWithPath: full)) {
                h ^= UInt64(b)
                h &*= 0x100_0000_01B3
            }
            out[relative] = h
        }
        return out
    }

    static func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    @Test func basicRewriteThenCheckAndDump() throws {
        let tmp = try CLI.temporaryDirectory()
        let out = tmp.appendingPathComponent("fixed").path
        let report = tmp.appendingPathComponent("report.jsonl").path
        let before = try Self.hashes(Self.basic)
        let r = try CLI.run(["rewrite", Self.basic, "--out", out, "--report", report])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("resume offset: 0:0 (the start of history"))
        #expect(r.stdout.contains("wrote \(out) (binlog)"))
        #expect(try Self.hashes(Self.basic) == before)

        // check finds nothing; dump shows the absolute forms.
        let check = try CLI.run(["check", out])
        #expect(check.status == 0, "\(check.stdout)")
        let dump = try CLI.run(["dump", out, "--format", "json"])
        #expect(dump.status == 0)
        let argvs = try Self.jsonLines(dump.stdout).compactMap { $0["argv"] as? [Any] }.map { $0.compactMap { $0 as? String } }
        #expect(argvs.contains(["set", "cnt", "1"]))
        #expect(argvs.contains(["hset", "h", "n", "15"]))
        #expect(argvs.contains(["zadd", "z", "3.5", "one"]))
        #expect(!argvs.contains { ["INCR", "INCRBY", "HINCRBY", "ZINCRBY", "LPOP", "RPOP"].contains($0.first ?? "") })

        // The report: one line per change, the summary last.
        let lines = try Self.jsonLines(try String(contentsOfFile: report, encoding: .utf8))
        let summary = try #require(lines.last)
        #expect(summary["kind"] as? String == "summary")
        #expect(summary["resume_point"] as? String == "0:0")
        #expect(summary["written"] as? Bool == true)
        let replaced = lines.filter { $0["kind"] as? String == "replaced" }
        #expect(replaced.count == summary["replaced"] as? Int)
        let incr = try #require(replaced.first { ($0["argv"] as? [String]) == ["INCR", "cnt"] })
        let item = try #require(incr["item"] as? [String: Any])
        #expect(item["offset"] as? Int == 565 && item["logic_id"] as? Int == 7)
        let written = try #require((incr["written"] as? [[String: Any]])?.first)
        #expect(written["argv"] as? [String] == ["set", "cnt", "1"])
        #expect(written["logic_id"] as? Int == 6 && written["stored"] as? String == "0:473")

        // Again on its own output: byte for byte the same.
        let again = tmp.appendingPathComponent("again").path
        #expect(try CLI.run(["rewrite", out, "--out", again]).status == 0)
        #expect(try Self.hashes(again) == Self.hashes(out))
    }

    /// The concurrent-workload master repeats 42 short runs of commands under fresh ids: rewrite
    /// keeps every one (each counter ends at its number of INCRs), suggests no flag that drops
    /// writes, and refuses `--drop-content-duplicates`, which used to drop them (issue 12.6).
    @Test func contentRepeatsAreKeptAndTheDroppingFlagIsRefused() throws {
        let input = CLI.fixture("concurrent/binlog-lz4/log_db0")
        let tmp = try CLI.temporaryDirectory()
        let out = tmp.appendingPathComponent("fixed").path
        let r = try CLI.run(["rewrite", input, "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("items: 60012 read, 0 written as logged, 60012 replaced, 0 dropped"))
        #expect(!(r.stdout + r.stderr).contains("--drop"))

        var increments: [String: Int] = [:]
        for line in try CLI.run(["dump", input, "--format", "json", "--command", "incr"]).lines {
            let argv = try #require((try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["argv"] as? [String])
            increments[argv[1], default: 0] += 1
        }
        #expect(increments.count == 48 && increments.values.reduce(0, +) == 20004)
        var finalValues: [String: Int] = [:]
        for line in try CLI.run(["dump", out, "--format", "json", "--key", "c:*"]).lines {
            let argv = try #require((try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["argv"] as? [String])
            if argv.count == 3, argv[0] == "set" { finalValues[argv[1]] = Int(argv[2]) }
        }
        #expect(finalValues == increments)

        let refused = try CLI.run(["rewrite", input, "--out", tmp.appendingPathComponent("dropped").path, "--drop-content-duplicates"])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("--drop-content-duplicates is refused: a repeat of commands alone does not prove"))
        #expect(!FileManager.default.fileExists(atPath: tmp.appendingPathComponent("dropped").path))
        #expect(!(try CLI.run(["rewrite", "--help"])).stdout.contains("drop-content"))
    }

    @Test func existingOutputIsRefusedUnlessForced() throws {
        let tmp = try CLI.temporaryDirectory()
        let out = tmp.appendingPathComponent("fixed").path
        #expect(try CLI.run(["rewrite", Self.basic, "--out", out]).status == 0)
        let first = try Self.hashes(out)
        // Refused: exit 64, nothing touched.
        let refused = try CLI.run(["rewrite", CLI.fixture("v4-basic/binlog/log_db0"), "--out", out])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("already exists"))
        #expect(try Self.hashes(out) == first)
        // --force: replaced by the new output.
        let forced = try CLI.run(["rewrite", CLI.fixture("v4-basic/binlog/log_db0"), "--out", out, "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try Self.hashes(out) != first)
        #expect(try CLI.run(["check", out]).status == 0)
        // No staging left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).sorted() == ["fixed"])
        // --force never replaces a directory that is not a binlog output.
        let other = tmp.appendingPathComponent("other").path
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: other + "/notes.txt", contents: Data("keep".utf8))
        let foreign = try CLI.run(["rewrite", Self.basic, "--out", other, "--force"])
        #expect(foreign.status == 64)
        #expect(FileManager.default.fileExists(atPath: other + "/notes.txt"))
    }

    @Test func outputOverlappingTheInputIsRefused() throws {
        let copy = try CLI.copyOfFixture("basic/binlog/log_db0")
        let before = try Self.hashes(copy.path)
        for out in [copy.path, copy.appendingPathComponent("sub").path, copy.deletingLastPathComponent().path] {
            let r = try CLI.run(["rewrite", copy.path, "--out", out, "--force"])
            #expect(r.status == 64, "\(out): \(r.stderr)")
            #expect(r.stderr.contains("overlaps the input"))
        }
        #expect(try Self.hashes(copy.path) == before)
    }

    /// A replica's binlog: keys unknown. Without --strict the output is written and the flagged
    /// items reported (exit 1); with --strict nothing is written (exit 1).
    @Test func strictRefusesFlaggedItems() throws {
        let tmp = try CLI.temporaryDirectory()
        let slave = CLI.fixture("slave/slave/binlog/log_db0")
        let out = tmp.appendingPathComponent("out").path
        let report = tmp.appendingPathComponent("r.jsonl").path
        let strict = try CLI.run(["rewrite", slave, "--out", out, "--strict", "--report", report])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("--strict: 34 item(s) are not replay-safe"))
        #expect(strict.stdout.contains("refused (--strict): nothing written"))
        #expect(!FileManager.default.fileExists(atPath: out))
        let lines = try Self.jsonLines(try String(contentsOfFile: report, encoding: .utf8))
        #expect(lines.filter { $0["kind"] as? String == "flagged" }.count == 34)
        #expect(lines.last?["written"] as? Bool == false)

        let lenient = try CLI.run(["rewrite", slave, "--out", out])
        #expect(lenient.status == 1)
        #expect(lenient.stdout.contains("34 flagged"))
        #expect(try CLI.run(["check", out]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).sorted() == ["out", "r.jsonl"])
    }

    @Test func dryRunWritesOnlyTheReport() throws {
        let tmp = try CLI.temporaryDirectory()
        let out = tmp.appendingPathComponent("out").path
        let r = try CLI.run(["rewrite", Self.basic, "--out", out, "--dry-run"])
        #expect(r.status == 0)
        #expect(!FileManager.default.fileExists(atPath: out))
        let lines = try Self.jsonLines(r.stdout)
        #expect(lines.last?["kind"] as? String == "summary")
        #expect(lines.last?["dry_run"] as? Bool == true)
        #expect(lines.last?["written"] as? Bool == false)
        #expect(lines.contains { $0["kind"] as? String == "replaced" })
        #expect(r.stderr.contains("resume offset: 0:0"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path) == [])
    }

    @Test func respToStdout() throws {
        let r = try CLI.run(["rewrite", Self.basic, "--format", "resp", "--dialect", "redis", "--out", "-"])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("*3\r\n$3\r\nSET\r\n"))
        #expect(!r.stdout.lowercased().contains("pksetexat"))
        #expect(r.stdout.contains("EXAT"))
        #expect(r.stderr.contains("resume offset: 0:0"))
        // Pika's forms by default: the stream is for a Pika (3.5 rejects SET … EXAT).
        let pika = try CLI.run(["rewrite", Self.basic, "--format", "resp", "--out", "-"])
        #expect(pika.status == 0)
        #expect(pika.stdout.contains("$9\r\npksetexat\r\n$7\r\nstr:ttl\r\n$10\r\n1795221621\r\n"))
        #expect(!pika.stdout.contains("EXAT"))
    }

    @Test func respToAFile() throws {
        let tmp = try CLI.temporaryDirectory()
        let out = tmp.appendingPathComponent("stream.resp").path
        let r = try CLI.run(["rewrite", Self.basic, "--format", "resp", "--out", out])
        #expect(r.status == 0)
        let text = try String(contentsOfFile: out, encoding: .isoLatin1)
        #expect(text.hasPrefix("*3\r\n$3\r\nSET\r\n"))
        #expect(try CLI.run(["rewrite", Self.basic, "--format", "resp", "--out", out]).status == 64)
    }

    @Test func commandLineErrors() throws {
        let tmp = try CLI.temporaryDirectory()
        let out = tmp.appendingPathComponent("o").path
        // Inside an item: not a resume point.
        let mid = try CLI.run(["rewrite", Self.basic, "--from", "0:10", "--out", out])
        #expect(mid.status == 64)
        #expect(mid.stderr.contains("is not a resume point"))
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(try CLI.run(["rewrite", Self.basic, "--from", "x", "--out", out]).status == 64)
        #expect(try CLI.run(["rewrite", Self.basic]).status == 64)  // no --out
        #expect(try CLI.run(["rewrite", Self.basic, "--out", "-"]).status == 64)  // stdout is for resp
        #expect(try CLI.run(["rewrite", "/nonexistent/log", "--out", out]).status == 66)
        #expect(try CLI.run(["rewrite", Self.basic, "--out", "/nonexistent/dir/out"]).status == 64)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path) == [])
    }

    // MARK: --replica

    static let slaveMaster = CLI.fixture("slave/master/binlog/log_db0")

    /// The replica's pksetexat of inc:str:ttl (logic id 203) edited in place to expire 3 s later:
    /// the master's binlog is rewritten from that item, which comes first with the master's time.
    @Test func replicaWithTTLDriftGetsTheMastersLogFromTheDrift() throws {
        let replica = try CLI.copyOfFixture("slave/slave/binlog/log_db0")
        let file = replica.appendingPathComponent("write2file7")
        var bytes = Array(try Data(contentsOf: file))
        let old = Array("inc:str:ttl\r\n$10\r\n1795222461".utf8)
        let at = try #require((0...(bytes.count - old.count)).first { Array(bytes[$0..<($0 + old.count)]) == old })
        bytes[at + old.count - 1] = UInt8(ascii: "4")
        try Data(bytes).write(to: file)

        let out = replica.deletingLastPathComponent().appendingPathComponent("fix.resp").path
        let r = try CLI.run([
            "rewrite", Self.slaveMaster, "--replica", replica.path, "--format", "resp", "--dialect", "redis", "--out", out,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            r.stdout.contains(
                "resume offset: 7:1558 (where the replica first departs from the master, at 7:1558 id=203; diff: 1 TTL drift)"))
        #expect(r.stdout.contains("items: 98 read"))
        let text = try String(contentsOfFile: out, encoding: .isoLatin1)
        #expect(text.hasPrefix("*5\r\n$3\r\nset\r\n$11\r\ninc:str:ttl\r\n$8\r\nwith-ttl\r\n$4\r\nEXAT\r\n$10\r\n1795222461\r\n"))
    }

    /// A replica that never got write2file11: the master's log from its first unapplied item
    /// (logic id 272, stored 10:66086), as a binlog.
    @Test func replicaThatStoppedGetsTheRest() throws {
        let replica = try CLI.copyOfFixture("slave/slave/binlog/log_db0")
        try FileManager.default.removeItem(at: replica.appendingPathComponent("write2file11"))
        let out = replica.deletingLastPathComponent().appendingPathComponent("fixed").path
        let r = try CLI.run(["rewrite", Self.slaveMaster, "--replica", replica.path, "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("resume offset: 10:66086 (where the replica first departs from the master, at 11:0 id=272; diff: 29 never applied)"))
        let dump = try CLI.run(["dump", out, "--format", "json"])
        let ids = try Self.jsonLines(dump.stdout).compactMap { $0["logic_id"] as? Int }
        // 29 items read; replacements of several commands (del + contents) get logic ids of their own.
        #expect(r.stdout.contains("items: 29 read"))
        #expect(ids.count >= 29 && ids == Array(272..<(272 + ids.count)))
        #expect(r.stdout.contains("output: \(ids.count) commands"))
        #expect(try CLI.run(["check", out]).status == 0)
    }

    @Test func replicaInStepHasNothingToRewrite() throws {
        let tmp = try CLI.temporaryDirectory()
        let out = tmp.appendingPathComponent("o").path
        let r = try CLI.run([
            "rewrite", Self.slaveMaster, "--replica", CLI.fixture("slave/slave/binlog/log_db0"), "--out", out,
        ])
        #expect(r.status == 0)
        #expect(r.stderr.contains("the replica has every master item from its start, in order"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path) == [])
        let both = try CLI.run([
            "rewrite", Self.slaveMaster, "--replica", CLI.fixture("slave/slave/binlog/log_db0"), "--from", "7:1558",
            "--out", out,
        ])
        #expect(both.status == 64)
        let missing = try CLI.run(["rewrite", Self.slaveMaster, "--replica", tmp.appendingPathComponent("none").path, "--out", out])
        #expect(missing.status == 66, "\(missing.stderr)")
        // The output may not go into the replica's directory either.
        let replica = try CLI.copyOfFixture("slave/slave/binlog/log_db0")
        let inside = try CLI.run([
            "rewrite", Self.slaveMaster, "--replica", replica.path, "--out", replica.appendingPathComponent("fixed").path,
        ])
        #expect(inside.status == 64, "\(inside.stderr)")
        #expect(!FileManager.default.fileExists(atPath: replica.appendingPathComponent("fixed").path))
        let unrelated = try CLI.run(["rewrite", Self.slaveMaster, "--replica", CLI.fixture("v4-basic/binlog/log_db0"), "--out", out])
        #expect(unrelated.status == 65, "\(unrelated.stdout) \(unrelated.stderr)")
        #expect(unrelated.stderr.contains("no item in common with the master's binlog"))
    }

    @Test func fromAnItemEnd() throws {
        let tmp = try CLI.temporaryDirectory()
        let out = tmp.appendingPathComponent("o").path
        let r = try CLI.run(["rewrite", Self.basic, "--from", "6:69897", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("resume offset: 6:69897 (--from)"))
        let dump = try CLI.run(["dump", out])
        #expect(dump.lines.first?.hasPrefix("6:0 padding bad-record") == true)
        #expect(dump.lines.contains { $0.contains("id=382") && $0.hasSuffix("set cnt 37") })
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: CLI.fixture("bgsave/binlog/log_db0") + "/write2file8")))
    func snapshotStartsAtTheCorrectedResumePoint() throws {
        let tmp = try CLI.temporaryDirectory()
        let out = tmp.appendingPathComponent("o").path
        let report = tmp.appendingPathComponent("r.jsonl").path
        let binlog = CLI.fixture("bgsave/binlog/log_db0")
        let dump = CLI.fixture("bgsave/dump/20261120/db0")
        let before = (try Self.hashes(binlog), try Self.hashes(dump))
        let r = try CLI.run(["rewrite", binlog, "--snapshot", dump, "--out", out, "--report", report])
        if r.status == 69 { return }  // built without RocksDB
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("resume offset: 8:129 (the snapshot's corrected resume point; its info says 7:262165)"))
        #expect(r.stdout.contains("1 already applied before the start"))
        let lines = try Self.jsonLines(try String(contentsOfFile: report, encoding: .utf8))
        let applied = lines.filter { $0["kind"] as? String == "applied" }
        #expect(applied.count == 1)
        #expect((applied.first?["item"] as? [String: Any])?["logic_id"] as? Int == 11964)
        #expect(try CLI.run(["check", out]).status == 0)
        #expect((try Self.hashes(binlog), try Self.hashes(dump)) == before)
    }
}
