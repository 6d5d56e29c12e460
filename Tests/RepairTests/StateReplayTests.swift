import Testing

@testable import PikaStorage
@testable import Repair

// The REAL Pika binlogs replayed through the model. Both logs start at write2file0 with logic id 1,
// so the dataset starts empty and every key is known; the final values are what the clients'
// commands (commands.jsonl, replies.jsonl, NOTES.md) produced.
@Suite struct StateReplayTests {
    struct Replay {
        var harness: ModelHarness
        var decisions: [(StateTest.LoggedItem, RewriteDecision)]
        var lastTime: UInt32
    }

    static func replay(_ fixture: String, dialect: RewriteDialect = .pika) throws -> Replay {
        let (items, startsHistory) = try StateTest.items(fixture)
        #expect(startsHistory, "\(fixture) starts at write2file0, logic id 1")
        var h = ModelHarness(startsAtBeginningOfHistory: startsHistory, dialect: dialect)
        var decisions: [(StateTest.LoggedItem, RewriteDecision)] = []
        for item in items {
            h.time = item.execTime
            decisions.append((item, try h.run(item.arguments)))
        }
        return Replay(harness: h, decisions: decisions, lastTime: items.last?.execTime ?? 0)
    }

    static let bits: [UInt8] = {
        var b = [UInt8](repeating: 0, count: 13)
        b[12] = 0x08  // SETBIT 7 1, SETBIT 100 1, SETBIT 7 0
        return b
    }()

    @Test func basic() throws {
        let r = try Self.replay("basic")
        #expect(r.decisions.count == 388)
        let h = r.harness

        // Nothing is flagged: every key is known from the start. Only PFADD is unmodelled.
        let flagged = r.decisions.filter { $0.1.isFlagged }.map { $0.0.line }
        #expect(flagged.isEmpty)
        let unmodelled = r.decisions.compactMap { item, d -> String? in
            if case .keepUnmodelled = d { return item.line }
            return nil
        }
        #expect(unmodelled == ["PFADD hll a b c"])

        // Strings (commands 0–18 and the restart).
        #expect(h.string("str:a") == "Jello world")
        #expect(h.string("cnt") == "37")  // 1, 2, 42, 41, 36, then INCR after the restart
        #expect(h.string("fcnt") == "2.5")
        #expect(h.string("str:nx") == "first")
        #expect(h.string("m1") == "v1b")
        #expect(h.state("m2") == .absent)
        #expect(h.state("str:new") == .absent)
        #expect(h.state("str:ex") == .absent)
        #expect(h.string("str:ttl") == "with-ttl")
        #expect(h.expiry("str:ttl") == 1_795_221_621_000)
        #expect(h.expiry("str:b") == 1_795_223_021_000)  // EXPIRE 5000
        guard case .present(.string(let bin), nil) = h.state("bin") else { Issue.record("bin"); return }
        #expect(bin == [0, 1, 13, 10, 0xFF, 0x80, 42, 0, 13, 10])
        #expect(h.state("bits") == .present(.string(Self.bits), expiresAtMs: nil))
        #expect(h.string("last") == "the-end")
        #expect(h.string("after-restart:last") == "y")

        // Hashes: HINCRBY, HINCRBYFLOAT, HSETNX on an existing field, HDEL, PEXPIRE.
        #expect(
            h.hash("h") == ["f1": "v1", "f3": "v3", "n": "15", "n2": "-3", "fl": "1.25", "after": "restart"])
        #expect(h.expiry("h") == 1_795_224_021_000)

        // Lists: LPUSH, RPUSH, LPOP, RPOP, 2×LINSERT, LSET, LPUSHX, LREM, LTRIM, RPOPLPUSH, big RPUSH,
        // LPUSH after the restart; EXPIRE then PERSIST.
        let l = try #require(h.list("l"))
        #expect(l.count == 7)
        #expect(Array(l.prefix(6)) == ["after-restart", "pushx", "head-set", "a", "ins-after-a", "ins-before-x"])
        #expect(l[6].utf8.count == 66000)
        #expect(h.expiry("l") == nil)
        #expect(h.list("l2") == ["x"])
        #expect(h.state("nolist") == .absent)

        // Sets: SREM, SMOVE, SUNIONSTORE (logged as del + sadd).
        #expect(h.set("s") == ["m1", "m4", "after-restart"])
        #expect(h.set("s2") == ["m3"])
        #expect(h.set("su") == ["m1", "m4", "a", "b", "c"])
        #expect(h.expiry("s") == 4_102_444_800_000)

        // Sorted sets: ZINCRBY ×2, ZREM, ZREMRANGEBYSCORE (no-op), ZADD after the restart.
        #expect(h.zset("z") == ["one": 3.5, "three": 3, "newmember": 10, "neg": -1.5, "after-restart": 7])
        #expect(h.expiry("z") == 4_102_444_800_000)

        // The filler, against what the client sent.
        if let sent = try StateTest.sentCommands("basic") {
            var list: [[UInt8]] = []
            var hash: [[UInt8]: [UInt8]] = [:]
            var zset: [[UInt8]: Double] = [:]
            for a in sent {
                let name = StateTest.text(a[0])
                if name == "RPUSH" && a[1] == StateTest.b("filllist") { list += a[2...] }
                if name == "HSET" && a[1] == StateTest.b("fillhash") { hash[a[2]] = a[3] }
                if name == "ZADD" && a[1] == StateTest.b("fillz") { zset[a[3]] = Double(StateTest.text(a[2]))! }
            }
            #expect(h.state("filllist") == .present(.list(list), expiresAtMs: nil))
            #expect(h.state("fillhash") == .present(.hash(hash), expiresAtMs: nil))
            #expect(h.state("fillz") == .present(.zset(zset), expiresAtMs: nil))
        }
    }

    @Test func basicRewriteForms() throws {
        let r = try Self.replay("basic")
        var byLogicID: [UInt64: RewriteDecision] = [:]
        for (item, d) in r.decisions { byLogicID[item.logicID] = d }
        func lines(_ id: UInt64) -> [String]? { StateTest.lines(byLogicID[id]!) }
        #expect(byLogicID[1] == .keep)  // SET
        #expect(byLogicID[3] == .keep)  // pksetexat
        #expect(lines(5) == ["set str:nx first"])  // SETNX that succeeded
        #expect(lines(6) == [])  // SETNX that did not
        #expect(lines(7) == ["set cnt 1"])
        #expect(lines(9) == ["set cnt 42"])
        #expect(lines(10) == ["set cnt 41"])
        #expect(lines(11) == ["set cnt 36"])
        #expect(lines(12) == ["set fcnt 2.5"])
        #expect(lines(13) == ["set str:a hello world"])
        #expect(lines(14) == ["set str:new created-by-append"])
        #expect(lines(23) == ["hset h n 15"])
        #expect(lines(25) == ["hset h fl 1.25"])
        #expect(lines(26) == [])  // HSETNX on an existing field
        #expect(lines(28) == ["del l", "rpush l c b a"])
        #expect(lines(36) == [])  // RPUSHX on a missing list
        #expect(lines(38) == [])  // LTRIM 0 10 that kept everything
        #expect(lines(39) == ["del l", "rpush l pushx head-set a ins-after-a ins-before-x"])  // RPOP from RPOPLPUSH
        #expect(lines(40) == ["del l2", "rpush l2 x"])  // LPUSH from RPOPLPUSH
        #expect(byLogicID[43] == .keep)  // srem from SMOVE
        #expect(byLogicID[46] == .keep)  // del from SUNIONSTORE
        #expect(lines(49) == ["zadd z 3.5 one"])
        #expect(lines(50) == ["zadd z 10 newmember"])
        #expect(lines(53) == [])  // ZREMRANGEBYSCORE that removed nothing on a known set
        #expect(byLogicID[58] == .keep)  // expireat
        #expect(lines(382) == ["set cnt 37"])
        // After the big RPUSH, the list is written whole: 7 elements, one 66000 bytes long.
        guard case .replace(let big) = byLogicID[384]! else { Issue.record("384"); return }
        #expect(big.count == 2 && big[1].count == 2 + 7)
    }

    @Test func v4Basic() throws {
        let r = try Self.replay("v4-basic")
        #expect(r.decisions.count == 342)
        let h = r.harness
        #expect(r.decisions.filter { $0.1.isFlagged }.isEmpty)
        // v4.0.1 logs INCR/INCRBY/INCRBYFLOAT/APPEND as pksetexat (kept), DECR/DECRBY as sent.
        #expect(r.decisions[6].1 == .keep)
        #expect(StateTest.lines(r.decisions[9].1) == ["set cnt 41"])
        #expect(h.string("cnt") == "36")
        #expect(h.string("fcnt") == "2.5")
        #expect(h.string("str:a") == "Jello world")
        // APPEND to a missing key was logged as `pksetexat str:new 0 ""` (NOTES.md); then deleted.
        #expect(h.state("str:new") == .absent)
        #expect(h.expiry("h") == 1_795_226_749_779)  // PEXPIRE → pexpireat in milliseconds
        #expect(h.zset("z") == ["one": 3.5, "three": 3, "newmember": 10, "neg": -1.5])
        // Streams: XADD ×5 (two with generated IDs, logged filled in), XDEL, XTRIM MAXLEN 3.
        guard case .present(.stream(let entries, _), _) = h.state("st") else { Issue.record("st"); return }
        #expect(entries.map(\.id.description) == ["5-0", "1795220749780-0", "1795220749781-0"])
        #expect(h.state("st2") == .absent)
        let trim = r.decisions.first { $0.0.arguments.first == StateTest.b("XTRIM") }!
        #expect(StateTest.lines(trim.1) == ["xdel st 1-1"])
    }

    /// Every real binlog replays. A log from the beginning of history has nothing flagged (PFADD
    /// is the only unmodelled command); a slave's log after a full sync (padding first) starts
    /// with unknown keys, and only its non-idempotent items on them are flagged.
    @Test func everyRealBinlog() throws {
        let directories = StateTest.allBinlogDirectories()
        #expect(directories.count >= 10)
        for (name, path) in directories {
            let (items, startsHistory, _) = try StateTest.items(directory: path)
            let isSlave = name.hasPrefix("slave/slave") || name.hasPrefix("v4-slave/slave")
            #expect(startsHistory == !isSlave, "\(name)")
            var h = ModelHarness(startsAtBeginningOfHistory: startsHistory)
            var flagged: [String] = []
            var unmodelled: [String] = []
            for item in items {
                h.time = item.execTime
                switch try h.run(item.arguments) {
                case .keepUnmodelled(_, let why): unmodelled.append(why)
                case .unknownPriorState(_, let why): flagged.append(why)
                case .keep, .replace, .drop: break
                }
            }
            #expect(unmodelled.allSatisfy { $0.hasPrefix("PFADD") }, "\(name): \(unmodelled)")
            if startsHistory {
                #expect(flagged == [], "\(name)")
            } else {
                #expect(!flagged.isEmpty, "\(name)")
                #expect(flagged.allSatisfy { $0.contains("needs the prior state") }, "\(name): \(flagged)")
            }
        }
    }

    /// Rewriting the rewritten stream changes nothing: every form it emits is already absolute,
    /// so the second pass writes the same commands.
    @Test(arguments: ["basic", "v4-basic"], [RewriteDialect.pika, .redis])
    func rewriteOfTheRewriteIsANoOp(_ fixture: String, _ dialect: RewriteDialect) throws {
        let r = try Self.replay(fixture, dialect: dialect)
        var first: [[[UInt8]]] = []
        var times: [UInt32] = []
        for (item, decision) in r.decisions {
            let commands = Self.output(item.arguments, decision)
            first += commands
            times += Array(repeating: item.execTime, count: commands.count)
        }
        var second = ModelHarness(startsAtBeginningOfHistory: true, dialect: dialect)
        var again: [[[UInt8]]] = []
        var flagged = 0
        for (command, time) in zip(first, times) {
            second.time = time
            let decision = try second.run(command)
            if decision.isFlagged { flagged += 1 }
            again += Self.output(command, decision)
        }
        #expect(flagged == 0)
        #expect(again.count == first.count)
        let firstDifferent = Array(zip(first, again)).firstIndex { $0.0 != $0.1 }
        #expect(firstDifferent == nil, "first difference at command \(firstDifferent ?? -1)")
        for key in ["cnt", "l", "z", "h", "s", "filllist", "fillz"] {
            #expect(second.state(key) == r.harness.state(key), "\(key)")
        }
    }

    /// The commands a rewrite writes for one item.
    static func output(_ logged: [[UInt8]], _ decision: RewriteDecision) -> [[[UInt8]]] {
        switch decision {
        case .keep, .keepUnmodelled, .unknownPriorState: return [logged]
        case .replace(let commands): return commands
        case .drop: return []
        }
    }
}
