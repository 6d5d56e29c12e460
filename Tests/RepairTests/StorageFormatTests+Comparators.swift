import Foundation
import TestSupport
@_spi(Testing) import RocksSnapshot
import Testing
@testable import PikaStorage
@_spi(Testing) @testable import Repair

extension StorageFormatTests {
    // MARK: Comparators: never trap

    static let allComparators: [KeyComparator] = [
        PikaKeyComparators.blackwidowListsDataKey, PikaKeyComparators.blackwidowZSetsScoreKey,
        PikaKeyComparators.blackwidowZSetsScoreKey353, PikaKeyComparators.floydListsDataKey,
        PikaKeyComparators.floydZSetsScoreKey,
    ]

    /// Short, truncated, garbage and NaN-carrying keys: every comparator answers without trapping,
    /// is reflexive and antisymmetric.
    @Test func comparatorsNeverTrapOnMalformedKeys() {
        var rng = SplitMix64(seed: 2026)
        var keys: [[UInt8]] = [
            [], [0], [0, 0], [0xFF, 0xFF, 0xFF, 0xFF], [4, 0, 0, 0], [0xFF, 0xFF, 0xFF, 0x7F, 1],
        ]
        let wellFormed: [[UInt8]] = [
            PikaKeyFormat.v3ListDataKey(bytes("key"), version: 3, index: 7),
            PikaKeyFormat.v3ZSetScoreKey(bytes("key"), version: 3, score: .nan, member: bytes("m")),
            PikaKeyFormat.v3ZSetScoreKey(bytes("key"), version: 3, score: 1, member: bytes("m")),
            PikaKeyFormat.v4ListDataKey(bytes("key"), version: 3, index: 7),
            PikaKeyFormat.v4ZSetScoreKey(bytes("key"), version: 3, score: 2, member: bytes("m")),
            PikaKeyFormat.v4ZSetScoreKey([0, 0, 1], version: 3, score: -.nan, member: []),
        ]
        for key in wellFormed {
            for length in 0...key.count { keys.append(Array(key.prefix(length))) }
        }
        for _ in 0..<150 {
            let length = Int.random(in: 0...40, using: &rng)
            keys.append(
                (0..<length).map { _ in
                    [0, 0, 1, 0xFF, UInt8.random(in: 0...255, using: &rng)].randomElement(using: &rng)!
                })
        }
        for comparator in Self.allComparators {
            var failures = 0
            for a in keys {
                a.withUnsafeBytes { pa in
                    if comparator.compare(pa, pa) != 0 { failures += 1 }
                    for b in keys {
                        b.withUnsafeBytes { pb in
                            if Self.sign(comparator.compare(pa, pb)) != -Self.sign(comparator.compare(pb, pa)) {
                                failures += 1
                            }
                        }
                    }
                }
            }
            #expect(failures == 0, "\(comparator.name)")
        }
    }

    // MARK: Time, versions, layout

    @Test func unixTimeAndExpiry() {
        #expect(UnixTime(milliseconds: -1).seconds == -1)
        #expect(UnixTime(milliseconds: -1000).seconds == -1)
        #expect(UnixTime(milliseconds: -1001).seconds == -2)
        #expect(UnixTime(milliseconds: 1999).seconds == 1)
        #expect(UnixTime(seconds: .max).milliseconds == .max)
        let seconds = Expiry(time: UnixTime(seconds: 100), granularity: .seconds)
        let millis = Expiry(time: UnixTime(seconds: 100), granularity: .milliseconds)
        #expect(!seconds.hasPassed(at: UnixTime(milliseconds: 100_999)))
        #expect(seconds.hasPassed(at: UnixTime(milliseconds: 101_000)))
        #expect(!millis.hasPassed(at: UnixTime(milliseconds: 100_000)))
        #expect(millis.hasPassed(at: UnixTime(milliseconds: 100_001)))
    }

    @Test func v4TimestampRule() {
        // bit 63 set: milliseconds; clear: seconds (×1000), compared per version.
        #expect(KeyRecord.v4Time(0, .v4_0_1) == nil)
        #expect(
            KeyRecord.v4Time(1 << 63 | 1_795_000_000_123, .v4_0_1)
                == Expiry(time: UnixTime(milliseconds: 1_795_000_000_123), granularity: .milliseconds))
        #expect(
            KeyRecord.v4Time(1_795_000_000, .v4_0_1)
                == Expiry(time: UnixTime(seconds: 1_795_000_000), granularity: .milliseconds))
        #expect(
            KeyRecord.v4Time(1_795_000_000, .v4_0_0)
                == Expiry(time: UnixTime(seconds: 1_795_000_000), granularity: .seconds))
    }

    @Test(
        arguments: zip(
            [
                "3.3.6", "v3.4.1", "3.5.0", "3.5.3", "3.5.3-alpha", "3.5.5", "4.0.0", "v4.0.1", "4.0.1-alpha", "2.3.6",
                "4.1.0", "x",
            ],
            [PikaStorageVersion.v3, .v3, .v3, .v3_5_3, .v3_5_3, .v3, .v4_0_0, .v4_0_1, .v4_0_1, nil, nil, nil]))
    func versionsFromReleaseNames(_ release: String, _ expected: PikaStorageVersion?) {
        #expect(PikaStorageVersion(release: release) == expected)
    }

    @Test(.enabled(if: RocksDBExpectation.expected)) func layoutDetectionErrors() throws {
        let temp = try TemporaryDirectory("layout")
        #expect(
            throws: PikaStorageError.unrecognizedLayout(directory: temp.path + "/none", reason: "no such directory")
        ) {
            try SnapshotLayout.detect(in: temp.path + "/none")
        }
        #expect(
            throws: PikaStorageError.unrecognizedLayout(
                directory: temp.path, reason: "no strings/ hashes/ lists/ sets/ zsets/ or 0/ RocksDB directory")
        ) {
            try SnapshotLayout.detect(in: temp.path)
        }
        for name in ["strings", "hashes"] {
            try FileManager.default.createDirectory(atPath: temp.path + "/" + name, withIntermediateDirectories: false)
            _ = FileManager.default.createFile(atPath: temp.path + "/\(name)/CURRENT", contents: Data())
        }
        #expect(
            throws: PikaStorageError.unrecognizedLayout(
                directory: temp.path, reason: "per-type directories missing: lists, zsets, sets")
        ) {
            try SnapshotLayout.detect(in: temp.path)
        }
        #expect(try SnapshotLayout.detect(in: StorageFixtures.v3Dump) == .perType(hasStreams: false))
        #expect(try SnapshotLayout.detect(in: StorageFixtures.v4Dump) == .instances(count: 3))
        #expect(
            throws: PikaStorageError.layoutMismatch(
                directory: StorageFixtures.v4Dump, version: .v3, layout: .instances(count: 3))
        ) {
            try PikaSnapshot(directory: StorageFixtures.v4Dump, options: .init(version: .v3))
        }
    }

    /// A value too short for its record type is an error naming the file, CF and key.
    @Test(.enabled(if: RocksDBExpectation.expected)) func malformedValuesAreReported() throws {
        let temp = try TemporaryDirectory("malformed")
        let directory = temp.path + "/db0"
        let builder = try PikaSnapshotBuilder(creatingAt: directory, version: .v3)
        try builder.putString(bytes("ok"), bytes("v"))
        try builder.finish()
        do {
            let writer = try DatabaseWriter(creatingAt: directory + "/strings", columnFamilies: [])
            try writer.put(bytes("short"), [0x41, 0x42], in: writer.columnFamilies[0])
            try writer.flush()
            writer.close()
            let hashes = try DatabaseWriter(
                creatingAt: directory + "/hashes", columnFamilies: [ColumnFamilyDescriptor("data_cf")])
            try hashes.put(bytes("h"), [1, 0, 0, 0, 9], in: hashes.columnFamilies[0])
            hashes.close()
        }
        let snapshot = try PikaSnapshot(directory: directory)
        #expect(try snapshot.string(bytes("ok"), at: UnixTime(seconds: 0)) == bytes("v"))
        #expect(
            throws: PikaStorageError.malformedRecord(
                path: directory + "/strings", columnFamily: "default", key: bytes("short"),
                reason: "string value of 2 bytes, expected at least 4")
        ) {
            try snapshot.string(bytes("short"), at: UnixTime(seconds: 0))
        }
        #expect(
            throws: PikaStorageError.malformedRecord(
                path: directory + "/hashes", columnFamily: "default", key: bytes("h"),
                reason: "meta value of 5 bytes, expected 12")
        ) {
            try snapshot.hashLength(bytes("h"), at: UnixTime(seconds: 0))
        }
        let error = PikaStorageError.malformedRecord(
            path: "/p", columnFamily: "default", key: [0x61, 0x00, 0x22], reason: "r")
        #expect(error.description == "malformed record in /p column family \"default\" at key \"a\\x00\\\"\": r")
    }

    /// Without the score index open, only the score-index accessor fails.
    @Test(.enabled(if: RocksDBExpectation.expected)) func scoreIndexIsOptional() throws {
        let snapshot = try PikaSnapshot(directory: StorageFixtures.v3Dump, options: .init(openZSetScoreIndex: false))
        let at = StorageFixtures.v3DumpTime
        #expect(try snapshot.zsetMembers(bytes("bgw:zset"), at: at).count == 586)
        #expect(
            throws: PikaStorageError.missingColumnFamily(
                path: StorageFixtures.v3Dump + "/zsets", columnFamily: "score_cf")
        ) {
            try snapshot.zsetMembersByScoreIndex(bytes("bgw:zset"), at: at)
        }
    }
}
