import Foundation
import RocksSnapshot
import Testing

@testable import PikaStorage
@testable import Repair

/// Reads the real Pika 3.5.0 and 4.0.1 bgsave dumps and slave databases under Fixtures/pika-real,
/// and checks the facts their NOTES.md records (read back there with Pika itself).
@Suite(.enabled(if: RocksDBExpectation.expected, "needs librocksdb (the RocksDB trait)")) struct StorageRealDumpTests {
    // MARK: Pika 3.5.0 dump

    @Test func v3DumpLayoutAndVersion() throws {
        let snapshot = try PikaSnapshot(directory: StorageFixtures.v3Dump)
        #expect(snapshot.layout == .perType(hasStreams: false))
        #expect(snapshot.version == .v3)
    }

    @Test(arguments: [11726, 11728, 11729])
    func v3DumpHoldsStringsUpToTheDoubleApply(_ n: Int) throws {
        let snapshot = try PikaSnapshot(directory: StorageFixtures.v3Dump)
        let key = bytes("bgw:key:\(n)")
        let expected = bytes("v\(n)-" + String(repeating: "x", count: 40))
        #expect(try snapshot.string(key, at: StorageFixtures.v3DumpTime) == expected)
        #expect(try snapshot.types(of: key, at: StorageFixtures.v3DumpTime) == [.string])
        #expect(try snapshot.expiration(of: key, at: StorageFixtures.v3DumpTime) == .persistent)
    }

    @Test(arguments: [11730, 12000])
    func v3DumpLacksLaterStrings(_ n: Int) throws {
        let snapshot = try PikaSnapshot(directory: StorageFixtures.v3Dump)
        let key = bytes("bgw:key:\(n)")
        #expect(try snapshot.string(key, at: StorageFixtures.v3DumpTime) == nil)
        #expect(try !snapshot.exists(key, at: StorageFixtures.v3DumpTime))
        #expect(try snapshot.records(for: key).isEmpty)
        #expect(try snapshot.expiration(of: key, at: StorageFixtures.v3DumpTime) == .noSuchKey)
    }

    @Test func v3DumpCollections() throws {
        let snapshot = try PikaSnapshot(directory: StorageFixtures.v3Dump)
        let at = StorageFixtures.v3DumpTime

        // Writer command n: n % 20 == 7 → RPUSH bgw:list n; 13 → HINCRBY bgw:hash ctr 1;
        // 17 → ZADD bgw:zset n m<n>; commands 0…11729 are in the dump.
        #expect(try snapshot.listLength(bytes("bgw:list"), at: at) == 587)
        let elements = try snapshot.listElements(bytes("bgw:list"), at: at)
        #expect(elements == stride(from: 7, through: 11729, by: 20).map { bytes(String($0)) })

        #expect(try snapshot.hashField(bytes("bgw:hash"), field: bytes("ctr"), at: at) == bytes("586"))
        #expect(try snapshot.hashLength(bytes("bgw:hash"), at: at) == 1)
        #expect(
            try snapshot.hashFields(bytes("bgw:hash"), at: at) == [HashField(field: bytes("ctr"), value: bytes("586"))])

        #expect(try snapshot.zsetCardinality(bytes("bgw:zset"), at: at) == 586)
        let expected = stride(from: 17, through: 11729, by: 20).map {
            ZSetMember(member: bytes("m\($0)"), score: Double($0))
        }
        #expect(expected.count == 586)
        #expect(try snapshot.zsetMembers(bytes("bgw:zset"), at: at) == expected)
        // The score index, read through the Swift blackwidow.ZSetsScoreKeyComparator, is in
        // numeric score order (the stored bytes are not order-preserving).
        #expect(try snapshot.zsetMembersByScoreIndex(bytes("bgw:zset"), at: at) == expected)
        #expect(try snapshot.zsetScore(bytes("bgw:zset"), member: bytes("m11717"), at: at) == 11717)
        #expect(try snapshot.zsetScore(bytes("bgw:zset"), member: bytes("m11737"), at: at) == nil)

        #expect(try snapshot.types(of: bytes("bgw:list"), at: at) == [.list])
        #expect(try snapshot.types(of: bytes("bgw:zset"), at: at) == [.zset])
        #expect(try snapshot.hashField(bytes("bgw:list"), field: bytes("ctr"), at: at) == nil)
    }

    @Test func v3DumpEveryRecordDecodes() throws {
        let snapshot = try PikaSnapshot(directory: StorageFixtures.v3Dump)
        var counts: [PikaDataType: Int] = [:]
        var writerStrings = 0
        try snapshot.forEachRecord { record in
            counts[record.type, default: 0] += 1
            if record.type == .string && record.key.starts(with: bytes("bgw:key:")) { writerStrings += 1 }
        }
        // Commands 0…11729 minus the 3 × 587/586/586 collection commands are SETs.
        #expect(writerStrings == 11730 - 587 - 586 - 586)
        #expect(counts[.list, default: 0] >= 1 && counts[.hash, default: 0] >= 1 && counts[.zset, default: 0] >= 1)
    }

    // MARK: Pika 4.0.1 dump

    @Test func v4DumpLayoutAndVersion() throws {
        let snapshot = try PikaSnapshot(directory: StorageFixtures.v4Dump)
        #expect(snapshot.layout == .instances(count: 3))
        #expect(snapshot.version == .v4_0_1)
    }

    @Test(arguments: 9340...9349)
    func v4DumpStringsMatchTheOffset(_ n: Int) throws {
        // Routed lookups only: proves the crc32 slot rule finds every key.
        let snapshot = try PikaSnapshot(
            directory: StorageFixtures.v4Dump, options: .init(searchAllInstances: false))
        let key = bytes("w4:key:\(n)")
        let value = try snapshot.string(key, at: StorageFixtures.v4DumpTime)
        if n <= 9343 {
            #expect(value == bytes("v\(n)-" + String(repeating: "x", count: 36)))
            let record = try #require(try snapshot.records(for: key).first)
            #expect(record.location == .instance(snapshot.routedInstance(of: key)!))
            #expect(record.expiry == nil)
            // 4.0.1 ctime: milliseconds, within a few minutes of the BGSAVE.
            let ctime = try #require(record.creationTime)
            #expect(abs(ctime.milliseconds - StorageFixtures.v4DumpTime.milliseconds) < 300_000)
        } else {
            #expect(value == nil)
            #expect(try !snapshot.exists(key, at: StorageFixtures.v4DumpTime))
        }
    }

    @Test func v4DumpCollections() throws {
        let snapshot = try PikaSnapshot(directory: StorageFixtures.v4Dump)
        let at = StorageFixtures.v4DumpTime

        #expect(try snapshot.listLength(bytes("w4:list"), at: at) == 467)
        #expect(
            try snapshot.listElements(bytes("w4:list"), at: at)
                == stride(from: 7, through: 9343, by: 20).map { bytes(String($0)) })

        #expect(try snapshot.hashField(bytes("w4:hash"), field: bytes("ctr"), at: at) == bytes("467"))
        #expect(
            try snapshot.hashFields(bytes("w4:hash"), at: at) == [HashField(field: bytes("ctr"), value: bytes("467"))])

        let expected = stride(from: 17, through: 9343, by: 20).map {
            ZSetMember(member: bytes("m\($0)"), score: Double($0))
        }
        #expect(expected.count == 467)
        #expect(try snapshot.zsetCardinality(bytes("w4:zset"), at: at) == 467)
        #expect(try snapshot.zsetMembers(bytes("w4:zset"), at: at) == expected)
        #expect(try snapshot.zsetMembersByScoreIndex(bytes("w4:zset"), at: at) == expected)
        #expect(try snapshot.type(of: bytes("w4:zset"), at: at) == .zset)
        #expect(try snapshot.type(of: bytes("w4:list"), at: at) == .list)
        #expect(try snapshot.type(of: bytes("w4:hash"), at: at) == .hash)
    }

    @Test func v4DumpEveryKeyLivesInItsRoutedInstance() throws {
        let snapshot = try PikaSnapshot(directory: StorageFixtures.v4Dump)
        var writerStrings = 0
        var misrouted: [[UInt8]] = []
        var perInstance = [0, 0, 0]
        try snapshot.forEachRecord { record in
            guard case .instance(let index) = record.location else { return }
            perInstance[index] += 1
            if record.type == .string && record.key.starts(with: bytes("w4:key:")) { writerStrings += 1 }
            if snapshot.routedInstance(of: record.key) != index { misrouted.append(record.key) }
        }
        // Commands 0…9343 minus 3 × 467 collection commands are SETs.
        #expect(writerStrings == 9344 - 3 * 467)
        #expect(misrouted.isEmpty)
        #expect(perInstance.allSatisfy { $0 > 2000 })
    }

    // MARK: Slave databases (live dirs after a clean stop)

    /// The slave dirs are live databases (with the LOCK files the stopped server left). Their
    /// post-FLUSHALL writes were never flushed: every MANIFEST lists no SST file, and the keys live
    /// only in the WAL files (`*.log`). Opened read-only (ignoring LOCK, writing nothing), RocksDB
    /// replays those WALs into memory, and the keys NOTES.md says the slave holds are exactly there.
    @Test(arguments: [StorageFixtures.v3SlaveDB, StorageFixtures.v4SlaveDB])
    func slaveDatabaseAfterFlushAll(_ directory: String) throws {
        let snapshot = try PikaSnapshot(directory: directory)
        let at = UnixTime(seconds: 1_900_000_000)
        let files = try FileManager.default.subpathsOfDirectory(atPath: directory)
        #expect(!files.contains { $0.hasSuffix(".sst") })
        #expect(files.contains { $0.hasSuffix(".log") })
        #expect(!TreeFingerprint.files(named: "LOCK", under: directory).isEmpty)

        var keys: [[UInt8]] = []
        try snapshot.forEachRecord { keys.append($0.key) }
        #expect(keys.sorted { $0.lexicographicallyPrecedes($1) } == [bytes("after-flushall"), bytes("after-flushall-l"), bytes("final")])
        #expect(try snapshot.string(bytes("after-flushall"), at: at) == bytes("3"))
        #expect(try snapshot.listElements(bytes("after-flushall-l"), at: at) == [bytes("a"), bytes("b"), bytes("c")])
        #expect(try snapshot.string(bytes("final"), at: at) == bytes("x"))
        // Written between the FLUSHDB and the FLUSHALL, so gone.
        #expect(try snapshot.type(of: bytes("after-flushdb"), at: at) == nil)
        #expect(try snapshot.type(of: bytes("after-flushdb-h"), at: at) == nil)
    }

    // MARK: Read-only proof

    /// Opening and reading every record changes no byte of the dump directories and creates
    /// no file (no LOCK, no LOG, no MANIFEST, no OPTIONS).
    @Test(arguments: [
        StorageFixtures.v3Dump, StorageFixtures.v4Dump, StorageFixtures.v3SlaveDB, StorageFixtures.v4SlaveDB,
    ])
    func readingLeavesTheDirectoryUntouched(_ directory: String) throws {
        let before = try TreeFingerprint.of(directory)
        let locksBefore = TreeFingerprint.files(named: "LOCK", under: directory)
        do {
            let snapshot = try PikaSnapshot(directory: directory)
            var count = 0
            try snapshot.forEachRecord { _ in count += 1 }
            for key in ["bgw:list", "w4:list"] {
                _ = try snapshot.listElements(bytes(key), at: StorageFixtures.v4DumpTime)
            }
            for key in ["bgw:zset", "w4:zset"] {
                _ = try snapshot.zsetMembersByScoreIndex(bytes(key), at: StorageFixtures.v4DumpTime)
            }
            // Still open here: nothing may have been created while open either.
            #expect(try TreeFingerprint.of(directory) == before)
        }
        #expect(try TreeFingerprint.of(directory) == before)
        #expect(TreeFingerprint.files(named: "LOCK", under: directory) == locksBefore)
        if directory.contains("dump") { #expect(locksBefore.isEmpty) }
    }
}
