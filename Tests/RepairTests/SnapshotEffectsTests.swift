import BinlogFormat
import Foundation
import Testing

@testable import PikaStorage
@testable import Repair

/// The verifier's partial model (`CommandEffects` over `KeyState`): checked against
/// `KeyspaceModel` on the commands of real Pika binlogs, and on partly known states.
@Suite struct SnapshotEffectsTests {
    /// Every fully known state of the partial model equals `KeyspaceModel`'s, item by item, on
    /// the real 3.5.0 and 4.0.1 binlogs (strings with every SET option, counters, APPEND,
    /// SETRANGE, hashes, lists with LINSERT/LSET/LREM/LTRIM/RPOPLPUSH, sets, zsets, expiries, DEL).
    @Test(arguments: ["basic/binlog/log_db0", "v4-basic/binlog/log_db0", "bgsave/binlog/log_db0"])
    func partialModelAgreesWithTheKeyspaceModel(_ relative: String) throws {
        let committed = StorageFixtures.root + "/pika-real/" + relative
        let directory = FileManager.default.fileExists(atPath: committed) ? committed : SnapshotFixtures.shared + "/" + relative
        let files = try BinlogDirectory(path: directory).files
        var stream = BinlogWindowReader.stream(files)
        let effects = CommandEffects()
        var mine: [[UInt8]: KeyState] = [:]
        var exact = KeyspaceModel(startsAtBeginningOfHistory: true)
        var compared = 0
        var disagreements: [String] = []
        var count = 0
        while let record = try stream.next(), count < 3000 {
            guard case .item(let item) = record else { continue }
            count += 1
            let command = LoggedCommand(arguments: item.command.ownedArguments())
            let footprint = effects.footprint(of: command)
            for (key, _) in footprint.keys where mine[key] == nil { mine[key] = .absent }
            effects.apply(command, at: Int64(item.header.execTime), to: &mine)
            _ = try exact.rewrite(command.arguments, execTimeSeconds: item.header.execTime)
            for (key, _) in footprint.keys {
                guard let known = exact.storedState(of: key), let state = mine[key] else { continue }
                let reference = KeyState(exact: known, over: .absent, allTypes: true)
                for type in KeyState.modelledTypes where fullyKnown(state, type) {
                    compared += 1
                    if !same(state, reference, type) {
                        disagreements.append("logic id \(item.header.logicID) \(commandLine(command.arguments)): \(type) of \(printable(key))")
                    }
                }
            }
        }
        #expect(compared > 100)
        #expect(disagreements.isEmpty, "\(disagreements.prefix(10))")
    }

    private func fullyKnown(_ s: KeyState, _ type: PikaDataType) -> Bool {
        switch type {
        case .string: return s.string.value.isKnown && s.string.expiry.isKnown
        case .hash: return s.hash.complete && s.hash.expiry.isKnown && !s.hash.entries.values.contains(.presentWithUnknownValue)
        case .set: return s.set.complete && s.set.expiry.isKnown
        case .zset: return s.zset.complete && s.zset.expiry.isKnown && !s.zset.entries.values.contains(.presentWithUnknownValue)
        case .list: return s.list.complete && s.list.expiry.isKnown
        case .stream: return false
        }
    }

    private func same(_ a: KeyState, _ b: KeyState, _ type: PikaDataType) -> Bool {
        func expiry(_ k: Known<ExpirySeconds>) -> ExpirySeconds? { if case .known(let e) = k { return e } else { return nil } }
        switch type {
        case .string:
            if a.string.value == .known(nil) { return b.string.value == .known(nil) }
            return a.string.value == b.string.value && expiriesAgree(expiry(a.string.expiry) ?? nil, expiry(b.string.expiry) ?? nil)
        case .hash:
            return a.hash.entries == b.hash.entries && (a.hash.entries.isEmpty || expiriesAgree(expiry(a.hash.expiry) ?? nil, expiry(b.hash.expiry) ?? nil))
        case .set:
            return a.set.entries == b.set.entries && (a.set.entries.isEmpty || expiriesAgree(expiry(a.set.expiry) ?? nil, expiry(b.set.expiry) ?? nil))
        case .zset:
            return a.zset.entries == b.zset.entries && (a.zset.entries.isEmpty || expiriesAgree(expiry(a.zset.expiry) ?? nil, expiry(b.zset.expiry) ?? nil))
        case .list:
            return a.list.head == b.list.head && (a.list.head.isEmpty || expiriesAgree(expiry(a.list.expiry) ?? nil, expiry(b.list.expiry) ?? nil))
        case .stream:
            return true
        }
    }

    // MARK: Partly known states

    private func run(_ commands: [[String]], from initial: KeyState = .unknown, key: String = "k") -> KeyState {
        var states: [[UInt8]: KeyState] = [bytes(key): initial]
        for (index, command) in commands.enumerated() {
            CommandEffects().apply(LoggedCommand(arguments: command.map(bytes)), at: 1_000 + Int64(index), to: &states)
        }
        return states[bytes(key)]!
    }

    @Test func listEndsOfAnUnknownList() {
        let state = run([["RPUSH", "k", "a", "b"], ["LPUSH", "k", "x", "y"], ["RPOP", "k"]])
        #expect(state.list.head == [bytes("y"), bytes("x")])
        #expect(state.list.tail == [bytes("a")])
        #expect(!state.list.complete)
        #expect(state.list.exists == .known(true))
        // Popping past what is known forgets the list.
        let forgotten = run([["RPUSH", "k", "a"], ["RPOP", "k", "2"]])
        #expect(forgotten.list == .unknown)
    }

    @Test func fieldsOfAnUnknownHash() {
        let state = run([["HSET", "k", "f", "1"], ["HINCRBY", "k", "f", "4"], ["HINCRBY", "k", "g", "2"], ["HDEL", "k", "h"]])
        #expect(state.hash.entry(bytes("f")) == .present(bytes("5")))
        #expect(state.hash.entry(bytes("g")) == .presentWithUnknownValue)
        #expect(state.hash.entry(bytes("h")) == .absent)
        #expect(state.hash.entry(bytes("other")) == .unknown)
        #expect(state.hash.count == .unknown)
        #expect(state.hash.exists == .known(true))
    }

    @Test func conditionalWritesOnUnknownKeys() {
        #expect(run([["SETNX", "k", "v"]]).string == .unknown)
        #expect(run([["SET", "k", "v", "NX"]]).string == .unknown)
        #expect(run([["SETNX", "k", "v"]], from: .absent).string == StringState(value: .known(bytes("v")), expiry: .known(nil)))
        let zset = run([["ZADD", "k", "NX", "1", "a"], ["ZADD", "k", "XX", "2", "b"], ["ZADD", "k", "3", "c"]])
        #expect(zset.zset.entry(bytes("a")) == .unknown)
        #expect(zset.zset.entry(bytes("b")) == .unknown)
        #expect(zset.zset.entry(bytes("c")) == .present(3))
        let incr = run([["ZADD", "k", "INCR", "2", "m"]], from: .absent)
        #expect(incr.zset.entry(bytes("m")) == .present(2))
    }

    @Test func expiriesAreJudgedAtEachItemsTime() {
        // Expires at 1001: the INCR at 1002 starts from nothing.
        let state = run([["pksetexat", "k", "1001", "41"], ["SET", "other", "x"], ["INCR", "k"]], from: .absent)
        #expect(state.string == StringState(value: .known(bytes("1")), expiry: .known(nil)))
        // EXPIRE on an unknown key: the expiry is known, the value is not.
        let expired = run([["EXPIRE", "k", "100"]])
        #expect(expired.string.expiry == .known(1_100))
        #expect(expired.string.value == .unknown)
        #expect(run([["EXPIRE", "k", "0"]]) == .absent)
    }

    @Test func unknownCommandsForgetTheirKey() {
        let state = run([["SET", "k", "v"], ["GEOADD", "k", "1", "2", "m"]])
        #expect(state == .unknown)
        #expect(CommandEffects().isUnsafeToReplay(LoggedCommand(arguments: [bytes("INCRBY"), bytes("k"), bytes("1")])))
        #expect(!CommandEffects().isUnsafeToReplay(LoggedCommand(arguments: [bytes("lrem"), bytes("k"), bytes("0"), bytes("v")])))
        #expect(CommandEffects().isUnsafeToReplay(LoggedCommand(arguments: [bytes("lrem"), bytes("k"), bytes("2"), bytes("v")])))
        #expect(CommandEffects().isUnsafeToReplay(LoggedCommand(arguments: [bytes("zadd"), bytes("k"), bytes("INCR"), bytes("1"), bytes("m")])))
        #expect(!CommandEffects().isUnsafeToReplay(LoggedCommand(arguments: [bytes("set"), bytes("k"), bytes("v")])))
    }
}
