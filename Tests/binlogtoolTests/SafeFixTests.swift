import BinlogFormat
import Foundation
import Testing

/// Safe fixes, never in place (issue 14, point 4): `check --write-manifest FILE` writes the
/// manifest that agrees with the items to a new file, in Pika's bytes for the layout; `rewrite
/// --to-logic-id/--stop-time` cuts a log at an item boundary and says where.
@Suite struct SafeFixTests {
    static let basicManifest = CLI.fixture("basic/binlog/log_db0/manifest")

    func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

    func listing(_ dir: URL) throws -> [String: [UInt8]] {
        var all: [String: [UInt8]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
            all[name] = try bytes(dir.appendingPathComponent(name).path)
        }
        return all
    }

    @Test func aLaggingManifestIsWrittenCorrectedInPikasBytes() throws {
        // The real 3.5.0 log with its manifest rolled back to 5:100 logic id 300.
        let dir = try CLI.copyOfFixture("basic/binlog/log_db0")
        let lagging = Manifest(layout: .v3_3, fileNumber: 5, offset: 100, logicID: 300, term: 0).encoded()
        try Data(lagging).write(to: dir.appendingPathComponent("manifest"))
        let before = try listing(dir)
        let target = try CLI.temporaryDirectory().appendingPathComponent("manifest.fixed").path
        let r = try CLI.run(["check", dir.path, "--write-manifest", target])
        #expect(r.status == 1)
        #expect(r.lines.contains { $0.hasPrefix("error    manifest-lags") })
        #expect(r.stderr.contains("wrote \(target): the corrected manifest, layout v3.3 (Pika v3.3.0–v4.0.1) (6:70544 logic_id 388 term 0)"))
        // Exactly the 65 536 bytes the real Pika wrote for this log.
        #expect(try bytes(target) == bytes(Self.basicManifest))
        #expect(try listing(dir) == before)
        // Never over an existing file, never into the input.
        let again = try CLI.run(["check", dir.path, "--write-manifest", target])
        #expect(again.status == 64)
        #expect(again.stderr.contains("already exists"))
        #expect(try bytes(target) == bytes(Self.basicManifest))
        let inside = try CLI.run(["check", dir.path, "--write-manifest", dir.appendingPathComponent("manifest.new").path])
        #expect(inside.status == 64)
        #expect(try listing(dir) == before)
    }

    @Test func aTruncatedManifestGetsItsValuesFromTheLastItem() throws {
        let dir = try CLI.copyOfFixture("basic/binlog/log_db0")
        try Data(try bytes(Self.basicManifest).prefix(10)).write(to: dir.appendingPathComponent("manifest"))
        let json = try CLI.run(["check", dir.path, "--format", "json"])
        let summary = try #require(json.lines.last)
        #expect(summary.contains(#""manifest":null,"corrected_manifest":{"filenum":6,"offset":70544,"logic_id":388,"term":0}"#))
        let text = try CLI.run(["check", dir.path])
        #expect(text.lines.contains { $0.hasPrefix("manifest: none readable; corrected") && $0.hasSuffix("6:70544 logic_id 388 term 0") })
        // Its layout cannot be read off a 10-byte file: the operator names it, before any output.
        let target = try CLI.temporaryDirectory().appendingPathComponent("manifest").path
        let unnamed = try CLI.run(["check", dir.path, "--write-manifest", target])
        #expect(unnamed.status == 64)
        #expect(unnamed.stdout.isEmpty)
        #expect(unnamed.stderr.contains("name the layout with --manifest-layout"))
        #expect(!FileManager.default.fileExists(atPath: target))
        let named = try CLI.run(["check", dir.path, "--write-manifest", target, "--manifest-layout", "v3.3"])
        #expect(named.status == 1)
        #expect(try bytes(target) == bytes(Self.basicManifest))
    }

    @Test func aReplicasOwnCounterIsKeptAsPikaWroteIt() throws {
        // A v3.5.0 replica's manifest counts its own 100 writes while the items carry the master's
        // ids up to 300: it agrees with the items, and is written back unchanged.
        let replica = CLI.fixture("slave/slave/binlog/log_db0")
        let target = try CLI.temporaryDirectory().appendingPathComponent("manifest").path
        let r = try CLI.run(["check", replica, "--write-manifest", target])
        #expect(r.status == 0)
        #expect(r.stderr.contains("the manifest found, which agrees with the items"))
        #expect(try bytes(target) == bytes(replica + "/manifest"))
    }

    @Test func noManifestIsWrittenWhenCheckCannotCorrectIt() throws {
        // The committed crash case keeps write2file0 only, while its manifest names write2file1.
        let crash = CLI.repoRoot.appendingPathComponent("Fixtures/pika-real/crash/binlog/log_db0").path
        let target = try CLI.temporaryDirectory().appendingPathComponent("manifest").path
        let r = try CLI.run(["check", crash, "--write-manifest", target])
        #expect(r.status == 65)
        #expect(r.stderr.contains("the manifest names write2file1 as current and it is not here"))
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test func rewriteCutsAfterALogicIDAtAnItemBoundary() throws {
        let basic = CLI.fixture("basic/binlog/log_db0")
        let out = try CLI.temporaryDirectory().appendingPathComponent("cut").path
        let r = try CLI.run(["rewrite", basic, "--to-logic-id", "100", "--out", out])
        #expect(r.status == 0)
        #expect(r.lines.contains("items: 100 read, 62 written as logged, 32 replaced, 5 dropped, 0 reordered, 0 flagged, 1 unmodelled"))
        // Logic id 101 starts at 2:41743 in the input (dump says so).
        let next = try CLI.run(["dump", basic, "--from-logic-id", "101", "--limit", "1"])
        #expect(next.lines.first?.hasPrefix("2:41743-41828 id=101 ") == true)
        #expect(
            r.lines.contains(
                "cut after logic id 100: at 2:41743, before logic id 101, exec time 2026-11-20T23:40:21Z; it and everything after it left out (the input is untouched)"
            ))
        // The output ends with what logic id 100 wrote, and is a clean binlog.
        let dump = try CLI.run(["dump", out])
        let id100 = try CLI.run(["dump", basic, "--from-logic-id", "100", "--to-logic-id", "100", "--format", "json"])
        let argv = try #require(id100.lines.first?.split(separator: "\"argv\":").last?.split(separator: "],").first)
        let last = try CLI.run(["dump", out, "--format", "json"]).lines.last
        #expect(last?.contains("\"argv\":" + argv + "]") == true)
        #expect(dump.status == 0)
        let check = try CLI.run(["check", out])
        #expect(check.status == 0)
    }

    @Test func rewriteCutsBeforeATime() throws {
        let basic = CLI.fixture("basic/binlog/log_db0")
        // The first item at or after 23:40:40Z is logic id 381 at 6:69897; in UTC+9 that time is
        // 08:40:40 the next day, and a time without a zone is local.
        let first = try CLI.run(["dump", basic, "--start-time", "2026-11-20T23:40:40Z", "--limit", "1"])
        #expect(first.lines.first?.hasPrefix("6:69897-69981 id=381 ") == true)
        let r = try CLI.run(
            ["rewrite", basic, "--stop-time", "2026-11-21T08:40:40", "--format", "resp", "--out", "-"], environment: ["TZ": "JST-9"])
        #expect(r.status == 0)
        #expect(r.stderr.contains("cut before 2026-11-21T08:40:40: at 6:69897, before logic id 381, exec time 2026-11-20T23:40:48Z"))
        #expect(r.stderr.contains("items: 380 read"))
        #expect(!r.stdout.contains("after-restart:1"))
        // A cut past the end leaves nothing out.
        let all = try CLI.run(["rewrite", basic, "--to-logic-id", "100000", "--dry-run"])
        #expect(all.stderr.contains("cut after logic id 100000: the log ends first; nothing left out"))
        let both = try CLI.run(["rewrite", basic, "--to-logic-id", "1", "--stop-time", "0", "--dry-run"])
        #expect(both.status == 64)
    }
}
