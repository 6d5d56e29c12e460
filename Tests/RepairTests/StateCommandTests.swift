import Testing

@testable import PikaStorage
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
}
