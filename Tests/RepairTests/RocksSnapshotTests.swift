import Foundation
@_spi(Testing) import RocksSnapshot
import Testing

@testable import PikaStorage
@testable import Repair

/// The RocksDB wrapper on its own: read-only opens, comparators, iterators, errors, locking.
@Suite(.enabled(if: RocksDBExpectation.expected, "needs librocksdb (the RocksDB trait)")) struct RocksSnapshotTests {
    /// Reverse bytewise order, registered under a custom name.
    static let reverse = KeyComparator(name: "test.ReverseBytewise") { a, b in
        -KeyComparator.compareBytewise(a, b)
    }

    /// Builds `<dir>/db` with `default` (bytewise) and `rev` (reverse comparator).
    static func makeDatabase(in directory: String, flush: Bool = true) throws -> String {
        let path = directory + "/db"
        let writer = try DatabaseWriter(
            creatingAt: path,
            columnFamilies: [ColumnFamilyDescriptor("default"), ColumnFamilyDescriptor("rev", comparator: reverse)])
        let plain = try #require(writer.columnFamily(named: "default"))
        let rev = try #require(writer.columnFamily(named: "rev"))
        for key in ["b", "a", "c", "ab", ""] {
            try writer.put(bytes(key), bytes("v-" + key), in: plain)
            try writer.put(bytes(key), bytes("r-" + key), in: rev)
        }
        try writer.put([0xFF, 0x00], [0x00], in: plain)
        try writer.delete(bytes("c"), in: plain)
        if flush { try writer.flush() }
        writer.close()
        return path
    }

    static func scan(_ iterator: DatabaseIterator) throws -> [[UInt8]] {
        var keys: [[UInt8]] = []
        iterator.seekToFirst()
        while iterator.isValid {
            keys.append(iterator.key)
            iterator.next()
        }
        try iterator.checkStatus()
        return keys
    }

    @Test(arguments: [true, false])
    func writeThenReadBackReadOnly(flush: Bool) throws {
        let temp = try TemporaryDirectory("rocks-roundtrip")
        let path = try Self.makeDatabase(in: temp.path, flush: flush)
        #expect(try ReadOnlyDatabase.columnFamilyNames(at: path) == ["default", "rev"])

        let db = try ReadOnlyDatabase(
            path: path,
            columnFamilies: [
                ColumnFamilyDescriptor("default"), ColumnFamilyDescriptor("rev", comparator: Self.reverse),
            ])
        #expect(db.columnFamilies.map(\.name) == ["default", "rev"])
        let plain = try #require(db.columnFamily(named: "default"))
        let rev = try #require(db.columnFamily(named: "rev"))
        #expect(db.columnFamily(named: "missing") == nil)

        #expect(try db.get(bytes("a"), in: plain) == bytes("v-a"))
        #expect(try db.get(bytes(""), in: plain) == bytes("v-"))
        #expect(try db.get(bytes("c"), in: plain) == nil)  // deleted
        #expect(try db.get(bytes("c"), in: rev) == bytes("r-c"))
        #expect(try db.get(bytes("zz"), in: plain) == nil)
        #expect(try db.get([0xFF, 0x00], in: plain) == [0x00])

        // Iteration follows each column family's comparator; without flush the writes came
        // from WAL replay.
        #expect(
            try Self.scan(db.makeIterator(over: plain)) == [[], bytes("a"), bytes("ab"), bytes("b"), [0xFF, 0x00]])
        #expect(try Self.scan(db.makeIterator(over: rev)) == [bytes("c"), bytes("b"), bytes("ab"), bytes("a"), []])

        let iterator = db.makeIterator(over: plain)
        iterator.seek(to: bytes("aa"))
        #expect(iterator.isValid && iterator.key == bytes("ab") && iterator.value == bytes("v-ab"))
        iterator.previous()
        #expect(iterator.key == bytes("a"))
        iterator.seekToLast()
        #expect(iterator.key == [0xFF, 0x00])
        iterator.next()
        #expect(!iterator.isValid)
        try iterator.checkStatus()
        iterator.seek(to: bytes("bb"))
        #expect(iterator.isValid && iterator.withKey { Array($0) } == [0xFF, 0x00])
        #expect(iterator.withValue { $0.count } == 1)
    }

    @Test func iteratorKeepsTheDatabaseOpen() throws {
        let temp = try TemporaryDirectory("rocks-iter-lifetime")
        let path = try Self.makeDatabase(in: temp.path)
        var db: ReadOnlyDatabase? = try ReadOnlyDatabase(
            path: path, columnFamilies: [ColumnFamilyDescriptor("default")])
        let iterator = db!.makeIterator(over: db!.columnFamilies[0])
        db = nil
        #expect(try Self.scan(iterator).count == 5)
    }

    @Test func wrongComparatorNameIsRejectedWithRocksDBsMessage() throws {
        let temp = try TemporaryDirectory("rocks-wrong-comparator")
        let path = try Self.makeDatabase(in: temp.path)
        #expect(
            throws: RocksSnapshotError.rocksDB(
                operation: .open, path: path, columnFamily: nil,
                message:
                    "Invalid argument: leveldb.BytewiseComparator: does not match existing comparator test.ReverseBytewise"
            )
        ) {
            try ReadOnlyDatabase(path: path, columnFamilies: [ColumnFamilyDescriptor("rev")])
        }
    }

    @Test func columnFamiliesMayBeLeftOutAndDefaultIsAdded() throws {
        let temp = try TemporaryDirectory("rocks-subset")
        let path = try Self.makeDatabase(in: temp.path)
        // Leaving out `rev` means its comparator is never checked.
        let db = try ReadOnlyDatabase(path: path, columnFamilies: [])
        #expect(db.columnFamilies.map(\.name) == ["default"])
        #expect(try db.get(bytes("b"), in: db.columnFamilies[0]) == bytes("v-b"))
    }

    @Test func openErrorsCarryPathAndMessage() throws {
        let temp = try TemporaryDirectory("rocks-errors")
        let missing = temp.path + "/nope"
        let error = #expect(throws: RocksSnapshotError.self) {
            try ReadOnlyDatabase(path: missing, columnFamilies: [])
        }
        guard case .rocksDB(.open, let errorPath, nil, let message)? = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(errorPath == missing)
        #expect(message.contains(missing))
        #expect(error!.description.contains(missing))
        #expect(!FileManager.default.fileExists(atPath: missing))  // read-only never creates

        #expect(throws: RocksSnapshotError.self) { try ReadOnlyDatabase.columnFamilyNames(at: missing) }

        let path = try Self.makeDatabase(in: temp.path)
        let unknown = #expect(throws: RocksSnapshotError.self) {
            try ReadOnlyDatabase(path: path, columnFamilies: [ColumnFamilyDescriptor("absent_cf")])
        }
        if case .rocksDB(.open, _, _, let unknownMessage)? = unknown {
            #expect(unknownMessage.contains("absent_cf"))
        } else {
            Issue.record("unexpected \(String(describing: unknown))")
        }
        #expect(throws: RocksSnapshotError.invalidArgument(path: path, reason: "column family \"rev\" is listed twice"))
        {
            try ReadOnlyDatabase(
                path: path,
                columnFamilies: [
                    ColumnFamilyDescriptor("rev", comparator: Self.reverse), ColumnFamilyDescriptor("rev"),
                ])
        }
    }

    /// The comparator box (and whatever its closure captures) is released once the database
    /// and its iterators are gone: the `Unmanaged` retain is balanced by RocksDB's destructor call.
    @Test func comparatorStateIsReleasedAfterClose() throws {
        final class Token: Sendable {}
        let temp = try TemporaryDirectory("rocks-comparator-release")
        let path = try Self.makeDatabase(in: temp.path)
        weak var weakToken: Token?
        do {
            let token = Token()
            weakToken = token
            let comparator = KeyComparator(name: "test.ReverseBytewise") { a, b in
                withExtendedLifetime(token) { -KeyComparator.compareBytewise(a, b) }
            }
            let db = try ReadOnlyDatabase(
                path: path, columnFamilies: [ColumnFamilyDescriptor("rev", comparator: comparator)])
            #expect(try Self.scan(db.makeIterator(over: db.columnFamily(named: "rev")!)).count == 5)
            #expect(weakToken != nil)
        }
        #expect(weakToken == nil)
    }

    /// A read-only open takes no LOCK: on a copy of the real 3.5.0 dump (which has no LOCK file),
    /// none appears while it is open, and a read-write open of the same directory succeeds at
    /// the same time (RocksDB refuses a second LOCK holder in one process).
    @Test func readOnlyOpenTakesNoLock() throws {
        let temp = try TemporaryDirectory("rocks-lock")
        let copy = temp.path + "/strings"
        try FileManager.default.copyItem(atPath: StorageFixtures.v3Dump + "/strings", toPath: copy)
        #expect(!FileManager.default.fileExists(atPath: copy + "/LOCK"))

        let reader = try ReadOnlyDatabase(path: copy, columnFamilies: [])
        let readerAgain = try ReadOnlyDatabase(path: copy, columnFamilies: [])
        #expect(!FileManager.default.fileExists(atPath: copy + "/LOCK"))

        let writer = try DatabaseWriter(creatingAt: copy, columnFamilies: [])
        #expect(FileManager.default.fileExists(atPath: copy + "/LOCK"))  // the writer's, proving the check works
        // A second read-write open is refused while the writer holds the lock …
        #expect(throws: RocksSnapshotError.self) { try DatabaseWriter(creatingAt: copy, columnFamilies: []) }
        // … but read-only opens still work, and the earlier readers still read.
        let third = try ReadOnlyDatabase(path: copy, columnFamilies: [])
        let key = bytes("bgw:key:11729")
        #expect(try reader.get(key, in: reader.columnFamilies[0]) != nil)
        #expect(try readerAgain.get(key, in: readerAgain.columnFamilies[0]) != nil)
        #expect(try third.get(key, in: third.columnFamilies[0]) != nil)
        writer.close()
    }

    /// Unflushed writes (WAL only) are replayed into memory by a read-only open, and the WAL
    /// file and every other file stay byte-identical.
    @Test func walReplayWritesNothing() throws {
        let temp = try TemporaryDirectory("rocks-wal")
        let path = try Self.makeDatabase(in: temp.path, flush: false)
        let wal = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".log") }
        #expect(!wal.isEmpty)
        let before = try TreeFingerprint.of(path)
        do {
            let db = try ReadOnlyDatabase(
                path: path, columnFamilies: [ColumnFamilyDescriptor("rev", comparator: Self.reverse)])
            #expect(try db.get(bytes("ab"), in: db.columnFamily(named: "rev")!) == bytes("r-ab"))
            #expect(try TreeFingerprint.of(path) == before)
        }
        #expect(try TreeFingerprint.of(path) == before)
    }

    @Test func errorDescriptions() {
        let error = RocksSnapshotError.rocksDB(
            operation: .get, path: "/x", columnFamily: "data_cf", message: "IO error")
        #expect(error.description == "RocksDB get failed for /x column family \"data_cf\": IO error")
        #expect(RocksSnapshotError.unavailable(path: "/x").description.contains("built without RocksDB"))
    }
}

/// Whether this run is meant to have RocksDB: always, unless `BINLOGTOOL_TESTS_WITHOUT_ROCKSDB=1`
/// says the build left the trait out on purpose. Suites that need RocksDB are enabled by this, not by
/// what the build happens to have, so a build that lost the trait fails them loudly instead of
/// skipping them.
enum RocksDBExpectation {
    static let expected = ProcessInfo.processInfo.environment["BINLOGTOOL_TESTS_WITHOUT_ROCKSDB"] != "1"
}

@Suite struct RocksDBBuildTests {
    @Test func theBuildHasRocksDBExactlyWhenExpected() {
        #expect(
            RocksDBSupport.isAvailable == RocksDBExpectation.expected,
            "built \(RocksDBSupport.isAvailable ? "with" : "without") RocksDB; BINLOGTOOL_TESTS_WITHOUT_ROCKSDB=1 declares a build without it")
    }
}

/// Built with `--disable-default-traits`: the API exists and every open says why it fails.
@Suite(.disabled(if: RocksDBExpectation.expected, "only meaningful without the RocksDB trait"))
struct RocksSnapshotUnavailableTests {
    @Test func openingThrowsUnavailable() throws {
        #expect(!RocksDBSupport.isAvailable)
        #expect(throws: RocksSnapshotError.unavailable(path: "/x")) {
            try ReadOnlyDatabase(path: "/x", columnFamilies: [])
        }
        #expect(throws: RocksSnapshotError.unavailable(path: "/x")) { try ReadOnlyDatabase.columnFamilyNames(at: "/x") }
        #expect(throws: RocksSnapshotError.unavailable(path: "/x")) {
            try DatabaseWriter(creatingAt: "/x", columnFamilies: [])
        }
        #expect(throws: PikaStorageError.database(.unavailable(path: StorageFixtures.v3Dump + "/strings"))) {
            try PikaSnapshot(directory: StorageFixtures.v3Dump)
        }
    }
}
