import BinlogFormat
import Foundation
import TestSupport
import RedisTestSupport
import RocksSnapshot
import Testing

@testable import PikaStorage
@testable import Repair

/// The idempotence property of `rewrite`, against a real `redis-server` (Debian's package, started
/// on a free loopback port with no persistence, stopped after): the rewritten RESP stream replayed
/// once, replayed twice, or replayed after any already-applied prefix of it, leaves the same
/// dataset; the original stream, replayed the same way, diverges. Replays run at the log's time
/// (see ``RedisServerProcess``): no verdict depends on the date the suite runs.
@Suite(.serialized)
struct RewriteRedisTests {
    typealias Stream = [[[UInt8]]]

    /// The original stream as Redis takes it (Pika-only forms translated, padding left out).
    static func original(_ directory: String, from: PhysicalPosition? = nil, through: UInt64? = nil) throws -> Stream {
        try RewriteTest.items(directory).items.filter { item in
            (from.map { item.start >= $0 } ?? true) && (through.map { item.header.logicID <= $0 } ?? true)
        }.flatMap { StateRedisIdempotenceTests.translated($0.arguments) }
    }

    /// Replays `prefix` then `stream` on `base` (applied first, from empty) and returns the dataset.
    static func replay(_ c: RedisConnection, base: Stream = [], prefix: some Collection<[[UInt8]]>, _ stream: Stream) throws
        -> (RedisDataset, [String])
    {
        try StateRedisIdempotenceTests.flushAll(c)
        var errors = try StateRedisIdempotenceTests.apply(base, on: c)
        errors += try StateRedisIdempotenceTests.apply(prefix, on: c)
        errors += try StateRedisIdempotenceTests.apply(stream, on: c)
        return (try RedisDataset.read(c), errors)
    }

    /// The exec time of the last item of a binlog directory: the clock its replay runs at.
    static func logTime(_ directory: String) throws -> Int64 {
        Int64(try RewriteTest.items(directory).items.last?.header.execTime ?? StateTest.fixtureTime)
    }

    /// The keys named in a list of ``RedisDataset/differences(from:)``.
    static func keys(_ differences: [String]) -> Set<String> {
        Set(differences.map { d in d.range(of: ": ").map { String(d[..<$0.lowerBound]) } ?? d })
    }

    /// The property on one stream: every prefix in `prefixes`, then all of it, equals all of it once.
    static func expectIdempotent(
        _ c: RedisConnection, base: Stream = [], _ stream: Stream, dense: Int = 90, spread: Int = 40,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> RedisDataset {
        let (once, errors) = try replay(c, base: base, prefix: [], stream)
        #expect(errors == [], sourceLocation: sourceLocation)
        var failures: [String] = []
        let prefixes = StateRedisIdempotenceTests.prefixes(stream.count, dense: dense, spread: spread)
        for k in prefixes {
            let (again, _) = try replay(c, base: base, prefix: stream[..<k], stream)
            let diff = again.differences(from: once)
            if !diff.isEmpty { failures.append("prefix \(k): \(diff.prefix(3))") }
        }
        #expect(failures == [], "\(failures.count) of \(prefixes.count) prefixes diverged", sourceLocation: sourceLocation)
        return once
    }

    @Test(arguments: ["basic", "v4-basic", "minsize", "slave/master", "v4-slave/master"])
    func rewrittenRealLogIsIdempotent(_ fixture: String) throws {
        let input = CheckFixtures.path("\(fixture)/binlog/log_db0")
        let r = try RewriteTest.rewriteRESP(input)
        #expect(r.summary.count(.flagged) == 0)
        let (server, c) = try RedisServerProcess.started(logTime: try Self.logTime(input))
        defer { server.stop() }
        let once = try Self.expectIdempotent(c, r.commands)
        #expect(!once.keys.isEmpty)

        // The original stream diverges when replayed again: lists (and counters) applied twice.
        // (A log ending after a FLUSHALL converges anyway; its part before the first flush does
        // not: both streams are cut there, and each part replayed twice.)
        func isFlush(_ argv: [[UInt8]]) -> Bool {
            ["flushdb", "flushall"].contains(String(decoding: argv[0], as: UTF8.self).lowercased())
        }
        let original = try Self.original(input)
        let originalPart = Array(original.prefix { !isFlush($0) })
        let (originalOnce, _) = try Self.replay(c, prefix: [], original)
        let (partOnce, _) = try Self.replay(c, prefix: [], originalPart)
        let (partTwice, _) = try Self.replay(c, prefix: originalPart, originalPart)
        let diverged = Self.keys(partTwice.differences(from: partOnce))
        #expect(diverged.contains { $0.hasSuffix("l") || $0.hasSuffix("list") }, "\(diverged)")
        let rewrittenPart = Array(r.commands.prefix { !isFlush($0) })
        let (rewrittenPartOnce, _) = try Self.replay(c, prefix: [], rewrittenPart)
        let (rewrittenPartTwice, _) = try Self.replay(c, prefix: rewrittenPart, rewrittenPart)
        #expect(rewrittenPartTwice.differences(from: rewrittenPartOnce) == [])
        // At the log's time the rewrite keeps the original's meaning.
        #expect(once.differences(from: originalOnce) == [])
    }

    /// The bgsave case end to end: Redis holds what the 3.5.0 snapshot holds (the log up to logic
    /// id 11964, one item past the dump's `info` offset), then receives the stream rewritten from
    /// the snapshot's corrected point. Replaying it again, or after any prefix, changes nothing;
    /// the original stream from the `info` offset, replayed twice, double-counts.
    @Test(.enabled(if: RocksDBExpectation.expected, "needs librocksdb"))
    func rewrittenFromTheSnapshotIsIdempotent() throws {
        var options = RewriteOptions()
        options.start = .snapshot(try RewriteSnapshotTests.seed(dump: StorageFixtures.v3Dump, binlog: SnapshotFixtures.v3Binlog))
        let r = try RewriteTest.rewriteRESP(SnapshotFixtures.v3Binlog, options: options)
        #expect(r.summary.resumePoint == ResumePoint(fileNumber: 8, offset: 129))
        let snapshotState = try Self.original(SnapshotFixtures.v3Binlog, through: 11964)
        let (server, c) = try RedisServerProcess.started(logTime: try Self.logTime(SnapshotFixtures.v3Binlog))
        defer { server.stop() }
        let once = try Self.expectIdempotent(c, base: snapshotState, r.commands, dense: 16, spread: 12)

        // The original items after the info offset, once: the same data as the rewrite.
        let afterInfo = try Self.original(SnapshotFixtures.v3Binlog, from: PhysicalPosition(fileNumber: 8, offset: 0))
        let (originalOnce, _) = try Self.replay(c, base: snapshotState, prefix: [], afterInfo)
        #expect(once.differences(from: originalOnce) == [])
        // Twice: the counters, lists and sorted sets diverge.
        let (originalTwice, _) = try Self.replay(c, base: snapshotState, prefix: afterInfo, afterInfo)
        let diverged = Self.keys(originalTwice.differences(from: originalOnce))
        #expect(diverged.contains("bgw:hash") && diverged.contains("bgw:list"), "\(diverged)")
    }

    // MARK: - A diverged replica (rewrite --replica)

    /// Replicas of the real v3.5.0 master that went wrong the ways replication does: a range applied
    /// twice, a FLUSHDB applied ahead of the writes before it, a write moved across a flush, ranges
    /// swapped, items lost, a stop before the end. Both logs are cut before the FLUSHALL (297), which
    /// would erase every difference. The replica's data is the master's first 200 items (its
    /// full-sync snapshot) plus its own binlog; replaying the master's binlog rewritten from where diff
    /// says the replica departs (what `rewrite --replica` does) gives exactly the master's data, and
    /// replaying it a second time changes nothing.
    @Test func divergedReplicaIsBroughtBackToTheMaster() throws {
        let fullMaster = try OwnedBinlog("slave/master/binlog/log_db0")
        let fullSlave = try OwnedBinlog("slave/slave/binlog/log_db0")
        let size = try CheckFixtures.binlogFileSize("slave/slave")
        func index(_ id: UInt64) throws -> Int { try fullSlave.index(of: id) }
        // (name, the last logic id of both logs, the replica's items). 293 is the item before the
        // FLUSHDB (294), which erases every earlier difference; 296 the item before the FLUSHALL.
        var cases: [(String, UInt64, [OwnedItem])] = []
        var items = fullSlave.items
        items.insert(contentsOf: fullSlave.items[try index(207)..<(try index(212))], at: try index(212))
        cases.append(("counters 207-211 applied twice", 293, items))
        items = fullSlave.items
        let i = try index(228)
        items.replaceSubrange(i..<(i + 10), with: Array(fullSlave.items[(i + 5)..<(i + 10)] + fullSlave.items[i..<(i + 5)]))
        cases.append(("list items 228-232 swapped with 233-237", 293, items))
        items = fullSlave.items
        items.removeSubrange(try index(248)..<(try index(253)))
        cases.append(("zset items 248-252 lost", 293, items))
        cases.append(("stopped after 260", 293, Array(fullSlave.items[...(try index(260))])))
        items = fullSlave.items
        let flush = items.remove(at: try index(294))
        items.insert(flush, at: try index(292))
        cases.append(("FLUSHDB ahead of 292, 293", 296, items))
        items = fullSlave.items
        items.swapAt(try index(293), try index(294))
        cases.append(("293 after the FLUSHDB", 296, items))

        let logTime = Int64(fullMaster.items.last?.header.execTime ?? StateTest.fixtureTime)
        let (server, c) = try RedisServerProcess.started(logTime: logTime)
        defer { server.stop() }
        for (name, through, edited) in cases {
            let m = try writeBinlog(fullMaster.items.filter { $0.logicID <= through }, binlogFileSize: size, mode: .verbatim)
            let replicaItems = edited.filter { $0.logicID <= through }
            let w = try writeBinlog(
                replicaItems, binlogFileSize: size, start: ProducerStatus(fileNumber: 7, offset: 1360), mode: .verbatim,
                manifestLogicID: UInt64(replicaItems.count))
            defer {
                try? FileManager.default.removeItem(atPath: m.directory)
                try? FileManager.default.removeItem(atPath: w.directory)
            }
            let (masterData, masterErrors) = try Self.replay(c, prefix: [], try Self.original(m.directory))
            #expect(masterErrors == [], "\(name)")
            let diff = try BinlogDiff.diff(
                master: try BinlogDirectory(path: m.directory), replica: try BinlogDirectory(path: w.directory))
            let start = try #require(diff.summary.divergence, "\(name)")
            var options = RewriteOptions()
            options.start = .resumePoint(start)
            let r = try RewriteTest.rewriteRESP(m.directory, options: options)
            #expect(r.summary.count(.flagged) == 0, "\(name)")

            let base = try Self.original(m.directory, through: 200) + Self.original(w.directory)
            // The replica's data differs from the master's (or the case would prove nothing).
            let (replicaData, replicaErrors) = try Self.replay(c, prefix: [], base)
            #expect(replicaData.differences(from: masterData) != [], "\(name): the replica did not diverge")
            // (The replica's own history may have failed commands, e.g. LSET on a list not yet pushed.)
            let (repaired, errors) = try Self.replay(c, base: base, prefix: [], r.commands)
            #expect(errors == replicaErrors, "\(name)")
            #expect(repaired.differences(from: masterData) == [], "\(name)")
            let (twice, _) = try Self.replay(c, base: base, prefix: r.commands, r.commands)
            #expect(twice.differences(from: masterData) == [], "\(name): replayed twice")
        }
    }

    // MARK: - Lists

    /// A generated log full of list traffic: pushes on one side only (written as push + ltrim),
    /// mixed pushes and pops, queues, capped lists (`lpush` + `ltrim 0 4`, `rpush` + `ltrim 0 N`,
    /// `rpush` + `ltrim -5 -1`), deletes and whole-list writes, PUSHX on missing lists, an expiry
    /// in the future, a FLUSHDB in the middle; plus counters.
    static func listLog(seed: UInt64, count: Int = 700) throws -> String {
        var rng = SplitMix64(seed: seed)
        let dir = try CheckFixtures.temporaryDirectory() + "/log_db0"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var commands: [[String]] = []
        func put(_ words: [String]) { commands.append(words) }
        func element() -> String { "e\(rng.next() % 1000)" }
        for i in 0..<count {
            if i == count / 2 { put(["FLUSHDB"]) }
            switch rng.next() % 20 {
            case 0, 1, 2: put(["RPUSH", "q:r"] + (0..<Int(1 + rng.next() % 3)).map { _ in element() })
            case 3, 4: put(["LPUSH", "q:l", element()])
            case 5: put([rng.next() % 2 == 0 ? "RPUSH" : "LPUSH", "q:mixed", element()])
            case 6: put(["LPOP", "q:mixed"])
            case 7: put(["RPUSH", "q:queue", element(), element()])
            case 8: put(["LPOP", "q:queue"])
            case 9:
                put(["LPUSH", "q:capped", element()])
                put(["LTRIM", "q:capped", "0", "4"])
            case 10:
                put(["RPUSH", "q:oldest", element()])
                put(["LTRIM", "q:oldest", "0", "5"])
            case 11:
                put(["RPUSH", "q:newest", element()])
                put(["LTRIM", "q:newest", "-5", "-1"])
            case 12: put(rng.next() % 5 == 0 ? ["DEL", "q:seg"] : ["RPUSH", "q:seg", element()])
            case 13:
                put(["DEL", "q:whole"])
                put(["RPUSH", "q:whole", element(), element()])
            case 14: put([rng.next() % 2 == 0 ? "RPUSHX" : "LPUSHX", "q:maybe", element()])
            case 15: put(rng.next() % 3 == 0 ? ["RPUSH", "q:maybe", element()] : ["RPOP", "q:maybe"])
            case 16: put(["EXPIREAT", "q:r", "4102444800"])
            case 17: put(["INCR", "cnt"])
            case 18: put(["HINCRBY", "h", "f\(rng.next() % 3)", "2"])
            default: put(["RPUSH", "q:tail-only", element()])
            }
        }
        var writer = try BinlogWriter(output: try BinlogDirectoryOutput(directory: dir), binlogFileSize: 64 * 1024)
        var time: UInt32 = 1_795_218_021
        for (n, words) in commands.enumerated() {
            try writer.append(content: RESP.encode(words.map { Array($0.utf8) }), execTime: time)
            if n % 7 == 6 { time += 1 }
        }
        try writer.finish()
        return dir
    }


    @Test(arguments: [1, 2, 3] as [UInt64])
    func generatedListTrafficIsIdempotent(_ seed: UInt64) throws {
        let input = try Self.listLog(seed: seed)
        let r = try RewriteTest.rewriteRESP(input)
        #expect(r.summary.count(.flagged) == 0)
        // Lists that only grow on one side are written push + ltrim; the others whole.
        #expect(r.summary.appendLists >= 2)
        let (server, c) = try RedisServerProcess.started(logTime: try Self.logTime(input))
        defer { server.stop() }
        let once = try Self.expectIdempotent(c, r.commands, dense: 400, spread: 80)
        let (originalOnce, _) = try Self.replay(c, prefix: [], try Self.original(input))
        #expect(once.differences(from: originalOnce) == [])

        // The binlog form of the same rewrite, rewritten again: byte for byte the same.
        let first = try RewriteTest.rewrite(input)
        let second = try RewriteTest.rewrite(first.directory!)
        #expect(second.changes.filter { $0.kind != .unmodelled }.map { RewriteTest.text($0.arguments ?? []) } == [])
        for name in try FileManager.default.contentsOfDirectory(atPath: first.directory!) {
            #expect(
                try Data(contentsOf: URL(fileURLWithPath: first.directory! + "/" + name))
                    == Data(contentsOf: URL(fileURLWithPath: second.directory! + "/" + name)), "\(name)")
        }
    }

    /// The append forms without a known prior state (a rewritten binlog read back with no history
    /// and no snapshot): the push + ltrim pairs are kept as they are, still idempotent.
    @Test func appendFormsReadBackWithoutHistory() throws {
        let input = try Self.listLog(seed: 7)
        var from = RewriteOptions()
        let all = try RewriteTest.items(input).items
        from.start = .resumePoint(all[all.count / 3].header.stored)
        let first = try RewriteTest.rewrite(input, options: from)
        // Padded start: not the beginning of history, every key unknown on the second pass.
        let second = try RewriteTest.rewrite(first.directory!)
        #expect(second.summary.startSource == .firstItem)
        let pushes = second.changes(.flagged).filter {
            ["rpush", "lpush"].contains(String(decoding: $0.arguments![0], as: UTF8.self).lowercased())
        }
        #expect(pushes.count == 0)
        for name in try FileManager.default.contentsOfDirectory(atPath: first.directory!) {
            #expect(
                try Data(contentsOf: URL(fileURLWithPath: first.directory! + "/" + name))
                    == Data(contentsOf: URL(fileURLWithPath: second.directory! + "/" + name)), "\(name)")
        }
    }
}
