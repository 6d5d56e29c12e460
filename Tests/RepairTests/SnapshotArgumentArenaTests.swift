import BinlogFormat
import Testing

@testable import Repair

/// `ArgumentArena`: the verifier's window keeps every item's arguments in one byte buffer.
@Suite struct SnapshotArgumentArenaTests {
    static func bytes(_ texts: [String]) -> [[UInt8]] { texts.map { Array($0.utf8) } }

    @Test func itemsComeBackAsAppendedAfterDroppingAndJoining() {
        var arena = ArgumentArena()
        arena.append(Self.bytes(["SET", "k1", "v1"]))
        arena.append([])
        arena.append(Self.bytes(["DEL", "", "k2"]))
        arena.append(Self.bytes(["HSET", "h", "f", "\u{e9}t\u{e9}"]))
        #expect(arena.count == 4)
        #expect(arena.argumentCount(of: 1) == 0)
        #expect(arena.arguments(of: 1) == [])
        #expect(arena.arguments(of: 2) == Self.bytes(["DEL", "", "k2"]))
        #expect(arena.bytes.count == 3 + 2 + 2 + 3 + 0 + 2 + 4 + 1 + 1 + 5)  // "été" is 5 bytes

        arena.removeFirst(2)
        #expect(arena.count == 2)
        #expect(arena.arguments(of: 0) == Self.bytes(["DEL", "", "k2"]))
        #expect(arena.arguments(of: 1) == Self.bytes(["HSET", "h", "f", "\u{e9}t\u{e9}"]))
        #expect(arena.bytes.count == 5 + 11)

        var after = ArgumentArena()
        after.append(Self.bytes(["RPUSH", "l", "x"]))
        arena.append(contentsOf: after)
        #expect(arena.count == 3)
        #expect(arena.arguments(of: 1) == Self.bytes(["HSET", "h", "f", "\u{e9}t\u{e9}"]))
        #expect(arena.arguments(of: 2) == Self.bytes(["RPUSH", "l", "x"]))

        arena.removeFirst(3)
        #expect(arena.count == 0)
        #expect(arena.bytes.isEmpty)
    }

    /// The window read from the real 3.5.0 binlog (12 000 items) with 5 items kept before the
    /// offset: the kept items' arguments are those Pika logged, after the reader dropped the
    /// earlier ones many times over.
    @Test func aCollectedWindowHoldsTheLoggedArguments() throws {
        let files = try BinlogDirectory(path: SnapshotFixtures.v3Binlog).files
        let references = try SnapshotFixtures.items(SnapshotFixtures.v3Binlog)
        let recorded = try #require(references[11964]).stored
        let window = try BinlogWindowReader.collect(files, recorded: recorded, lookback: 5, forward: 7, startIndex: 0)
        #expect(window.split == 5)
        #expect(window.items.map(\.logicID) == Array(11959...11970))
        #expect(window.arguments.count == 12)

        var logged: [UInt64: [[UInt8]]] = [:]
        var stream = BinlogWindowReader.stream(files)
        while let record = try stream.next() {
            guard case .item(let item) = record, (11959...11970).contains(item.header.logicID) else { continue }
            logged[item.header.logicID] = item.command.ownedArguments()
        }
        #expect(logged.count == 12)
        for (index, item) in window.items.enumerated() {
            #expect(window.arguments.arguments(of: index) == logged[item.logicID], "logic id \(item.logicID)")
        }
    }
}
