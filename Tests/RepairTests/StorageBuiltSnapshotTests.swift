import Foundation
import RocksSnapshot
import Testing

@testable import PikaStorage
@_spi(Testing) @testable import Repair

/// Builds databases in each Pika layout with `PikaSnapshotBuilder` and checks every accessor
/// of `PikaSnapshot` against exact values: TTLs, DEL'd keys with stale data versions, list
/// indexes around 2^63, zset score order, NUL bytes in keys, WAL-only data.
@Suite(.enabled(if: RocksDBExpectation.expected, "needs librocksdb (the RocksDB trait)"))
struct StorageBuiltSnapshotTests {
    /// The reference time of every check: 2026-11-18T…Z, unix seconds 1_795_000_000.
    static let now = UnixTime(seconds: 1_795_000_000)
    static let created = UnixTime(seconds: 1_795_000_000 - 10)

    /// A data version in the unit the writer uses (seconds; milliseconds for 4.0.1).
    static func dataVersion(_ n: UInt64, _ version: PikaStorageVersion) -> UInt64 {
        version == .v4_0_1 ? 1_794_990_000_000 + n * 1000 : 1_794_990_000 + n
    }

    static let binaryKey: [UInt8] = [0x73, 0x00, 0x6B, 0xFF, 0x00]
    static let binaryValue: [UInt8] = [0x00, 0x01, 0xFF, 0x00]
    static let zsetOne: [ZSetMember] = [
        ZSetMember(member: bytes("a"), score: -5.5), ZSetMember(member: bytes("b"), score: 0),
        ZSetMember(member: bytes("c"), score: 0), ZSetMember(member: bytes("d"), score: 1e300),
        ZSetMember(member: bytes("e"), score: -1e-300), ZSetMember(member: bytes("f"), score: 9_007_199_254_740_992),
        ZSetMember(member: bytes("g"), score: -.infinity), ZSetMember(member: bytes("h"), score: .infinity),
        ZSetMember(member: bytes("i"), score: -0.0),
    ]
    /// ZRANGE order of `zsetOne`: by score, then member (-0 ties with 0).
    static let zsetOneOrdered = ["g", "a", "e", "b", "c", "i", "f", "d", "h"].map { name in
        zsetOne.first { $0.member == bytes(name) }!
    }
    static let rpushElements = (0..<300).map { bytes("r\($0)") }
    static let lpushElements = (0..<300).map { bytes("l\($0)") }
    /// LPUSH-style window: the elements straddle 2^63 (left = 2^63 − 151).
    static let lpushLeft: UInt64 = (1 << 63) - 151

    /// Writes the test data set into `directory` in `version`'s layout.
    static func build(_ directory: String, _ version: PikaStorageVersion, flush: Bool) throws {
        let b = try PikaSnapshotBuilder(creatingAt: directory, version: version)
        func v(_ n: UInt64) -> UInt64 { dataVersion(n, version) }
        let c = created

        // Strings.
        try b.putString(bytes("str:plain"), bytes("hello"), createdAt: c)
        try b.putString(bytes("str:empty"), [], createdAt: c)
        try b.putString(binaryKey, binaryValue, createdAt: c)
        try b.putString(bytes("str:future"), bytes("f"), expiresAt: UnixTime(seconds: now.seconds + 100), createdAt: c)
        try b.putString(bytes("str:past"), bytes("p"), expiresAt: UnixTime(seconds: now.seconds - 100), createdAt: c)
        try b.putString(
            bytes("str:subsecond"), bytes("s"), expiresAt: UnixTime(milliseconds: now.milliseconds + 300), createdAt: c)
        try b.putString(bytes("str:deleted"), bytes("gone"), createdAt: c)
        try b.deleteKey(bytes("str:deleted"), type: .string)

        // Hashes.
        try b.putHash(
            bytes("hash:1"),
            [
                HashField(field: bytes("f1"), value: bytes("v1")), HashField(field: bytes("f2"), value: []),
                HashField(field: [0x66, 0x00], value: bytes("nul")),
            ],
            version: v(10), createdAt: c)
        try b.putHash(
            bytes("hash:recreated"),
            [
                HashField(field: bytes("old"), value: bytes("x")),
                HashField(field: bytes("shared"), value: bytes("old")),
            ],
            version: v(1), createdAt: c)
        try b.deleteKey(bytes("hash:recreated"), type: .hash, newVersion: v(2))
        try b.putHash(
            bytes("hash:recreated"),
            [
                HashField(field: bytes("new"), value: bytes("y")),
                HashField(field: bytes("shared"), value: bytes("new")),
            ],
            version: v(3), createdAt: c)
        try b.putHash(
            bytes("hash:deleted"), [HashField(field: bytes("a"), value: bytes("1"))], version: v(4), createdAt: c)
        try b.deleteKey(bytes("hash:deleted"), type: .hash, newVersion: v(5))
        try b.putHash(
            bytes("hash:expired"), [HashField(field: bytes("a"), value: bytes("1"))], version: v(6),
            expiresAt: UnixTime(seconds: now.seconds - 1), createdAt: c)

        // Sets.
        try b.putSet(bytes("set:1"), [bytes("a"), bytes("b"), [0x00, 0x63]], version: v(20), createdAt: c)
        try b.putSet(bytes("set:recreated"), [bytes("x"), bytes("y")], version: v(21), createdAt: c)
        try b.deleteKey(bytes("set:recreated"), type: .set, newVersion: v(22))
        try b.putSet(bytes("set:recreated"), [bytes("y"), bytes("z")], version: v(23), createdAt: c)

        // Sorted sets.
        try b.putZSet(bytes("zset:1"), zsetOne, version: v(30), createdAt: c)
        try b.putZSet(
            bytes("zset:recreated"),
            [ZSetMember(member: bytes("old"), score: 1), ZSetMember(member: bytes("keep"), score: 2)],
            version: v(31), createdAt: c)
        try b.deleteKey(bytes("zset:recreated"), type: .zset, newVersion: v(32))
        try b.putZSet(
            bytes("zset:recreated"),
            [ZSetMember(member: bytes("keep"), score: -1), ZSetMember(member: bytes("new"), score: 5)],
            version: v(33), createdAt: c)

        // Lists.
        try b.putList(bytes("list:rpush"), rpushElements, version: v(40), createdAt: c)
        try b.putList(bytes("list:lpush"), lpushElements, version: v(41), leftIndex: lpushLeft, createdAt: c)
        try b.putList(
            bytes("list:recreated"), [bytes("o1"), bytes("o2"), bytes("o3"), bytes("o4")], version: v(42), createdAt: c)
        try b.deleteKey(bytes("list:recreated"), type: .list, newVersion: v(43))
        try b.putList(bytes("list:recreated"), [bytes("n1"), bytes("n2")], version: v(44), createdAt: c)
        try b.putList(
            bytes("list:ttl"), [bytes("a")], version: v(45), expiresAt: UnixTime(seconds: now.seconds + 1000),
            createdAt: c)
        try b.putList(bytes("list:deleted"), [bytes("a"), bytes("b")], version: v(46), createdAt: c)
        try b.deleteKey(bytes("list:deleted"), type: .list, newVersion: v(47))

        if version.encoding == .blackwidow {
            // 3.x keeps one database per type: the same key can be a string and a hash.
            try b.putString(bytes("multi"), bytes("s"), createdAt: c)
            try b.putHash(
                bytes("multi"), [HashField(field: bytes("f"), value: bytes("v"))], version: v(50),
                expiresAt: UnixTime(seconds: now.seconds + 50), createdAt: c)
        } else {
            let routed = PikaSlot.instance(of: bytes("misrouted"), instanceCount: 3)
            try b.putString(bytes("misrouted"), bytes("m"), createdAt: c, instance: (routed + 1) % 3)
            try b.putHash(
                bytes("hash:legacy"), [HashField(field: bytes("ctr"), value: bytes("1"))], version: v(60), createdAt: c)
            try b.putLegacyHashField(bytes("hash:legacy"), field: bytes("ctr"), rawValue: bytes("42"), version: v(60))
            // A hash that expired, then a SET over it: the type tag changes, old data is orphaned.
            try b.putHash(
                bytes("replaced"), [HashField(field: bytes("a"), value: bytes("1"))], version: v(70),
                expiresAt: UnixTime(seconds: now.seconds - 5), createdAt: c)
            try b.putString(bytes("replaced"), bytes("now-string"), createdAt: c)
            try b.putString(bytes("hll"), bytes("registers"), createdAt: c, hyperLogLog: true)
        }
        try b.finish(flush: flush)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var version: PikaStorageVersion
        var flush: Bool
        var testDescription: String { "\(version.rawValue)\(flush ? "" : " WAL-only")" }
    }

    static let cases: [Case] = [
        Case(version: .v3, flush: true), Case(version: .v3_5_3, flush: true),
        Case(version: .v4_0_0, flush: true), Case(version: .v4_0_1, flush: true),
        Case(version: .v3, flush: false), Case(version: .v4_0_1, flush: false),
    ]

    /// Builds the data set once per case, then checks every accessor on it, and that reading
    /// changed no byte of the directory.
    @Test(arguments: cases)
    func everyAccessorReturnsExactValues(_ testCase: Case) throws {
        let temp = try TemporaryDirectory("built")
        let directory = temp.path + "/db0"
        try Self.build(directory, testCase.version, flush: testCase.flush)
        let before = try TreeFingerprint.of(directory)
        do {
            // The version is given explicitly only for 3.5.3, which cannot be detected.
            let version: PikaStorageVersion? = testCase.version == .v3_5_3 ? .v3_5_3 : nil
            let snapshot = try PikaSnapshot(directory: directory, options: .init(version: version))
            try layoutAndVersion(snapshot, testCase)
            try strings(snapshot, testCase)
            try hashes(snapshot, testCase)
            try sets(snapshot, testCase)
            try sortedSets(snapshot, testCase)
            try lists(snapshot, testCase)
            try typesAcrossLayouts(snapshot, testCase)
            try enumeration(snapshot, testCase)
        }
        #expect(try TreeFingerprint.of(directory) == before)
    }

    func layoutAndVersion(_ snapshot: PikaSnapshot, _ testCase: Case) throws {
        #expect(snapshot.version == testCase.version)
        switch testCase.version.encoding {
        case .blackwidow: #expect(snapshot.layout == .perType(hasStreams: false))
        case .floyd: #expect(snapshot.layout == .instances(count: 3))
        }
    }

    func strings(_ s: PikaSnapshot, _ testCase: Case) throws {
        let now = Self.now
        let granularity: TimeGranularity = testCase.version == .v4_0_1 ? .milliseconds : .seconds

        #expect(try s.string(bytes("str:plain"), at: now) == bytes("hello"))
        #expect(try s.string(bytes("str:empty"), at: now) == [])
        #expect(try s.exists(bytes("str:empty"), at: now))
        #expect(try s.string(Self.binaryKey, at: now) == Self.binaryValue)
        #expect(try s.string(Array(Self.binaryKey.dropLast()), at: now) == nil)  // escaping keeps keys distinct
        #expect(try s.expiration(of: bytes("str:plain"), at: now) == .persistent)

        let future = Expiry(time: UnixTime(seconds: now.seconds + 100), granularity: granularity)
        #expect(try s.string(bytes("str:future"), at: now) == bytes("f"))
        #expect(try s.expiration(of: bytes("str:future"), at: now) == .expires(future))
        #expect(try s.string(bytes("str:future"), at: UnixTime(seconds: now.seconds + 100)) == bytes("f"))
        #expect(try s.string(bytes("str:future"), at: UnixTime(seconds: now.seconds + 101)) == nil)

        // Expired at `now`, alive before; the record itself is still there.
        #expect(try s.string(bytes("str:past"), at: now) == nil)
        #expect(try !s.exists(bytes("str:past"), at: now))
        #expect(try s.expiration(of: bytes("str:past"), at: now) == .noSuchKey)
        #expect(try s.string(bytes("str:past"), at: UnixTime(seconds: now.seconds - 101)) == bytes("p"))
        let pastRecord = try #require(try s.records(for: bytes("str:past")).first)
        #expect(pastRecord.expiry == Expiry(time: UnixTime(seconds: now.seconds - 100), granularity: granularity))
        #expect(pastRecord.value == bytes("p"))

        // Sub-second expiry (now + 300 ms), judged at now + 700 ms: 3.x and 4.0.0 store and
        // compare whole seconds (still alive); 4.0.1 compares milliseconds (expired).
        let subsecondAt = UnixTime(milliseconds: now.milliseconds + 700)
        let alive = try s.string(bytes("str:subsecond"), at: subsecondAt)
        #expect(alive == (testCase.version == .v4_0_1 ? nil : bytes("s")))
        #expect(try s.string(bytes("str:subsecond"), at: UnixTime(milliseconds: now.milliseconds + 1000)) == nil)

        // DEL of a string removes its record.
        #expect(try s.records(for: bytes("str:deleted")).isEmpty)
        #expect(try s.type(of: bytes("str:deleted"), at: now) == nil)

        // v4 records carry ctime.
        let plain = try #require(try s.records(for: bytes("str:plain")).first)
        #expect(plain.creationTime == (testCase.version.encoding == .floyd ? Self.created : nil))
        #expect(plain.count == 1 && plain.version == 0)
    }

    func hashes(_ s: PikaSnapshot, _ testCase: Case) throws {
        let now = Self.now

        #expect(try s.hashField(bytes("hash:1"), field: bytes("f1"), at: now) == bytes("v1"))
        #expect(try s.hashField(bytes("hash:1"), field: bytes("f2"), at: now) == [])
        #expect(try s.hashField(bytes("hash:1"), field: [0x66, 0x00], at: now) == bytes("nul"))
        #expect(try s.hashField(bytes("hash:1"), field: bytes("f3"), at: now) == nil)
        #expect(try s.hashLength(bytes("hash:1"), at: now) == 3)
        #expect(
            try s.hashFields(bytes("hash:1"), at: now) == [
                HashField(field: [0x66, 0x00], value: bytes("nul")), HashField(field: bytes("f1"), value: bytes("v1")),
                HashField(field: bytes("f2"), value: []),
            ])
        #expect(try s.types(of: bytes("hash:1"), at: now) == [.hash])

        // Re-created after DEL: only the live version's fields; the stale "old" is ignored.
        #expect(
            try s.hashFields(bytes("hash:recreated"), at: now) == [
                HashField(field: bytes("new"), value: bytes("y")),
                HashField(field: bytes("shared"), value: bytes("new")),
            ])
        #expect(try s.hashField(bytes("hash:recreated"), field: bytes("old"), at: now) == nil)
        #expect(try s.hashLength(bytes("hash:recreated"), at: now) == 2)
        let recreated = try #require(try s.records(for: bytes("hash:recreated")).first)
        #expect(recreated.version == Self.dataVersion(3, testCase.version))

        // DEL'd: meta with count 0 and a new version, data left behind but invisible.
        #expect(try !s.exists(bytes("hash:deleted"), at: now))
        #expect(try s.hashField(bytes("hash:deleted"), field: bytes("a"), at: now) == nil)
        #expect(try s.hashFields(bytes("hash:deleted"), at: now).isEmpty)
        #expect(try s.hashLength(bytes("hash:deleted"), at: now) == 0)
        let deleted = try #require(try s.records(for: bytes("hash:deleted")).first)
        #expect(deleted.count == 0 && deleted.version == Self.dataVersion(5, testCase.version) && deleted.expiry == nil)

        // Expired one second before `now`.
        #expect(try s.hashField(bytes("hash:expired"), field: bytes("a"), at: now) == nil)
        #expect(
            try s.hashField(bytes("hash:expired"), field: bytes("a"), at: UnixTime(seconds: now.seconds - 1))
                == bytes("1"))
    }

    func sets(_ s: PikaSnapshot, _ testCase: Case) throws {
        let now = Self.now
        #expect(try s.setMembers(bytes("set:1"), at: now) == [[0x00, 0x63], bytes("a"), bytes("b")])
        #expect(try s.setContains(bytes("set:1"), member: bytes("a"), at: now))
        #expect(try s.setContains(bytes("set:1"), member: [0x00, 0x63], at: now))
        #expect(try !s.setContains(bytes("set:1"), member: bytes("c"), at: now))
        #expect(try s.setCardinality(bytes("set:1"), at: now) == 3)

        #expect(try s.setMembers(bytes("set:recreated"), at: now) == [bytes("y"), bytes("z")])
        #expect(try !s.setContains(bytes("set:recreated"), member: bytes("x"), at: now))
        #expect(try s.setCardinality(bytes("set:recreated"), at: now) == 2)
        #expect(try s.setMembers(bytes("set:missing"), at: now).isEmpty)
    }

    func sortedSets(_ s: PikaSnapshot, _ testCase: Case) throws {
        let now = Self.now
        #expect(try s.zsetCardinality(bytes("zset:1"), at: now) == 9)
        #expect(try s.zsetMembers(bytes("zset:1"), at: now) == Self.zsetOneOrdered)
        #expect(try s.zsetMembersByScoreIndex(bytes("zset:1"), at: now) == Self.zsetOneOrdered)
        for entry in Self.zsetOne {
            let score = try #require(try s.zsetScore(bytes("zset:1"), member: entry.member, at: now))
            #expect(score.bitPattern == entry.score.bitPattern)
        }
        #expect(try s.zsetScore(bytes("zset:1"), member: bytes("zz"), at: now) == nil)

        let live = [ZSetMember(member: bytes("keep"), score: -1), ZSetMember(member: bytes("new"), score: 5)]
        #expect(try s.zsetMembers(bytes("zset:recreated"), at: now) == live)
        #expect(try s.zsetMembersByScoreIndex(bytes("zset:recreated"), at: now) == live)
        #expect(try s.zsetScore(bytes("zset:recreated"), member: bytes("old"), at: now) == nil)
        #expect(try s.zsetScore(bytes("zset:recreated"), member: bytes("keep"), at: now) == -1)
    }

    func lists(_ s: PikaSnapshot, _ testCase: Case) throws {
        let now = Self.now
        #expect(try s.listLength(bytes("list:rpush"), at: now) == 300)
        #expect(try s.listElements(bytes("list:rpush"), at: now) == Self.rpushElements)
        #expect(try s.listElements(bytes("list:lpush"), at: now) == Self.lpushElements)
        let lpush = try #require(try s.records(for: bytes("list:lpush")).first)
        #expect(lpush.listIndexes == ListIndexes(left: Self.lpushLeft, right: Self.lpushLeft + 301))

        // Same indexes, new version: the stale o1…o4 stay invisible.
        #expect(try s.listElements(bytes("list:recreated"), at: now) == [bytes("n1"), bytes("n2")])
        #expect(try s.listLength(bytes("list:recreated"), at: now) == 2)

        let granularity: TimeGranularity = testCase.version == .v4_0_1 ? .milliseconds : .seconds
        #expect(
            try s.expiration(of: bytes("list:ttl"), at: now)
                == .expires(Expiry(time: UnixTime(seconds: now.seconds + 1000), granularity: granularity)))
        #expect(try s.listElements(bytes("list:ttl"), at: UnixTime(seconds: now.seconds + 1001)).isEmpty)

        #expect(try s.listLength(bytes("list:deleted"), at: now) == 0)
        #expect(try s.listElements(bytes("list:deleted"), at: now).isEmpty)
        let deleted = try #require(try s.records(for: bytes("list:deleted")).first)
        #expect(deleted.listIndexes == .initial && deleted.count == 0)
        #expect(try s.type(of: bytes("list:rpush"), at: now) == .list)
    }

    func typesAcrossLayouts(_ s: PikaSnapshot, _ testCase: Case) throws {
        let now = Self.now
        if testCase.version.encoding == .blackwidow {
            #expect(try s.types(of: bytes("multi"), at: now) == [.string, .hash])
            #expect(try s.type(of: bytes("multi"), at: now) == .string)
            #expect(try s.string(bytes("multi"), at: now) == bytes("s"))
            #expect(try s.hashField(bytes("multi"), field: bytes("f"), at: now) == bytes("v"))
            #expect(try s.expiration(of: bytes("multi"), at: now) == .persistent)
            #expect(
                try s.expiration(of: bytes("multi"), type: .hash, at: now)
                    == .expires(Expiry(time: UnixTime(seconds: now.seconds + 50), granularity: .seconds)))
            #expect(try s.types(of: bytes("multi"), at: UnixTime(seconds: now.seconds + 51)) == [.string])
        } else {
            // A key stored outside its routed instance is found only when searching all.
            #expect(try s.string(bytes("misrouted"), at: now) == bytes("m"))
            let narrow = try PikaSnapshot(
                directory: s.directory, options: .init(version: testCase.version, searchAllInstances: false))
            #expect(try narrow.string(bytes("misrouted"), at: now) == nil)
            #expect(try narrow.string(bytes("str:plain"), at: now) == bytes("hello"))
            #expect(try narrow.listElements(bytes("list:lpush"), at: now) == Self.lpushElements)

            // 4.0.0 HINCRBY legacy value: raw bytes with no 24-byte suffix.
            #expect(try s.hashField(bytes("hash:legacy"), field: bytes("ctr"), at: now) == bytes("42"))
            #expect(
                try s.hashFields(bytes("hash:legacy"), at: now) == [HashField(field: bytes("ctr"), value: bytes("42"))])

            // SET over an expired hash: one record, now a string.
            #expect(try s.types(of: bytes("replaced"), at: now) == [.string])
            #expect(try s.records(for: bytes("replaced")).map(\.type) == [.string])
            #expect(try s.hashField(bytes("replaced"), field: bytes("a"), at: now) == nil)

            let hll = try #require(try s.records(for: bytes("hll")).first)
            #expect(hll.isHyperLogLog && hll.value == bytes("registers"))
            #expect(try !s.records(for: bytes("str:plain")).first!.isHyperLogLog)
        }
    }

    func enumeration(_ s: PikaSnapshot, _ testCase: Case) throws {
        var found: [String: [PikaDataType]] = [:]
        try s.forEachRecord { record in
            found[String(decoding: record.key, as: UTF8.self), default: []].append(record.type)
        }
        var expected: [String: [PikaDataType]] = [
            "str:plain": [.string], "str:empty": [.string], String(decoding: Self.binaryKey, as: UTF8.self): [.string],
            "str:future": [.string], "str:past": [.string], "str:subsecond": [.string],
            "hash:1": [.hash], "hash:recreated": [.hash], "hash:deleted": [.hash], "hash:expired": [.hash],
            "set:1": [.set], "set:recreated": [.set], "zset:1": [.zset], "zset:recreated": [.zset],
            "list:rpush": [.list], "list:lpush": [.list], "list:recreated": [.list], "list:ttl": [.list],
            "list:deleted": [.list],
        ]
        if testCase.version.encoding == .blackwidow {
            expected["multi"] = [.string, .hash]  // strings/ is enumerated before hashes/
        } else {
            expected["misrouted"] = [.string]
            expected["hash:legacy"] = [.hash]
            expected["replaced"] = [.string]
            expected["hll"] = [.string]
        }
        #expect(found == expected)
    }
}
