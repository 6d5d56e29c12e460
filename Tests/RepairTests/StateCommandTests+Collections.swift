import Testing

@testable import PikaStorage
@testable import Repair

// StateCommandTests: keys, hashes, lists, sets, sorted sets, streams, prior state from a source and
// decoded records (strings are in StateCommandTests.swift).
extension StateCommandTests {
    // MARK: Keys

    @Test func delAndFlush() throws {
        var h = ModelHarness(startsAtBeginningOfHistory: false)
        #expect(try h.run("INCR a").isFlagged)
        #expect(try h.run("DEL a b") == .keep)
        #expect(try h.lines("INCR a") == ["set a 1"])
        #expect(try h.run("INCR c").isFlagged)
        #expect(try h.run("flushdb") == .keep)
        #expect(try h.lines("INCR c") == ["set c 1"])
        #expect(try h.lines("INCR zz") == ["set zz 1"])
        #expect(h.model.trackedKeyCount == 2)  // FLUSHDB forgot the rest
    }

    @Test func delvx() throws {
        var h = ModelHarness()
        try h.run("SET k v")
        #expect(try h.lines("DELVX k other") == [])
        #expect(try h.lines("DELVX k v") == ["del k"])
        #expect(h.state("k") == .absent)
        var u = ModelHarness(startsAtBeginningOfHistory: false)
        #expect(try u.run("DELVX k v").isFlagged)
    }

    /// A codis slot migration may change any key: everything is unknown until written again or
    /// flushed, and the snapshot is not asked any more (it holds the state before the log).
    @Test func commandsThatMayChangeAnyKey() throws {
        let source = DictionaryStateSource(["b": .present(.string(StateTest.b("1")), expiresAtMs: nil)])
        var h = ModelHarness(startsAtBeginningOfHistory: false, source: source)
        try h.run("SET a 1")
        #expect(try h.run("slotsdel 1 2").isFlagged)
        #expect(try h.run("INCR a").isFlagged)
        #expect(try h.run("INCR b").isFlagged)
        #expect(source.asked.isEmpty)
        try h.run("SET a 5")
        #expect(try h.lines("INCR a") == ["set a 6"])
        try h.run("pkpatternmatchdel c*")
        #expect(try h.lines("INCR c1") == ["set c1 1"])
        try h.run("FLUSHDB")
        #expect(try h.lines("INCR b") == ["set b 1"])
    }

    @Test func paddingIsDropped() throws {
        var h = ModelHarness()
        #expect(try h.run("padding ****") == .drop)
    }

    @Test func unknownCommandsAreFlagged() throws {
        var h = ModelHarness()
        try h.run("SET a 1")
        let d = try h.run("RENAME a b")
        #expect(d.isFlagged)
        #expect(h.state("a") == nil)
        #expect(h.state("b") == nil)
        #expect(try h.run("FOOBAR x").isFlagged)
        #expect(try h.run("GET a") == .keep)
    }

    @Test func patternDelete() throws {
        var h = ModelHarness(dialect: .redis)
        try h.run("SET user:1 a")
        try h.run("SET user:2 b")
        try h.run("SET other c")
        #expect(try h.lines("pkpatternmatchdel user:*") == ["del user:1", "del user:2"])
        #expect(h.state("user:1") == .absent)
        #expect(h.string("other") == "c")
        var p = ModelHarness()
        try p.run("SET user:1 a")
        #expect(try p.run("pkpatternmatchdel user:*") == .keep)
        // From a snapshot: untracked matching keys are absent afterwards, not asked for.
        let source = DictionaryStateSource(["user:9": .present(.string(StateTest.b("5")), expiresAtMs: nil)])
        var s = ModelHarness(startsAtBeginningOfHistory: false, source: source)
        try s.run("pkpatternmatchdel user:*")
        #expect(try s.lines("INCR user:9") == ["set user:9 1"])
        #expect(source.asked.isEmpty)
    }

    // MARK: Hashes

    @Test func hashes() throws {
        var h = ModelHarness()
        #expect(try h.run("HSET h f1 v1") == .keep)
        #expect(try h.run("HMSET h f2 v2 f3 v3 n 10") == .keep)
        #expect(try h.lines("HINCRBY h n 5") == ["hset h n 15"])
        #expect(try h.lines("HINCRBY h n2 -3") == ["hset h n2 -3"])
        #expect(try h.lines("HINCRBYFLOAT h fl 1.25") == ["hset h fl 1.25"])
        #expect(try h.lines("HSETNX h f1 ignored") == [])
        #expect(try h.lines("HSETNX h f9 new") == ["hset h f9 new"])
        #expect(try h.run("HDEL h f2") == .keep)
        #expect(h.hash("h") == ["f1": "v1", "f3": "v3", "n": "15", "n2": "-3", "fl": "1.25", "f9": "new"])
        try h.run("HSET g a 1")
        #expect(try h.lines("HDEL g a") == ["del g"])
        #expect(h.state("g") == .absent)
        #expect(try h.run("HINCRBY h f1 1").isFlagged)  // "v1" is not an integer
        var u = ModelHarness(startsAtBeginningOfHistory: false)
        #expect(try u.run("HSET h f v") == .keep)
        #expect(try u.run("HSETNX h f v") == .keep)
        #expect(try u.run("HINCRBY h n 1").isFlagged)
    }

    @Test func typeConflictMakesTheKeyUnknown() throws {
        var h = ModelHarness()
        try h.run("SET k v")
        let d = try h.run("HSET k f v")
        guard case .keepUnmodelled(_, let reason) = d else { Issue.record("\(d)"); return }
        #expect(reason.contains("type conflict"))
        #expect(try h.run("HINCRBY k f 1").isFlagged)
        try h.run("DEL k")
        #expect(try h.lines("HINCRBY k f 1") == ["hset k f 1"])
    }

    // MARK: Lists

    @Test func listsAreWrittenWhole() throws {
        var h = ModelHarness()
        #expect(try h.lines("LPUSH l a b c") == ["del l", "rpush l c b a"])
        #expect(try h.lines("RPUSH l x y z") == ["del l", "rpush l c b a x y z"])
        #expect(try h.lines("LPOP l") == ["del l", "rpush l b a x y z"])
        #expect(try h.lines("RPOP l") == ["del l", "rpush l b a x y"])
        #expect(try h.lines("LINSERT l BEFORE x ins") == ["del l", "rpush l b a ins x y"])
        #expect(try h.lines("LINSERT l AFTER nope ins") == [])
        #expect(try h.lines("LSET l 0 head") == ["del l", "rpush l head a ins x y"])
        #expect(try h.lines("LPUSHX l p") == ["del l", "rpush l p head a ins x y"])
        #expect(try h.lines("RPUSHX nolist v") == [])
        #expect(try h.lines("LREM l 0 y") == ["del l", "rpush l p head a ins x"])
        #expect(try h.lines("LTRIM l 0 10") == [])
        #expect(try h.lines("LTRIM l 1 -2") == ["del l", "rpush l head a ins"])
        #expect(try h.lines("RPOPLPUSH l l2") == ["del l", "rpush l head a", "del l2", "rpush l2 ins"])
        #expect(try h.lines("RPOP l2") == ["del l2"])
        #expect(try h.lines("RPOP l2") == [])
        #expect(h.list("l") == ["head", "a"])
    }

    @Test func lremCountsFromEitherEnd() throws {
        var h = ModelHarness()
        try h.run("RPUSH l a b a c a")
        #expect(try h.lines("LREM l 2 a") == ["del l", "rpush l b c a"])
        try h.run("RPUSH m a b a c a")
        #expect(try h.lines("LREM m -2 a") == ["del m", "rpush m a b c"])
    }

    @Test func listKeepsItsExpiryThroughTheWholeWrite() throws {
        var h = ModelHarness()
        try h.run("RPUSH l a")
        try h.run("expireat l 1795300000")
        #expect(try h.lines("RPUSH l b") == ["del l", "rpush l a b", "expireat l 1795300000"])
    }

    @Test func wholeListWriteIsRecognisedAsAbsolute() throws {
        var h = ModelHarness()
        try h.run("RPUSH l a")
        #expect(try h.run("del l") == .keep)
        #expect(try h.run("rpush l x y") == .keep)
        #expect(try h.run("rpush l z") == .keep)  // a second chunk
        #expect(h.list("l") == ["x", "y", "z"])
        try h.run("SET other 1")  // ends the whole-list write
        #expect(try h.lines("rpush l w") == ["del l", "rpush l x y z w"])
        try h.run("del l")
        h.model.noteItemNotReplayed()  // an item the caller skipped ends the whole-list write
        #expect(try h.lines("rpush l q") == ["del l", "rpush l q"])
        try h.run("del l")
        h.time += 1  // another second: a client's own DEL then RPUSH
        #expect(try h.lines("rpush l q") == ["del l", "rpush l q"])
    }

    @Test func bigListsAreSplit() throws {
        var h = ModelHarness()
        h.model.chunkByteCount = 4
        #expect(try h.lines("RPUSH l aa bb cc dd e") == ["del l", "rpush l aa bb", "rpush l cc dd", "rpush l e"])
    }

    @Test func unknownListIsFlagged() throws {
        var h = ModelHarness(startsAtBeginningOfHistory: false)
        let d = try h.run("LPUSH l a")
        guard case .unknownPriorState(let key, let reason) = d else { Issue.record("\(d)"); return }
        #expect(key == StateTest.b("l"))
        #expect(reason.contains("LPUSH is not replay-safe"))
        #expect(try h.run("RPOPLPUSH src l").isFlagged)
        #expect(h.state("src") == nil)
    }

    // MARK: Sets

    @Test func sets() throws {
        var h = ModelHarness()
        #expect(try h.run("SADD s m1 m2 m3 m4") == .keep)
        #expect(try h.run("SREM s m2") == .keep)
        #expect(try h.lines("SMOVE s s2 m3") == ["srem s m3", "sadd s2 m3"])
        #expect(try h.lines("SMOVE s s2 nope") == [])
        try h.run("SADD s3 a b c")
        #expect(try h.lines("SUNIONSTORE su s s3") == ["del su", "sadd su a b c m1 m4"])
        #expect(try h.lines("SINTERSTORE si s s3") == ["del si"])
        #expect(try h.lines("SDIFFSTORE sd s3 s") == ["del sd", "sadd sd a b c"])
        #expect(h.set("s") == ["m1", "m4"])
        #expect(h.set("s2") == ["m3"])
        #expect(try h.lines("SREM s2 m3") == ["del s2"])
    }

    @Test func spop() throws {
        var h = ModelHarness()
        try h.run("SADD s a b c")
        #expect(try h.run("SPOP s").isFlagged)  // which member is not in the log
        #expect(h.state("s") == nil)
        try h.run("SADD t a b")
        #expect(try h.lines("SPOP t 5") == ["del t"])
        #expect(try h.lines("SPOP none") == [])
    }

    // MARK: Sorted sets

    @Test func zsets() throws {
        var h = ModelHarness()
        #expect(try h.run("ZADD z 1 one 2 two 3 three") == .keep)
        #expect(try h.lines("ZINCRBY z 2.5 one") == ["zadd z 3.5 one"])
        #expect(try h.lines("ZINCRBY z 10 newmember") == ["zadd z 10 newmember"])
        #expect(try h.run("ZREM z two") == .keep)
        #expect(try h.run("ZADD z -1.5 neg") == .keep)
        #expect(try h.lines("ZREMRANGEBYSCORE z 100 200") == [])
        #expect(try h.lines("ZREMRANGEBYSCORE z (3.5 +inf") == ["zrem z newmember"])
        #expect(h.zset("z") == ["one": 3.5, "three": 3, "neg": -1.5])
        #expect(try h.lines("ZADD z INCR 1 one") == ["zadd z 4.5 one"])
        #expect(try h.lines("ZADD z NX 9 one 9 fresh") == ["zadd z 9 fresh"])
        #expect(try h.lines("ZADD z XX GT 1 one 5 three") == ["zadd z 5 three"])
        #expect(try h.lines("ZREMRANGEBYRANK z 0 0") == ["zrem z neg"])
        #expect(try h.lines("ZPOPMAX z") == ["zrem z fresh"])
        #expect(try h.lines("ZREMRANGEBYRANK z 0 -1") == ["del z"])
        try h.run("ZADD lex 0 a 0 b 0 c 0 d")
        #expect(try h.lines("ZREMRANGEBYLEX lex [b (d") == ["zrem lex b c"])
        var u = ModelHarness(startsAtBeginningOfHistory: false)
        #expect(try u.run("ZADD z 1 a") == .keep)
        #expect(try u.run("ZREMRANGEBYSCORE z 0 1") == .keep)
        #expect(try u.run("ZINCRBY z 1 a").isFlagged)
        #expect(try u.run("ZREMRANGEBYRANK z 0 0").isFlagged)
    }

    @Test func zstores() throws {
        var h = ModelHarness()
        try h.run("ZADD a 1 x 2 y")
        try h.run("ZADD b 10 y 20 z")
        try h.run("SADD s y")
        #expect(try h.lines("ZUNIONSTORE u 2 a b") == ["del u", "zadd u 1 x 12 y 20 z"])
        #expect(try h.lines("ZINTERSTORE i 2 a b WEIGHTS 2 1 AGGREGATE MAX") == ["del i", "zadd i 10 y"])
        #expect(try h.lines("ZINTERSTORE j 2 a s") == ["del j", "zadd j 3 y"])
    }

    // MARK: Streams

    @Test func streams() throws {
        var h = ModelHarness()
        #expect(try h.run("XADD st 1-1 f1 v1") == .keep)
        #expect(try h.run("XADD st 1-2 f2 v2") == .keep)
        #expect(try h.run("XADD st 5-0 a 1") == .keep)
        #expect(try h.run("XADD st MAXLEN 10 6-0 k v") == .keep)
        #expect(try h.run("XDEL st 1-2 9-9") == .keep)
        #expect(try h.lines("XTRIM st MAXLEN 2") == ["xdel st 1-1"])
        #expect(try h.lines("XTRIM st MAXLEN 2") == [])
        #expect(try h.run("XTRIM st MINID 6") == .keep)
        guard case .present(.stream(let entries, let last), _) = h.state("st") else {
            Issue.record("no stream"); return
        }
        #expect(entries.map(\.id.description) == ["6-0"])
        #expect(last.description == "6-0")
        #expect(try h.run("XADD st * f v").isFlagged)  // a generated ID is new on every replay
        #expect(try h.run("XTRIM other MAXLEN ~ 5").isFlagged)
    }

    // MARK: Prior state from a source

    @Test func sourceSeedsKeysOnFirstTouch() throws {
        let source = DictionaryStateSource([
            "cnt": .present(.string(StateTest.b("41")), expiresAtMs: 4_102_444_800_000),
            "l": .present(.list([StateTest.b("a")]), expiresAtMs: nil),
            "gone": .present(.string(StateTest.b("1")), expiresAtMs: 1_000),
            "empty": .absent,
            "zero": .present(.hash([:]), expiresAtMs: nil),  // a Pika meta record with count 0
        ])
        var h = ModelHarness(startsAtBeginningOfHistory: false, source: source)
        #expect(try h.lines("INCR cnt") == ["pksetexat cnt 4102444800 42"])
        #expect(try h.lines("INCR cnt") == ["pksetexat cnt 4102444800 43"])
        #expect(try h.lines("RPUSH l b") == ["del l", "rpush l a b"])
        #expect(try h.lines("INCR gone") == ["set gone 1"])  // expired before the item
        #expect(try h.lines("INCR empty") == ["set empty 1"])
        #expect(try h.lines("HINCRBY zero f 2") == ["hset zero f 2"])
        #expect(try h.run("INCR nosuch").isFlagged)  // the source cannot tell
        #expect(source.asked.count == 6)  // once per key
        #expect(source.asked.allSatisfy { $0.1 == Self.T * 1000 })
    }

    // MARK: Decoded records

    @Test func startOfHistoryIsDetected() throws {
        let basic = try StateTest.items("basic")
        #expect(basic.startsHistory)
    }
}
