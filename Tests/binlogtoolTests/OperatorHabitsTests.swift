import Foundation
import Testing

/// The command-line habits operators bring from pg_waldump, mysqlbinlog and redis-check-aof
/// (issue 14, point 5), on the real Pika 3.5.0 fixtures.
@Suite struct OperatorHabitsTests {
    let basic = CLI.fixture("basic/binlog")

    @Test func limitStopsAfterNSelectedItems() throws {
        let first = try CLI.run(["dump", basic, "--limit", "3"])
        #expect(first.status == 0)
        #expect(first.lines.map { $0.split(separator: " ")[1] } == ["id=1", "id=2", "id=3"])
        // The limit counts the items the filters select.
        let incr = try CLI.run(["dump", basic, "--command", "incr", "--command", "decrby", "--limit", "2", "--format", "json"])
        #expect(incr.lines.count == 2)
        #expect(incr.lines[1].contains(#""logic_id":8,"#))
        let zero = try CLI.run(["dump", basic, "--limit", "0"])
        #expect(zero.status == 64)
        #expect(zero.stderr.contains("--limit must be at least 1"))
    }

    @Test func longValuesAreCutInTextWithTheirFullLength() throws {
        // Logic id 69 sets a 210 000-byte value; its line was 210 073 bytes long.
        let cut = try CLI.run(["dump", basic, "--from-logic-id", "69", "--to-logic-id", "69"])
        #expect(cut.status == 0)
        let line = try #require(cut.lines.first)
        #expect(line.hasPrefix(#"0:75530-285634 id=69 term=0 2026-11-20T23:40:21Z at=0:75530 SET big:210k "r2dxpuoBF1JevVWx"#))
        #expect(line.hasSuffix(#""...[210000 bytes]"#))
        // The default width: 256 bytes of the value between the quotes.
        let quoted = line.split(separator: "\"")[1]
        #expect(quoted.utf8.count == 256)
        let ten = try CLI.run(["dump", basic, "--from-logic-id", "69", "--to-logic-id", "69", "--max-value-bytes", "10"])
        #expect(ten.lines == [#"0:75530-285634 id=69 term=0 2026-11-20T23:40:21Z at=0:75530 SET big:210k "r2dxpuoBF1"...[210000 bytes]"#])
        let all = try CLI.run(["dump", basic, "--from-logic-id", "69", "--to-logic-id", "69", "--max-value-bytes", "0"])
        #expect(all.lines.first?.utf8.count == 210_073)
        // No line of the whole log is longer than the cut one now; short values are untouched.
        let whole = try CLI.run(["dump", basic])
        #expect(whole.lines.map(\.utf8.count).max() == 355)
        #expect(whole.lines[19] == #"0:1541-1622 id=20 term=0 2026-11-20T23:40:21Z at=0:1541 SET bin "\x00\x01\r\n\xff\x80*\x00\r\n""#)
        // JSON and RESP always carry every byte.
        let json = try CLI.run(["dump", basic, "--from-logic-id", "69", "--to-logic-id", "69", "--format", "json"])
        #expect(json.stdout.utf8.count > 210_000)
    }

    @Test func timesWithoutAZoneAreLocalTime() throws {
        // 2026-11-20T23:40:40Z is 08:40:40 the next day in UTC+9 (POSIX TZ, no tzdata needed).
        let zulu = try CLI.run(["dump", basic, "--start-time", "2026-11-20T23:40:40Z"])
        #expect(zulu.lines.count == 8)
        let tokyo = try CLI.run(["dump", basic, "--start-time", "2026-11-21T08:40:40"], environment: ["TZ": "JST-9"])
        #expect(tokyo.lines == zulu.lines)
        let utc = try CLI.run(["dump", basic, "--start-time", "2026-11-21T08:40:40"], environment: ["TZ": "UTC0"])
        #expect(utc.status == 0 && utc.lines.isEmpty)
        // An explicit zone is not affected by TZ; output is UTC, marked Z, whatever TZ says.
        let explicit = try CLI.run(["dump", basic, "--start-time", "2026-11-21T00:40:40+01:00"], environment: ["TZ": "JST-9"])
        #expect(explicit.lines == zulu.lines)
        #expect(tokyo.lines.first?.contains(" 2026-11-20T23:40:4") == true)
    }

    @Test func mistypedSubcommandsSuggestTheNearest() throws {
        let dumpp = try CLI.run(["dumpp", basic])
        #expect(dumpp.status == 64)
        #expect(dumpp.stderr.contains("'dumpp' is not a binlogtool command; did you mean 'dump'?"))
        let verify = try CLI.run(["verify", "x"])
        #expect(verify.status == 64)
        #expect(verify.stderr.contains("did you mean 'verify-snapshot'?"))
        let chekc = try CLI.run(["chekc"])
        #expect(chekc.stderr.contains("did you mean 'check'?"))
        let help = try CLI.run(["help", "nosuch"])
        #expect(help.status == 64)
        #expect(help.stderr.contains("'nosuch' is not a binlogtool command. Commands: dump, check, diff"))
        let helpDump = try CLI.run(["help", "dump"])
        #expect(helpDump.status == 0)
        #expect(helpDump.stdout.contains("--max-value-bytes"))
    }

    @Test func progressOnATerminalShowsDoneOfTotalAndPercent() throws {
        // script(1) gives the command a terminal; the first update is shown at once, so this does
        // not depend on how fast the machine is.
        let script = "/usr/bin/script"
        #expect(FileManager.default.isExecutableFile(atPath: script), "script(1) (util-linux) is needed for this test")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: script)
        p.arguments = ["-qec", "'\(CLI.executable.path)' dump '\(basic)' >/dev/null", "/dev/null"]
        let out = Pipe()
        p.standardOutput = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let text = String(decoding: data, as: UTF8.self)
        // The basic log's files add up to 1 047 931 bytes: 0.9 MiB (tenths rounded down).
        #expect(text.contains(try Regex(#"\r[0-9]+\.[0-9] MiB of 0\.9 MiB \([0-9]+%\) decoded"#)), "\(text.debugDescription)")
        // Cleared at the end.
        #expect(text.hasSuffix("\r\u{1B}[K"))
    }

    @Test func checkListsFindingsUnderAHeaderOnlyWhenThereAreAny() throws {
        let clean = try CLI.run(["check", basic])
        #expect(!clean.stdout.contains("SEVERITY"))
        let slave = try CLI.run(["check", CLI.fixture("slave/slave/binlog")])
        #expect(slave.lines.first?.hasPrefix("SEVERITY KIND") == true)
    }

    @Test(.enabled(if: VerifySnapshotCommandTests.hasRocksDB))
    func verifySnapshotEndsWithTheVerdictAndTheNextStep() throws {
        let lagging = try CLI.run([
            "verify-snapshot", VerifySnapshotCommandTests.v3Dump, "--binlog", VerifySnapshotCommandTests.v3Binlog,
        ])
        #expect(lagging.status == 1)
        let end = Array(lagging.lines.suffix(3))
        #expect(end[0] == "verdict    lagging, corrected resume point 8:129")
        #expect(end[1].hasPrefix("unsafe     marks an item that changes the data again when applied a second time"))
        #expect(end[2].hasPrefix("next       position a replica at the corrected point 8:129 after logic id 11964"))
        let consistent = try CLI.run([
            "verify-snapshot", VerifySnapshotCommandTests.v4Dump, "--binlog", VerifySnapshotCommandTests.v4Binlog,
        ])
        #expect(consistent.status == 0)
        let last = Array(consistent.lines.suffix(3))
        #expect(last[0] == "verdict    consistent")
        #expect(last[2].hasPrefix("next       nothing to repair: a replica restored from this dump resumes at the recorded offset 6:159990"))
    }
}
