import Foundation
import Testing

/// `binlogtool dump` run as a process on the real Pika fixtures.
@Suite struct DumpCommandTests {
    let basic = CLI.fixture("basic/binlog")

    @Test func textListsEveryItemWithPositionsAndCommand() throws {
        let r = try CLI.run(["dump", basic, "--db", "db0"])
        #expect(r.status == 0)
        #expect(r.lines.count == 388)
        #expect(r.lines.first == "0:0-77 id=1 term=0 2026-11-20T23:40:21Z at=0:0 SET str:a hello")
        // The first item of write2file1 stores the end of write2file0 (the roll rule).
        #expect(r.lines.contains { $0.hasPrefix("1:0-") && $0.contains(" id=70 ") && $0.contains(" at=0:285634 ") })
        // Binary-safe quoting of the value with NUL/CR/LF/0xff.
        #expect(r.lines[19] == #"0:1541-1622 id=20 term=0 2026-11-20T23:40:21Z at=0:1541 SET bin "\x00\x01\r\n\xff\x80*\x00\r\n""#)
    }

    @Test func jsonLinesFollowTheSchema() throws {
        let r = try CLI.run(["dump", basic, "--format", "json"])
        #expect(r.status == 0)
        let objects = try r.lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(objects.count == 388)
        let first = objects[69]
        #expect(first["kind"] as? String == "item")
        #expect(first["file"] as? String == "write2file1")
        #expect(first["filenum"] as? Int == 1)
        #expect(first["offset"] as? Int == 0)
        #expect(first["header_filenum"] as? Int == 0)
        #expect(first["header_offset"] as? Int == 285634)
        #expect(first["logic_id"] as? Int == 70)
        #expect(first["term"] as? Int == 0)
        let binary = objects[19]["argv"] as! [Any]
        #expect((binary[2] as? [String: String])?["base64"] == "AAENCv+AKgANCg==")
        #expect(objects.last?["end"] as? Int == 70544)
    }

    @Test func filtersCombine() throws {
        let incr = try CLI.run(["dump", basic, "--command", "INCR", "--command", "decrby"])
        #expect(incr.lines.map { $0.split(separator: " ")[1] } == ["id=7", "id=8", "id=11", "id=382"])
        let ids = try CLI.run(["dump", basic, "--from-logic-id", "13", "--to-logic-id", "14", "--format", "json"])
        #expect(ids.lines.count == 2)
        #expect(ids.stdout.contains(#""argv":["APPEND","str:a"," world"]"#))
        let keys = try CLI.run(["dump", basic, "--key", "after-restart:*"])
        #expect(keys.lines.map { $0.split(separator: " ")[1] } == ["id=381", "id=388"])
        let window = try CLI.run(["dump", basic, "--start-position", "6:69897", "--key", "after-restart:[0-9]"])
        #expect(window.lines.map { $0.split(separator: " ")[1] } == ["id=381"])
        let time = try CLI.run(["dump", basic, "--start-time", "2026-11-20T23:40:40Z"])
        #expect(time.lines.count == 8)
        let none = try CLI.run(["dump", basic, "--stop-time", "1795218021"])
        #expect(none.status == 0 && none.lines.isEmpty)
    }

    @Test func respIsReplayableAndTranslatesPikaForms() throws {
        // Pika's forms by default: the stream is for a Pika.
        let pika = try CLI.run(["dump", basic, "--format", "resp", "--from-logic-id", "3", "--to-logic-id", "3"])
        #expect(pika.stdout == "*4\r\n$9\r\npksetexat\r\n$7\r\nstr:ttl\r\n$10\r\n1795221621\r\n$8\r\nwith-ttl\r\n")
        let redis = try CLI.run(["dump", basic, "--format", "resp", "--dialect", "redis", "--from-logic-id", "3", "--to-logic-id", "3"])
        #expect(redis.stdout == "*5\r\n$3\r\nset\r\n$7\r\nstr:ttl\r\n$8\r\nwith-ttl\r\n$4\r\nEXAT\r\n$10\r\n1795221621\r\n")
        // v4.0.1 INCR is logged as `pksetexat cnt 0 1`: no TTL, so a plain SET for Redis.
        let v4 = try CLI.run([
            "dump", CLI.fixture("v4-basic/binlog"), "--format", "resp", "--dialect", "redis", "--from-logic-id", "7", "--to-logic-id", "7",
        ])
        #expect(v4.stdout == "*3\r\n$3\r\nset\r\n$3\r\ncnt\r\n$1\r\n1\r\n")
    }

    @Test func startPositionMustBeARecordBoundary() throws {
        let r = try CLI.run(["dump", basic, "--start-position", "0:100"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("0:100 is not a record boundary"))
        #expect(r.stderr.contains("0:77..0:190"))
        // A resume point at the end of a rolled file is accepted: the next item is in the next file.
        let resume = try CLI.run(["dump", basic, "--start-position", "0:285634", "--format", "json"])
        #expect(resume.status == 0)
        #expect(resume.lines.first?.contains(#""logic_id":70"#) == true)
    }

    /// A filter selects items; it does not change what the manifest is measured against: the
    /// manifest describes the whole binlog, so filtered stats do not compare it (issue 12.8).
    @Test func filteredStatsDoNotJudgeTheManifest() throws {
        for filter in [["--command", "incr"], ["--to-logic-id", "10"], ["--stop-position", "3:0"]] {
            let r = try CLI.run(["dump", basic, "--stats"] + filter)
            #expect(r.status == 0, "\(filter)")
            #expect(
                r.lines.contains(
                    "manifest         6:70544 logic_id 388 term 0: not compared (a filter selects the items; check compares the whole binlog)"),
                "\(filter): \(r.stdout)")
            #expect(!r.stdout.contains("leading") && !r.stdout.contains("lagging"))
            let json = try CLI.run(["dump", basic, "--stats", "--format", "json"] + filter)
            let m = try #require((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["manifest"] as? [String: Any])
            #expect(m["agreement"] as? String == "not-compared")
        }
    }

    /// Every range whose start is not before its end is refused alike (issue 12.8).
    @Test func invertedRangesAreRefusedAlike() throws {
        let cases: [([String], String)] = [
            (["--from-logic-id", "20", "--to-logic-id", "10"], "--from-logic-id 20 is above --to-logic-id 10"),
            (["--start-position", "5:0", "--stop-position", "3:0"], "--start-position 5:0 is not before --stop-position 3:0"),
            (["--start-time", "1795218100", "--stop-time", "1795218021"], "--start-time 1795218100 is not before --stop-time 1795218021"),
            (["--start-time", "2026-11-20T23:41:00Z", "--stop-time", "2026-11-20T23:40:00Z"], "is not before --stop-time"),
        ]
        for (arguments, message) in cases {
            let r = try CLI.run(["dump", basic] + arguments)
            #expect(r.status == 64, "\(arguments)")
            #expect(r.stderr.contains(message) && r.stderr.contains("the range selects nothing"), "\(arguments): \(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
    }

    @Test func statsCountsAndChecksTheManifest() throws {
        let r = try CLI.run(["dump", basic, "--stats", "--format", "json"])
        #expect(r.status == 0)
        let s = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(s["items"] as? Int == 388)
        #expect(s["first_logic_id"] as? Int == 1)
        #expect(s["last_logic_id"] as? Int == 388)
        #expect((s["commands"] as? [String: Int])?["set"] == 170)
        #expect((s["files"] as? [Any])?.count == 7)
        let m = s["manifest"] as! [String: Any]
        #expect(m["agreement"] as? String == "consistent")
        #expect(m["offset"] as? Int == 70544)
        // The crash case's 4 MiB live file is read from shared/ (not committed).
        let crashDir = CLI.repoRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures/pika-real/crash/binlog/log_db0").path
        let crash = try CLI.run(["dump", crashDir, "--stats", "--format", "json"])
        let c = try JSONSerialization.jsonObject(with: Data(crash.stdout.utf8)) as! [String: Any]
        #expect(c["items"] as? Int == 203)
        let padding = c["padding"] as! [[String: Any]]
        #expect(padding.count == 1)
        #expect(padding[0]["origin"] as? String == "zero-tail")
        #expect(padding[0]["offset"] as? Int == 615216)
    }

    @Test func damageIsReportedSkippedAndExitsOne() throws {
        let dir = try CLI.copyOfFixture("basic/binlog/log_db0")
        // Item 2 is the Full record at 0:77; give it an impossible type byte.
        let path = dir.appendingPathComponent("write2file0").path
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[77 + 7] = 9
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let r = try CLI.run(["dump", dir.path, "--format", "json"])
        #expect(r.status == 1)
        let damage = r.lines.filter { $0.contains(#""kind":"damage""#) }
        #expect(damage.count == 1)
        #expect(damage.first?.contains(#""offset":77,"end":190,"length":113"#) == true)
        // Everything else is still there: 387 items.
        #expect(r.lines.filter { $0.contains(#""kind":"item""#) }.count == 387)
        #expect(r.stderr.contains("1 damaged range"))
    }

    @Test func operatorMistakesGetClearErrorsAndCodes() throws {
        let missing = try CLI.run(["dump", "/nonexistent/binlog/dir/write2file0"])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("/nonexistent/binlog/dir/write2file0: no such file or directory"))
        let notAName = try CLI.run(["dump", CLI.fixture("basic/NOTES.md")])
        #expect(notAName.status == 65)
        #expect(notAName.stderr.contains("not a binlog file name"))
        let empty = try CLI.temporaryDirectory()
        let notBinlog = try CLI.run(["dump", empty.path])
        #expect(notBinlog.status == 65)
        #expect(notBinlog.stderr.contains("no binlog files (write2file<N>)"))
        let ambiguous = try CLI.run(["dump", CLI.fixture(""), "--db", "db9"])
        #expect(ambiguous.status == 64)
        let usage = try CLI.run(["dump", basic, "--start-position", "seven"])
        #expect(usage.status == 64)
        let noArgs = try CLI.run(["dump"])
        #expect(noArgs.status == 64)
    }
}

/// Compressed archives read like the plain files.
@Suite struct DumpCompressedTests {
    @Test func lz4FilesDecodeLikePlainFiles() throws {
        let dir = try CLI.copyOfFixture("minsize/binlog/log_db0")
        let plain = try CLI.run(["dump", dir.path, "--format", "json"])
        // Compress every file with the lz4 tool (frame format) and remove the originals.
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name.hasPrefix("write2file") {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/lz4")
            p.arguments = ["-q", "--rm", dir.appendingPathComponent(name).path, dir.appendingPathComponent(name + ".lz4").path]
            try p.run()
            p.waitUntilExit()
            try #require(p.terminationStatus == 0)
        }
        let compressed = try CLI.run(["dump", dir.path, "--format", "json"])
        #expect(compressed.status == 0)
        #expect(compressed.lines.count == 97)
        #expect(compressed.stdout == plain.stdout)
    }
}
