import BinlogFormat
import Foundation
import Testing

@testable import PikaStorage
@testable import Repair

/// `BinlogRewriter` on the REAL Pika binlogs. `basic` (3.5.0) and `v4-basic` (4.0.1) start at the
/// beginning of history (write2file0, logic id 1 at 0:0), so every key is known: nothing is
/// flagged, and every relative command becomes the absolute value it produced.
@Suite struct RewriteFixtureTests {
    static let historyFixtures = ["basic", "v4-basic", "minsize", "crash", "slave/master", "v4-slave/master", "bgsave"]

    /// Commands that are never replay-safe: none may survive a rewrite of a log with known keys.
    static let relative: Set<String> = [
        "incr", "decr", "incrby", "decrby", "incrbyfloat", "append", "hincrby", "hincrbyfloat", "zincrby", "lpop",
        "rpop", "linsert", "lrem", "lset", "spop", "rpoplpush", "setnx", "expire", "pexpire", "setex", "psetex",
    ]

    @Test(arguments: historyFixtures)
    func historyLogIsRewrittenFromAnEmptyDataset(_ fixture: String) throws {
        let r = try RewriteTest.rewrite(CheckFixtures.path("\(fixture)/binlog/log_db0"))
        let s = r.summary
        #expect(s.resumePoint == ResumePoint(fileNumber: 0, offset: 0))
        #expect(s.startSource == .history)
        #expect(s.count(.flagged) == 0)
        #expect(s.count(.replaced) > 10)
        #expect(s.count(.reordered) == 0)
        // Only PFADD is unmodelled (HyperLogLog contents).
        #expect(Set(r.changes(.unmodelled).compactMap { $0.arguments?.first.map { String(decoding: $0, as: UTF8.self) } }) == ["PFADD"])

        // The output: one clean binlog, a fresh history at 0:0, consecutive logic ids.
        let dir = try #require(r.directory)
        let report = try CheckFixtures.check(directory: dir)
        #expect(report.findings.problems.map(\.description) == [])
        let (items, padding, damage) = try RewriteTest.items(dir)
        #expect(padding.isEmpty && damage == 0)
        #expect(items.first?.header.stored == ResumePoint(fileNumber: 0, offset: 0))
        #expect(items.map(\.header.logicID) == Array(1...UInt64(items.count)))
        #expect(items.count == s.commandsWritten)
        #expect(s.outputStatus?.logicID == UInt64(items.count))
        #expect(s.outputStatus?.resumePoint == ResumePoint(after: items.last!.end))
        // Every item idempotent: no relative command left, and every push is followed by its cut
        // (or belongs to a whole-list write).
        let names = items.map { String(decoding: $0.arguments[0], as: UTF8.self).lowercased() }
        #expect(names.filter { Self.relative.contains($0) } == [])
        for (i, name) in names.enumerated() where name == "rpush" || name == "lpush" {
            let previous = i > 0 ? names[i - 1] : ""
            let next = i + 1 < names.count ? names[i + 1] : ""
            let key = items[i].arguments[1]
            let whole = (previous == "del" || previous == "rpush") && items[i - 1].arguments[1] == key
            let cut = next == "ltrim" && items[i + 1].arguments[1] == key
            #expect(whole || cut, "push without a cut at output item \(i): \(items[i].line)")
        }
    }

    /// The rewritten log means what the original meant: replayed through a fresh model, it ends
    /// in the same state, key for key.
    @Test(arguments: historyFixtures)
    func rewrittenLogEndsInTheSameState(_ fixture: String) throws {
        let input = CheckFixtures.path("\(fixture)/binlog/log_db0")
        let r = try RewriteTest.rewrite(input)
        let original = try RewriteTest.items(input).items
        let rewritten = try RewriteTest.items(r.directory!).items
        var a = ModelHarness(startsAtBeginningOfHistory: true)
        var keys = Set<[UInt8]>()
        for item in original {
            a.time = item.header.execTime
            try a.run(item.arguments)
            keys.formUnion(item.arguments.dropFirst().prefix(1))
        }
        var b = ModelHarness(startsAtBeginningOfHistory: true)
        for item in rewritten {
            b.time = item.header.execTime
            try b.run(item.arguments)
        }
        let at = Int64(original.last!.header.execTime) * 1000
        let differing = keys.filter { a.model.state(of: $0, atMs: at) != b.model.state(of: $0, atMs: at) }
        #expect(differing.map { String(decoding: $0, as: UTF8.self) }.sorted() == [])
    }

    /// Without append forms the output is exactly the model's decisions, item by item.
    @Test(arguments: ["basic", "v4-basic"])
    func outputIsTheModelsDecisions(_ fixture: String) throws {
        var options = RewriteOptions()
        options.listAppendForms = false
        let r = try RewriteTest.rewrite(CheckFixtures.path("\(fixture)/binlog/log_db0"), options: options)
        let replay = try StateReplayTests.replay(fixture)
        var expected: [[[UInt8]]] = []
        for (item, decision) in replay.decisions { expected += StateReplayTests.output(item.arguments, decision) }
        let written = try RewriteTest.items(r.directory!).items.map(\.arguments)
        #expect(written.count == expected.count)
        let first = zip(written, expected).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(first == nil, "first difference at \(first?.offset ?? -1): \(first.map { RewriteTest.text($0.element.0) } ?? "") vs \(first.map { RewriteTest.text($0.element.1) } ?? "")")
    }

    @Test func basicReplacementsAndPositions() throws {
        let r = try RewriteTest.rewrite(CheckFixtures.path("basic/binlog/log_db0"))
        func replacement(of logicID: UInt64) -> [String]? {
            r.changes(.replaced).first { $0.item?.logicID == logicID }?.written.map { RewriteTest.text($0.arguments) }
        }
        #expect(replacement(of: 7) == ["set cnt 1"])  // INCR
        #expect(replacement(of: 9) == ["set cnt 42"])  // INCRBY 40
        #expect(replacement(of: 11) == ["set cnt 36"])  // DECRBY 5
        #expect(replacement(of: 23) == ["hset h n 15"])  // HINCRBY
        #expect(replacement(of: 49) == ["zadd z 3.5 one"])  // ZINCRBY
        #expect(replacement(of: 382) == ["set cnt 37"])  // INCR after the restart
        // Old and new positions: the INCR at logic id 7 became output item 6 (SETNX 6 had no effect).
        let incr = try #require(r.changes(.replaced).first { $0.item?.logicID == 7 })
        #expect(incr.item?.start == PhysicalPosition(fileNumber: 0, offset: 565))
        #expect(incr.written.first?.location.logicID == 6)
        #expect(incr.written.first?.location.stored == ResumePoint(fileNumber: 0, offset: 473))
        let failedSetnx = try #require(r.changes(.dropped).first { $0.item?.logicID == 6 })
        #expect(failedSetnx.reason.contains("no effect"))
    }

    /// STYLE §5: running `rewrite` on its own output is a no-op, byte for byte.
    @Test(arguments: historyFixtures + ["slave/slave", "v4-slave/slave"])
    func rewriteOfItsOwnOutputIsANoOp(_ fixture: String) throws {
        let first = try RewriteTest.rewrite(CheckFixtures.path("\(fixture)/binlog/log_db0"))
        let second = try RewriteTest.rewrite(first.directory!)
        #expect(second.summary.resumePoint == first.summary.resumePoint)
        for kind in [RewriteChange.Kind.dropped, .replaced, .reordered] {
            #expect(second.changes(kind).map { RewriteTest.text($0.arguments ?? []) } == [], "\(kind)")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: first.directory!).sorted()
        #expect(try FileManager.default.contentsOfDirectory(atPath: second.directory!).sorted() == names)
        for name in names {
            let a = try Data(contentsOf: URL(fileURLWithPath: first.directory! + "/" + name))
            let b = try Data(contentsOf: URL(fileURLWithPath: second.directory! + "/" + name))
            #expect(a == b, "\(name) differs")
        }
    }

    /// A replica's binlog (full-sync padding first) does not start at the beginning of history:
    /// keys are unknown, relative commands are written as logged and flagged.
    @Test func replicaBinlogFlagsUnknownKeys() throws {
        let r = try RewriteTest.rewrite(CheckFixtures.path("slave/slave/binlog/log_db0"))
        #expect(r.summary.startSource == .firstItem)
        #expect(r.summary.resumePoint == ResumePoint(fileNumber: 7, offset: 1360))  // the padding's end
        #expect(r.summary.count(.flagged) == 34)
        let flagged = r.changes(.flagged)
        #expect(flagged.allSatisfy { $0.reason.contains("prior state unknown") })
        #expect(flagged.contains { $0.arguments?.first == RewriteTest.b("INCR") })
        // The padding before the first item is not a change: the output starts with its own.
        #expect(r.changes(.padding).isEmpty)
        // Absolute forms need no state: a key set in the log is known from there (APPEND after SET).
        #expect(r.changes(.replaced).contains { RewriteTest.text($0.written.first?.arguments ?? []) == "set inc:str:a hello world" })
        // The output is still a clean binlog at the same position, padding included.
        let report = try CheckFixtures.check(directory: r.directory!)
        #expect(report.findings.problems.map(\.description) == [])
        let (items, padding, _) = try RewriteTest.items(r.directory!)
        #expect(padding.first?.end == PhysicalPosition(fileNumber: 7, offset: 1360))
        #expect(items.first?.header.stored == ResumePoint(fileNumber: 7, offset: 1360))
    }

    /// `--from` on a log that starts at the beginning of history: the items before the point are
    /// replayed (not written), so the keys are known and the values are the same as in a full
    /// rewrite.
    @Test func fromAResumePointInTheMiddleOfHistory() throws {
        let input = CheckFixtures.path("basic/binlog/log_db0")
        let all = try RewriteTest.items(input).items
        let at = try #require(all.first { $0.header.logicID == 382 })  // INCR cnt after the restart
        var options = RewriteOptions()
        options.start = .resumePoint(at.header.stored)
        let r = try RewriteTest.rewrite(input, options: options)
        #expect(r.summary.resumePoint == at.header.stored)
        #expect(r.summary.startSource == .from)
        #expect(r.summary.firstItem?.logicID == 382)
        #expect(r.summary.count(.flagged) == 0)
        #expect(r.changes(.replaced).first { $0.item?.logicID == 382 }.map { RewriteTest.text($0.written[0].arguments) } == "set cnt 37")
        let (items, padding, _) = try RewriteTest.items(r.directory!)
        // SetProducerStatus padding: kBadRecord records of at most one block up to the point.
        #expect(padding.last?.end == PhysicalPosition(fileNumber: at.header.stored.fileNumber, offset: at.header.stored.offset))
        #expect(padding.allSatisfy { $0.kind == .badRecord })
        #expect(items.first?.header.stored == at.header.stored)
        #expect(items.first?.header.logicID == 382)
        #expect(try CheckFixtures.check(directory: r.directory!).findings.problems.map(\.description) == [])
    }

    @Test func fromAPointInsideAnItemIsRefused() throws {
        let input = CheckFixtures.path("basic/binlog/log_db0")
        let item = try #require(try RewriteTest.items(input).items.first { $0.header.logicID == 100 })
        var options = RewriteOptions()
        options.start = .resumePoint(ResumePoint(fileNumber: item.start.fileNumber, offset: item.start.offset + 10))
        #expect {
            _ = try RewriteTest.rewrite(input, options: options)
        } throws: { error in
            guard case RewriteError.notAResumePoint(let location) = error else { return false }
            return location.kind == .midItem
        }
    }

    /// The RESP stream in the Redis dialect holds no Pika-only form.
    @Test(arguments: ["basic", "v4-basic"])
    func respStreamIsRedisOnly(_ fixture: String) throws {
        let r = try RewriteTest.rewriteRESP(CheckFixtures.path("\(fixture)/binlog/log_db0"))
        #expect(!r.commands.isEmpty)
        #expect(!r.commands.contains { String(decoding: $0[0], as: UTF8.self).lowercased() == "pksetexat" })
        #expect(!r.commands.contains { Self.relative.contains(String(decoding: $0[0], as: UTF8.self).lowercased()) })
        #expect(r.summary.commandsWritten == r.commands.count)
    }
}
