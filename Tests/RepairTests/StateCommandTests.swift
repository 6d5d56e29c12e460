import Testing

@testable import Repair

// The semantics of every command the model replays and the forms each becomes. Times are the
// fixtures' (T = 1795218021); expiries in milliseconds.
@Suite struct StateCommandTests {
    static let T = Int64(StateTest.fixtureTime)

    // MARK: Strings

    @Test func absoluteStringCommandsAreKept() throws {
        var h = ModelHarness()
        #expect(try h.run("SET a 1") == .keep)
        #expect(try h.run("set b 2") == .keep)
        #expect(try h.run("GETSET a 3") == .keep)
        #expect(try h.run("MSET m1 x m2 y") == .keep)
        #expect(try h.run("pksetexat t 1795221621 v") == .keep)
        #expect(h.string("a") == "3")
        #expect(h.string("m2") == "y")
        #expect(h.expiry("t") == 1_795_221_621_000)
        #expect(try h.run("SET c v EXAT 1795221621") == .keep)
        #expect(h.expiry("c") == 1_795_221_621_000)
    }

    @Test func countersBecomeAbsoluteValues() throws {
        var h = ModelHarness()
        #expect(try h.lines("INCR cnt") == ["set cnt 1"])
        #expect(try h.lines("INCR cnt") == ["set cnt 2"])
        #expect(try h.lines("INCRBY cnt 40") == ["set cnt 42"])
        #expect(try h.lines("DECR cnt") == ["set cnt 41"])
        #expect(try h.lines("DECRBY cnt 5") == ["set cnt 36"])
        #expect(try h.lines("INCRBYFLOAT fcnt 2.5") == ["set fcnt 2.5"])
        #expect(try h.lines("INCRBYFLOAT fcnt 0.1") == ["set fcnt 2.6"])
        #expect(h.string("cnt") == "36")
    }

    @Test func countersKeepTheirExpiry() throws {
        var h = ModelHarness()
        try h.run("pksetexat c 1795221621 10")
        #expect(try h.lines("INCR c") == ["pksetexat c 1795221621 11"])
        #expect(try h.lines("APPEND c x") == ["pksetexat c 1795221621 11x"])
        try h.run("pexpireat c 1795221621500")
        #expect(try h.lines("SETRANGE c 0 2") == ["SETRANGE c 0 2", "pexpireat c 1795221621500"])
        #expect(try h.lines("APPEND c y") == ["set c 21xy", "pexpireat c 1795221621500"])
        var r = ModelHarness(dialect: .redis)
        try r.run("pksetexat c 1795221621 10")
        #expect(try r.lines("INCR c") == ["set c 11 EXAT 1795221621"])
        try r.run("pexpireat c 1795221621500")
        #expect(try r.lines("INCR c") == ["set c 12 PXAT 1795221621500"])
    }

    /// A late replay finds a key whose expiry has passed already gone; a write then recreates it
    /// without the expiry. Writes to a key with an expiry are followed by the expiry again.
    @Test func writesToKeysWithAnExpiryReassertIt() throws {
        var h = ModelHarness()
        try h.run("HSET h f v")
        #expect(try h.run("HSET h g w") == .keep)  // no expiry: as logged
        try h.run("expireat h 1795224021")
        #expect(try h.lines("HSET h after restart") == ["HSET h after restart", "expireat h 1795224021"])
        // The same expiry right after it (this rewrite's own output, read back) is redundant.
        #expect(try h.lines("expireat h 1795224021") == [])
        #expect(try h.lines("HINCRBY h n 1") == ["hset h n 1", "expireat h 1795224021"])
        #expect(try h.lines("expireat h 1795224020") == nil)  // an earlier one: kept
        try h.run("SADD s a")
        try h.run("pexpireat s 1795224021500")
        #expect(try h.lines("SADD s b") == ["SADD s b", "pexpireat s 1795224021500"])
        #expect(try h.lines("SREM s b") == nil)  // cannot create the key: kept
        try h.run("ZADD z 1 a")
        try h.run("expireat z 1795224021")
        #expect(try h.lines("ZINCRBY z 1 a") == ["zadd z 2 a", "expireat z 1795224021"])
        #expect(try h.lines("ZADD z 5 b") == ["ZADD z 5 b", "expireat z 1795224021"])
        #expect(try h.lines("SMOVE s z2 a") == ["del s", "sadd z2 a"])  // s emptied; z2 has no expiry
        try h.run("SADD d x")
        try h.run("expireat d 1795224021")
        #expect(try h.lines("SMOVE s d a") == [])  // s is gone: nothing moves
        try h.run("SADD s a")
        #expect(try h.lines("SMOVE s d a") == ["del s", "sadd d a", "expireat d 1795224021"])
    }

    /// The other way round: a key the log keeps alive past its old expiry may already be gone when
    /// a late replay reaches the PERSIST or the later expiry; those are written as the whole key.
    @Test func extendingOrRemovingAnExpiryWritesTheWholeKey() throws {
        let t = Self.T
        var h = ModelHarness()
        try h.run("RPUSH l a b")
        #expect(
            try h.run("EXPIRE l 86400")
                == .replace([[StateTest.b("expireat"), StateTest.b("l"), StateTest.b("\(t + 86400)")]]))
        #expect(try h.lines("PERSIST l") == ["del l", "rpush l a b"])
        #expect(try h.run("PERSIST l") == .keep)  // no expiry to remove
        try h.run("SET s v")
        try h.run("expireat s \(t + 10)")
        #expect(try h.lines("expireat s \(t + 20)") == ["pksetexat s \(t + 20) v"])
        #expect(try h.run("expireat s \(t + 5)") == .keep)  // shortening: cannot resurrect anything
        try h.run("HSET hh f v")
        try h.run("expireat hh \(t + 10)")
        #expect(
            try h.lines("pexpireat hh \(t * 1000 + 20500)") == [
                "del hh", "hmset hh f v", "pexpireat hh \(t * 1000 + 20500)",
            ])
        try h.run("ZADD z 1 a")
        try h.run("expireat z \(t + 10)")
        #expect(try h.lines("PERSIST z") == ["del z", "zadd z 1 a"])
    }

    @Test func counterOnExpiredKeyStartsFromZero() throws {
        var h = ModelHarness()
        try h.run("pksetexat c 1795218000 10")  // already 21 s in the past
        #expect(try h.lines("INCR c") == ["set c 1"])
        try h.run("pksetexat d 1795218021 10")  // expires in the exec second: ambiguous
        #expect(try h.run("INCR d").isFlagged)
        #expect(h.state("d") == nil)
    }

    @Test func failingCounterMeansTheModelDiverged() throws {
        var h = ModelHarness()
        try h.run("SET s hello")
        let d = try h.run("INCR s")
        guard case .unknownPriorState(let key, let reason) = d else { Issue.record("\(d)"); return }
        #expect(key == StateTest.b("s"))
        #expect(reason.contains("not an integer"))
        #expect(h.state("s") == nil)
        try h.run("SET n 9223372036854775807")
        #expect(try h.run("INCR n").isFlagged)
    }

    @Test func appendWritesTheWholeValue() throws {
        var h = ModelHarness()
        try h.run("SET str:a hello")
        #expect(try h.lines("APPEND str:a _world") == ["set str:a hello_world"])
        #expect(try h.lines("APPEND new v") == ["set new v"])
    }

    @Test func pika401MillisecondPksetexatIsFixed() throws {
        var h = ModelHarness()
        #expect(try h.lines("pksetexat k 1795221621000 v") == ["pksetexat k 1795221621 v"])
        #expect(try h.lines("pksetexat k 1795221621123 v") == ["set k v", "pexpireat k 1795221621123"])
        #expect(h.expiry("k") == 1_795_221_621_123)
        #expect(try h.run("pksetexat z 0 v") == .keep)  // v3.5.5+/v4 counter form: no expiry
        #expect(h.expiry("z") == nil)
        #expect(h.string("z") == "v")
        var r = ModelHarness(dialect: .redis)
        #expect(try r.lines("pksetexat k 1795221621 v") == ["set k v EXAT 1795221621"])
        #expect(try r.lines("pksetexat k 1795221621123 v") == ["set k v PXAT 1795221621123"])
        #expect(try r.lines("pksetexat k 0 v") == ["set k v"])
    }

    @Test func relativeExpiriesBecomeAbsolute() throws {
        var h = ModelHarness()
        #expect(try h.lines("SETEX a 100 v") == ["pksetexat a \(Self.T + 100) v"])
        #expect(try h.lines("PSETEX b 1500 v") == ["set b v", "pexpireat b \(Self.T * 1000 + 1500)"])
        #expect(try h.lines("SET c v EX 10") == ["pksetexat c \(Self.T + 10) v"])
        #expect(try h.lines("SET d v PX 2000") == ["pksetexat d \(Self.T + 2) v"])
        #expect(try h.lines("EXPIRE a 50") == ["expireat a \(Self.T + 50)"])
        #expect(h.expiry("a") == (Self.T + 50) * 1000)
        // Later than the expiry it had: the whole key again (see extendingOrRemovingAnExpiry…).
        #expect(try h.lines("PEXPIRE a 50001") == ["set a v", "pexpireat a \(Self.T * 1000 + 50001)"])
        #expect(try h.lines("PEXPIRE a 40001") == ["pexpireat a \(Self.T * 1000 + 40001)"])
        #expect(try h.lines("EXPIRE missing 10") == [])  // no key: no effect
        var u = ModelHarness(startsAtBeginningOfHistory: false)
        // The absolute form needs no prior state.
        #expect(try u.lines("EXPIRE x 10") == ["expireat x \(Self.T + 10)"])
    }

    @Test func expiryInThePastDeletes() throws {
        var h = ModelHarness()
        try h.run("SET a v")
        #expect(try h.run("EXPIREAT a 1000") == .keep)
        #expect(h.state("a") == .absent)
        try h.run("SET b v")
        #expect(try h.run("PERSIST b") == .keep)
        try h.run("expireat b 4102444800")
        #expect(h.expiry("b") == 4_102_444_800_000)
        try h.run("PERSIST b")
        #expect(h.expiry("b") == nil)
    }

    @Test func expireConditions() throws {
        var h = ModelHarness()
        try h.run("SET a v")
        #expect(try h.lines("EXPIREAT a 1795300000 XX") == [])
        #expect(try h.lines("EXPIREAT a 1795300000 NX") == ["expireat a 1795300000"])
        #expect(try h.lines("EXPIREAT a 1795200000 GT") == [])
        #expect(try h.lines("PEXPIREAT a 1795290000000 LT") == ["expireat a 1795290000"])
        var u = ModelHarness(startsAtBeginningOfHistory: false)
        #expect(try u.run("EXPIREAT a 1795300000 NX").isFlagged)
    }

    @Test func setConditionsAndKeepTTL() throws {
        var h = ModelHarness()
        #expect(try h.lines("SETNX k first") == ["set k first"])
        #expect(try h.lines("setnx k second") == [])
        #expect(h.string("k") == "first")
        #expect(try h.lines("SET k v XX") == ["set k v"])
        #expect(try h.lines("SET j v XX") == [])
        #expect(try h.lines("SET k w NX") == [])
        try h.run("expireat k 1795300000")
        #expect(try h.lines("SET k w KEEPTTL") == ["pksetexat k 1795300000 w"])
        #expect(try h.lines("MSETNX k a q b") == [])
        #expect(try h.lines("MSETNX p a q b") == ["set p a", "set q b"])
        var u = ModelHarness(startsAtBeginningOfHistory: false)
        #expect(try u.run("SETNX k v").isFlagged)
        #expect(u.state("k") == nil)
    }

    @Test func setrangeAndSetbitAreKeptAndModelled() throws {
        var h = ModelHarness()
        try h.run("SET s hello")
        #expect(try h.run("SETRANGE s 0 J") == .keep)
        #expect(h.string("s") == "Jello")
        try h.run("SETRANGE p 3 x")
        #expect(h.state("p") == .present(.string([0, 0, 0, 120]), expiresAtMs: nil))
        try h.run([StateTest.b("SETRANGE"), StateTest.b("e"), StateTest.b("3"), []])
        #expect(h.state("e") == .absent)  // an empty value on a missing key creates nothing
        #expect(try h.run("SETBIT bits 7 1") == .keep)
        try h.run("SETBIT bits 100 1")
        try h.run("SETBIT bits 7 0")
        var expected = [UInt8](repeating: 0, count: 13)
        expected[12] = 0x08
        #expect(h.state("bits") == .present(.string(expected), expiresAtMs: nil))
    }

    @Test func bitopBecomesSet() throws {
        var h = ModelHarness()
        try h.run([StateTest.b("SET"), StateTest.b("a"), [0xF0, 0x0F]])
        try h.run([StateTest.b("SET"), StateTest.b("b"), [0xFF]])
        let d = try h.run("BITOP AND d a b")
        #expect(d == .replace([[StateTest.b("set"), StateTest.b("d"), [0xF0, 0x00]]]))
        #expect(try h.lines("BITOP OR e none1 none2") == ["del e"])
    }

    @Test func hyperLogLogIsKeptButNotModelled() throws {
        var h = ModelHarness()
        let d = try h.run("PFADD hll a b c")
        guard case .keepUnmodelled(let key, _) = d else { Issue.record("\(d)"); return }
        #expect(key == StateTest.b("hll"))
        #expect(h.state("hll") == nil)
        #expect(try h.run("APPEND hll x").isFlagged)
        try h.run("DEL hll")
        #expect(h.state("hll") == .absent)
        #expect(try h.run("PFMERGE d hll").isFlagged)
    }

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
