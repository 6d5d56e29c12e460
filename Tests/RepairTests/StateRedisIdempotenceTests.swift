import Foundation
import RedisTestSupport
import Testing

@testable import PikaStorage
@testable import Repair

// The idempotence property against a real redis-server (Debian's package, on a free loopback
// port, no persistence, stopped after): the REAL Pika binlogs, rewritten in the Redis dialect,
// replayed once and replayed after any already-applied prefix, leave identical datasets; the
// original streams, replayed the same way, diverge (counters and lists applied twice). Replays run
// at the log's time (see ``RedisServerProcess``), or ten years after it where a test is about late
// replays: no verdict depends on the date the suite runs.
@Suite(.serialized)
struct StateRedisIdempotenceTests {
    /// A fixture's commands for Redis: the rewritten stream, and the original one with only the
    /// Pika-only forms translated (`pksetexat` → `SET … EXAT/PXAT`), padding left out.
    struct Streams {
        var rewritten: [[[UInt8]]]
        var original: [[[UInt8]]]
        /// Index in `rewritten` after each item.
        var itemEnds: [Int]
        var model: ModelHarness
        var decisions: [RewriteDecision]
        /// The exec time of the last item: the moment whose data the server that wrote the log held.
        var logTime: Int64
    }

    /// Ten years (in seconds), the distance of the "replayed late" clock from the log's.
    static let decade: Int64 = 10 * 365 * 86_400

    static func streams(_ fixture: String) throws -> Streams {
        let (items, startsHistory) = try StateTest.items(fixture)
        var h = ModelHarness(startsAtBeginningOfHistory: startsHistory, dialect: .redis)
        var rewritten: [[[UInt8]]] = []
        var original: [[[UInt8]]] = []
        var ends: [Int] = []
        var decisions: [RewriteDecision] = []
        for item in items {
            h.time = item.execTime
            let decision = try h.run(item.arguments)
            decisions.append(decision)
            switch decision {
            case .keep, .keepUnmodelled, .unknownPriorState: rewritten.append(item.arguments)
            case .replace(let commands): rewritten += commands
            case .drop: break
            }
            ends.append(rewritten.count)
            original += translated(item.arguments)
        }
        return Streams(
            rewritten: rewritten, original: original, itemEnds: ends, model: h, decisions: decisions,
            logTime: Int64(items.last?.execTime ?? StateTest.fixtureTime))
    }

    /// What `dump --format resp` does to a logged command for Redis.
    static func translated(_ argv: [[UInt8]]) -> [[[UInt8]]] {
        let name = StateTest.text(argv[0]).lowercased()
        if name == "padding" { return [] }
        guard name == "pksetexat", argv.count == 4, let ts = Int64(StateTest.text(argv[2])) else { return [argv] }
        if ts == 0 { return [[StateTest.b("SET"), argv[1], argv[3]]] }
        let unit = argv[2].count >= 11 ? "PXAT" : "EXAT"
        return [[StateTest.b("SET"), argv[1], argv[3], StateTest.b(unit), argv[2]]]
    }

    /// Replays `commands` in batches; returns the error replies.
    static func apply(_ commands: some Collection<[[UInt8]]>, on c: RedisConnection) throws -> [String] {
        var errors: [String] = []
        var batch: [[[UInt8]]] = []
        func flush() throws {
            for (command, reply) in zip(batch, try c.pipeline(batch)) {
                if case .error(let e) = reply { errors.append("\(StateTest.text(Array(command[0].prefix(20)))): \(e)") }
            }
            batch.removeAll(keepingCapacity: true)
        }
        for command in commands {
            batch.append(command)
            if batch.count == 128 { try flush() }
        }
        try flush()
        return errors
    }

    static func flushAll(_ c: RedisConnection) throws {
        #expect(try c.call([StateTest.b("FLUSHALL")]) == .simple("OK"))
    }

    /// Prefix lengths to try: every command boundary among the first `dense`, then evenly spaced,
    /// and the whole stream (replaying it twice).
    static func prefixes(_ count: Int, dense: Int, spread: Int) -> [Int] {
        var out = Array(0...min(dense, count))
        if count > dense {
            let step = max(1, (count - dense) / spread)
            out += stride(from: dense + step, to: count, by: step)
        }
        out.append(count)
        return Array(Set(out)).sorted()
    }

    @Test(arguments: ["basic", "v4-basic"])
    func rewrittenStreamIsIdempotentOnRedis(_ fixture: String) throws {
        let s = try Self.streams(fixture)
        // Every Pika-only form has a Redis translation: nothing is left out of the Redis stream.
        #expect(!s.rewritten.contains { StateTest.text($0[0]).lowercased() == "pksetexat" })
        #expect(s.decisions.filter(\.isFlagged).isEmpty)

        let (server, c) = try RedisServerProcess.started(logTime: s.logTime)
        defer { server.stop() }

        // Once, from empty: no command fails.
        try Self.flushAll(c)
        #expect(try Self.apply(s.rewritten, on: c) == [])
        let once = try RedisDataset.read(c)
        #expect(once.keys.count > 100)

        // The original stream once, from empty, at the log's time, ends in the same dataset: the
        // rewrite keeps the meaning of the log.
        try Self.flushAll(c)
        #expect(try Self.apply(s.original, on: c) == [])
        let originalOnce = try RedisDataset.read(c)
        #expect(once.differences(from: originalOnce) == [])

        // Any already-applied prefix, then all of it: the same dataset.
        var failures: [String] = []
        let prefixes = Self.prefixes(s.rewritten.count, dense: 90, spread: 40)
        for k in prefixes {
            try Self.flushAll(c)
            _ = try Self.apply(s.rewritten[..<k], on: c)
            _ = try Self.apply(s.rewritten, on: c)
            let twice = try RedisDataset.read(c)
            let diff = twice.differences(from: once)
            if !diff.isEmpty { failures.append("prefix \(k): \(diff.prefix(3))") }
        }
        #expect(failures == [], "\(failures.count) of \(prefixes.count) prefixes diverged")

        // The same with the original stream diverges: counters and lists are applied twice.
        try Self.flushAll(c)
        _ = try Self.apply(s.original, on: c)
        _ = try Self.apply(s.original, on: c)
        let originalTwice = try RedisDataset.read(c)
        let diverged = originalTwice.differences(from: originalOnce).map { String($0.prefix { $0 != ":" }) }
        #expect(diverged.contains("l"))
        #expect(diverged.contains("filllist"))
        if fixture == "basic" {
            #expect(diverged.contains("cnt"))  // 3.5.0 logs INCR as sent
            #expect(diverged.contains("z"))  // ZINCRBY applied twice
        }
        // A prefix that stops right after the counter and list commands diverges too.
        let cut = s.original.firstIndex { StateTest.text($0[0]) == "SADD" }!
        try Self.flushAll(c)
        _ = try Self.apply(s.original[..<cut], on: c)
        _ = try Self.apply(s.original, on: c)
        #expect(
            try RedisDataset.read(c).differences(from: originalOnce).map { String($0.prefix { $0 != ":" }) }.contains(
                "l"))
    }

    /// The model's final state agrees with what Redis holds after one replay of the rewritten
    /// stream, expiry judged by both at the replay's clock: the log's time, and ten years later
    /// (every expiry in the log passed).
    @Test(arguments: ["basic", "v4-basic"], [false, true])
    func modelAgreesWithRedis(_ fixture: String, late: Bool) throws {
        let s = try Self.streams(fixture)
        let (server, c) = try RedisServerProcess.started(logTime: s.logTime + (late ? Self.decade : 0))
        defer { server.stop() }
        try Self.flushAll(c)
        _ = try Self.apply(s.rewritten, on: c)
        let redis = try RedisDataset.read(c)
        let nowMs = try c.logTimeMs()
        var unknown: [String] = []
        var mismatches: [String] = []
        for key in redis.keys.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let name = StateTest.text(key)
            guard let state = s.model.model.state(of: key, atMs: nowMs) else {
                unknown.append(name)
                continue
            }
            let modelled = Self.value(state)
            var stored = redis.keys[key]!
            if stored.type == "zset" { stored.contents = Self.numericScores(stored.contents) }
            if modelled != stored {
                mismatches.append("\(name): model \(modelled.map(\.description) ?? "absent") ≠ redis \(stored)")
            }
        }
        #expect(unknown == ["hll"])  // PFADD: HyperLogLog contents are not modelled
        #expect(mismatches == [])
    }

    /// Every prefix of the rewritten stream, replayed from empty, leaves what the model says the
    /// server held after that item, expiries judged at the replay's clock: at the log's time, and
    /// replayed ten years late, where the late-replay forms keep keys whose expiry passed since from
    /// coming back, and keys kept alive from vanishing.
    @Test(arguments: ["basic", "v4-basic"], [false, true])
    func everyPrefixIsTheLoggedState(_ fixture: String, late: Bool) throws {
        let (items, startsHistory) = try StateTest.items(fixture)
        var h = ModelHarness(startsAtBeginningOfHistory: startsHistory, dialect: .redis)
        let logTime = Int64(items.last?.execTime ?? StateTest.fixtureTime)
        let (server, c) = try RedisServerProcess.started(logTime: logTime + (late ? Self.decade : 0))
        defer { server.stop() }
        var rewritten: [[[UInt8]]] = []
        var named: Set<[UInt8]> = []
        var mismatches: [String] = []
        let checkpoints = Set(Array(0..<80) + Array(stride(from: 80, to: items.count, by: 25)) + [items.count - 1])
        for (i, item) in items.enumerated() {
            h.time = item.execTime
            rewritten += StateReplayTests.output(item.arguments, try h.run(item.arguments))
            named.formUnion(item.arguments.dropFirst().prefix(2))
            guard checkpoints.contains(i) else { continue }
            try Self.flushAll(c)
            _ = try Self.apply(rewritten, on: c)
            let redis = try RedisDataset.read(c)
            let nowMs = try c.logTimeMs()
            for key in named.union(redis.keys.keys) {
                guard let state = h.model.state(of: key, atMs: nowMs) else { continue }  // unknown (hll)
                var stored = redis.keys[key]
                if stored?.type == "zset" { stored!.contents = Self.numericScores(stored!.contents) }
                if Self.value(state) != stored {
                    mismatches.append("after item \(item.logicID) (\(item.line.prefix(40))): \(StateTest.text(key))")
                }
            }
        }
        #expect(mismatches == [])
    }

    /// A model state in the shape ``RedisDataset`` reads (zset scores as shortest decimals).
    static func value(_ state: KeyspaceModel.KeyState) -> RedisDataset.Value? {
        guard case .present(let value, let expiry) = state else { return nil }
        let contents: [[UInt8]]
        switch value {
        case .string(let b): contents = [b]
        case .hash(let h):
            contents = h.sorted { $0.key.lexicographicallyPrecedes($1.key) }.flatMap { [$0.key, $0.value] }
        case .list(let l): contents = l
        case .set(let s): contents = s.sorted { $0.lexicographicallyPrecedes($1) }
        case .zset(let z):
            contents = KeyspaceModel.ordered(z).flatMap { [$0.0, RedisNumbers.formatDouble($0.1)] }
        case .stream(let entries, _): contents = entries.flatMap { [$0.id.bytes] + $0.fieldsAndValues }
        }
        return RedisDataset.Value(type: value.typeName, contents: contents, hasTTL: expiry != nil)
    }

    /// Redis 7.0 prints scores with `%.17g`; rewrites them as shortest decimals for comparison.
    static func numericScores(_ flat: [[UInt8]]) -> [[UInt8]] {
        var out = flat
        for i in stride(from: 1, to: out.count, by: 2) {
            if let d = RedisNumbers.parseDouble(out[i]) { out[i] = RedisNumbers.formatDouble(d) }
        }
        return out
    }

    /// INCRBYFLOAT and HINCRBYFLOAT computed by the model are byte-identical to Redis' own.
    @Test func floatIncrementsMatchRedis() throws {
        let (server, c) = try RedisServerProcess.started(logTime: Int64(StateTest.fixtureTime))
        defer { server.stop() }
        var h = ModelHarness()
        var generator = SystemRandomNumberGenerator()
        let increments = [
            "0.1", "-0.3", "2.5e-5", "1e17", "-1e17", "3.14159265358979", "0.000003814697265625", "7", "-2.0e2",
            "1.0000000000000002", "123456789.987654321",
        ]
        var mismatches: [String] = []
        for round in 0..<300 {
            let increment: String
            if round < increments.count {
                increment = increments[round]
            } else {
                let mantissa = Int64.random(in: -999_999...999_999, using: &generator)
                let exponent = Int.random(in: -12...12, using: &generator)
                increment = "\(mantissa)e\(exponent)"
            }
            let key = round % 3 == 0 ? "f\(round)" : "f"
            let reply = try c.call([StateTest.b("INCRBYFLOAT"), StateTest.b(key), StateTest.b(increment)])
            guard case .bulk(let redisValue?) = reply else { continue }  // overflow: not logged
            let d = try h.run([StateTest.b("INCRBYFLOAT"), StateTest.b(key), StateTest.b(increment)])
            guard case .replace(let commands) = d, let value = commands.first?[2] else {
                mismatches.append("\(key) += \(increment): \(d)")
                continue
            }
            if value != redisValue {
                mismatches.append("\(key) += \(increment): \(StateTest.text(value)) ≠ \(StateTest.text(redisValue))")
            }
            let hreply = try c.call([
                StateTest.b("HINCRBYFLOAT"), StateTest.b("h"), StateTest.b(key), StateTest.b(increment),
            ])
            let hd = try h.run([
                StateTest.b("HINCRBYFLOAT"), StateTest.b("h"), StateTest.b(key), StateTest.b(increment),
            ])
            if case .bulk(let hv?) = hreply, case .replace(let hc) = hd, hc.first?[3] != hv {
                mismatches.append("h.\(key) += \(increment)")
            }
        }
        #expect(mismatches == [])
    }
}

/// The replay clock's shift moves exactly the absolute expiry times, in both units, and nothing
/// else: relative forms, values, keys and words stay.
@Suite struct RedisClockShiftTests {
    static func shifted(_ words: [String], by ms: Int64) -> [String] {
        RedisConnection.shifted(words.map { Array($0.utf8) }, by: ms).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func absoluteTimesMoveRelativeOnesStay() {
        let d: Int64 = 86_400_000
        #expect(Self.shifted(["EXPIREAT", "k", "1795224021"], by: d) == ["EXPIREAT", "k", "1795310421"])
        #expect(Self.shifted(["pexpireat", "k", "1795224021500"], by: d) == ["pexpireat", "k", "1795310421500"])
        #expect(Self.shifted(["SET", "k", "v", "EXAT", "1795224021"], by: d) == ["SET", "k", "v", "EXAT", "1795310421"])
        #expect(Self.shifted(["set", "k", "v", "NX", "pxat", "1795224021500"], by: -d) == ["set", "k", "v", "NX", "pxat", "1795137621500"])
        #expect(Self.shifted(["GETEX", "k", "EXAT", "1795224021"], by: d) == ["GETEX", "k", "EXAT", "1795310421"])
        #expect(Self.shifted(["pksetexat", "k", "1795224021", "v"], by: d) == ["pksetexat", "k", "1795310421", "v"])
        // No expiry, relative forms, a value that reads like an option: unchanged.
        #expect(Self.shifted(["pksetexat", "k", "0", "v"], by: d) == ["pksetexat", "k", "0", "v"])
        #expect(Self.shifted(["SET", "k", "EXAT", "1795224021"], by: d) == ["SET", "k", "EXAT", "1795224021"])
        #expect(Self.shifted(["SET", "k", "v", "EX", "100"], by: d) == ["SET", "k", "v", "EX", "100"])
        #expect(Self.shifted(["EXPIRE", "k", "100"], by: d) == ["EXPIRE", "k", "100"])
        #expect(Self.shifted(["SET", "k", "v"], by: d) == ["SET", "k", "v"])
        #expect(Self.shifted(["RPUSH", "k", "1795224021"], by: d) == ["RPUSH", "k", "1795224021"])
        // Already past stays past: never below 1 (0 and negatives are errors or other meanings).
        #expect(Self.shifted(["SET", "k", "v", "PXAT", "1"], by: -10 * d) == ["SET", "k", "v", "PXAT", "1"])
    }
}
