import BinlogFormat
import Foundation
import Repair
import Testing

/// ``BinlogFollower`` on the real 3.5.0 crash case (its live `write2file1` holds items up to
/// 1:615216, then Pika's zero-filled preallocation up to 4 MiB), replayed as Pika writes it.
@Suite struct BinlogFollowerTests {
    struct Seen {
        var items: [(id: UInt64, start: PhysicalPosition, end: PhysicalPosition)] = []
        var others: [String] = []
    }

    func poll(_ follower: inout BinlogFollower) throws -> Seen {
        var seen = Seen()
        _ = try follower.poll { record in
            switch record {
            case .item(let item): seen.items.append((item.header.logicID, item.start, item.end))
            case .padding(let p): seen.others.append("padding \(p.kind.rawValue) \(p.start)+\(p.byteCount)")
            case .damage(let d): seen.others.append("damage \(d.start)+\(d.length)")
            }
            return true
        }
        return seen
    }

    @Test func anItemBeingWrittenIsHandedOnOnceCompleteAndTheZeroTailOnlyAfterTheRoll() throws {
        let dir = try CheckFixtures.copy("crash/binlog/log_db0")
        let live = dir + "/write2file1"
        let full = try Data(contentsOf: URL(fileURLWithPath: live))
        #expect(full.count == 4_194_304)
        // Logic id 203 (1:307885..1:615216, 307 331 bytes over several blocks) half copied in:
        // its first 92 115 bytes, zeros after them as in the preallocated file.
        var partial = full.prefix(400_000)
        partial.append(Data(count: full.count - partial.count))
        try partial.write(to: URL(fileURLWithPath: live))

        var follower = BinlogFollower(path: dir, db: nil, start: nil)
        let first = try poll(&follower)
        #expect(first.items.map(\.id) == Array(1...202))
        #expect(first.others.isEmpty)
        #expect(follower.position == PhysicalPosition(fileNumber: 1, offset: 307_885))
        // Nothing new: nothing handed on, the position holds.
        #expect(try poll(&follower).items.isEmpty)
        #expect(follower.position == PhysicalPosition(fileNumber: 1, offset: 307_885))

        // The rest of the item arrives.
        try full.write(to: URL(fileURLWithPath: live))
        let second = try poll(&follower)
        #expect(second.items.map(\.id) == [203])
        #expect(second.items.first?.end == PhysicalPosition(fileNumber: 1, offset: 615_216))
        #expect(second.others.isEmpty)

        // Pika rolls to write2file2: write2file1 is complete, its zero tail final (a real padding).
        FileManager.default.createFile(atPath: dir + "/write2file2", contents: Data())
        let third = try poll(&follower)
        #expect(third.items.isEmpty)
        #expect(third.others == ["padding zero-tail 1:615216+3579088"])
        #expect(follower.position == PhysicalPosition(fileNumber: 1, offset: 4_194_304))
        #expect(try poll(&follower).others.isEmpty)
    }

    @Test func aStartPositionMustBeARecordBoundary() throws {
        let dir = CheckFixtures.path("crash/binlog/log_db0")
        var atItem = BinlogFollower(path: dir, db: nil, start: PhysicalPosition(fileNumber: 1, offset: 307_885))
        #expect(try poll(&atItem).items.map(\.id) == [203])
        var inside = BinlogFollower(path: dir, db: nil, start: PhysicalPosition(fileNumber: 1, offset: 307_886))
        #expect(throws: BinlogFollower.FollowError.self) { _ = try poll(&inside) }
    }
}
