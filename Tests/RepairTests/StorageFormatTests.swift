import Foundation
import TestSupport
@_spi(Testing) import RocksSnapshot
import Testing

@testable import PikaStorage
@_spi(Testing) @testable import Repair

/// Byte-level pieces of the storage layer: CRC-32 and slot routing, key layouts, the four
/// custom comparators, time rules, version names, layout detection and decode errors.
@Suite struct StorageFormatTests {
    // MARK: CRC-32 and routing

    @Test(
        arguments: zip(
            ["", "a", "123456789", "The quick brown fox jumps over the lazy dog"],
            [UInt32(0), 0xE8B7_BE43, 0xCBF4_3926, 0x414F_A339]))
    func crc32MatchesZlib(_ text: String, _ expected: UInt32) {
        #expect(CRC32.checksum(bytes(text)) == expected)
    }

    @Test(
        arguments: zip(
            ["user{1000}.x", "{}", "a{b", "a}b{c}", "{a}{b}", "plain", "{x", "x}{"],
            ["1000", "", "a{b", "c", "a", "plain", "{x", "x}{"]))
    func hashTags(_ key: String, _ tag: String) {
        #expect(Array(PikaSlot.hashTag(of: bytes(key))) == bytes(tag))
    }

    @Test func slotsAndInstances() {
        // crc32("123456789") = 0xCBF43926 = 3421780262; % 1024 = 294; % 3 = 0.
        #expect(PikaSlot.slot(of: bytes("123456789")) == 294)
        #expect(PikaSlot.instance(of: bytes("123456789"), instanceCount: 3) == 0)
        #expect(PikaSlot.slot(of: bytes("a{123456789}b")) == 294)
        #expect(PikaSlot.slot(of: bytes("{}x")) == 0)  // crc32("") = 0
        #expect(PikaSlot.slot(of: bytes("123456789"), slotCount: 7) == Int(3_421_780_262 % 7))
    }

    // MARK: Key layouts

    @Test func v3KeyLayouts() {
        #expect(PikaKeyFormat.v3DataPrefix(bytes("ab"), version: 0x0102_0304) == [2, 0, 0, 0, 0x61, 0x62, 4, 3, 2, 1])
        #expect(
            PikaKeyFormat.v3ListDataKey(bytes("k"), version: 1, index: 1 << 63)
                == [1, 0, 0, 0, 0x6B, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80])
        #expect(
            PikaKeyFormat.v3ZSetScoreKey(bytes("k"), version: 1, score: 1.0, member: bytes("m"))
                == [1, 0, 0, 0, 0x6B, 1, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0xF0, 0x3F] + [0x6D])
    }

    @Test func v4KeyLayouts() {
        let zero8 = [UInt8](repeating: 0, count: 8)
        let zero16 = [UInt8](repeating: 0, count: 16)
        #expect(PikaKeyFormat.v4MetaKey([0x61, 0x00, 0x62]) == zero8 + [0x61, 0x00, 0x01, 0x62, 0x00, 0x00] + zero16)
        #expect(PikaKeyFormat.v4MetaKey([]) == zero8 + [0, 0] + zero16)
        #expect(
            PikaKeyFormat.v4DataKey(bytes("k"), version: 2, data: bytes("f"))
                == zero8 + [0x6B, 0, 0] + [2, 0, 0, 0, 0, 0, 0, 0] + [0x66] + zero16)
        #expect(
            PikaKeyFormat.v4DataValue(bytes("v"), storedCreationTime: 1 << 63 | 5)
                == [0x76] + zero16 + [5, 0, 0, 0, 0, 0, 0, 0x80])
        for key: [UInt8] in [[], [0], [0, 0], [0, 1], [1, 0], bytes("plain"), [0xFF, 0x00, 0x00, 0x01]] {
            #expect(PikaKeyFormat.v4UserKey(fromMetaKey: PikaKeyFormat.v4MetaKey(key)) == key)
        }
        #expect(PikaKeyFormat.v4UserKey(fromMetaKey: zero8 + [0x61, 0x00, 0x02] + zero16) == nil)
        #expect(PikaKeyFormat.v4UserKey(fromMetaKey: zero8 + [0x61]) == nil)
    }

    /// enc() keeps bytewise order and is prefix-free.
    @Test func v4KeyEscapingPreservesOrder() {
        var rng = SplitMix64(seed: 7)
        let keys: [[UInt8]] = (0..<300).map { _ in
            (0..<Int.random(in: 0...4, using: &rng)).map { _ in [0, 1, 2, 0xFF].randomElement(using: &rng)! }
        }
        for a in keys {
            for b in keys {
                let raw = a.lexicographicallyPrecedes(b)
                var ea: [UInt8] = []
                var eb: [UInt8] = []
                PikaKeyFormat.appendEncodedUserKey(a, to: &ea)
                PikaKeyFormat.appendEncodedUserKey(b, to: &eb)
                #expect(ea.lexicographicallyPrecedes(eb) == raw)
                if a != b { #expect(!eb.starts(with: ea)) }
            }
        }
    }

    // MARK: Comparators: orders on well-formed keys

    static func sign(_ x: Int32) -> Int32 { x == 0 ? 0 : (x < 0 ? -1 : 1) }

    static func sorted(_ keys: [[UInt8]], _ comparator: KeyComparator) -> [[UInt8]] {
        keys.sorted { a, b in
            a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in comparator.compare(pa, pb) < 0 } }
        }
    }

    static let userKeys: [[UInt8]] = [[], bytes("a"), bytes("ab"), bytes("b"), [0x00], [0x61, 0x00]]
    static let versions32: [Int32] = [.min, -1, 0, 1, 255, 256, 0x0100_0000, .max]
    static let indexes: [UInt64] = [0, 1, 255, 256, (1 << 63) - 1, 1 << 63, .max]
    static let scores: [Double] = [-.infinity, -1e10, -1, -1e-300, 0, 1e-300, 1, 256, 9e15, .infinity]
    static let members: [[UInt8]] = [[], bytes("a"), bytes("ab"), bytes("b")]

    @Test func blackwidowListOrder() {
        var keys: [[UInt8]] = []
        var expected: [(key: [UInt8], version: Int32, index: UInt64)] = []
        for key in Self.userKeys {
            for version in Self.versions32 {
                for index in Self.indexes {
                    keys.append(
                        PikaKeyFormat.v3ListDataKey(key, version: UInt64(UInt32(bitPattern: version)), index: index))
                    expected.append((key, version, index))
                }
            }
        }
        expected.sort { a, b in
            a.key != b.key
                ? a.key.lexicographicallyPrecedes(b.key)
                : a.version != b.version ? a.version < b.version : a.index < b.index
        }
        let order = Self.sorted(keys.shuffled(), PikaKeyComparators.blackwidowListsDataKey)
        #expect(
            order
                == expected.map {
                    PikaKeyFormat.v3ListDataKey(
                        $0.key, version: UInt64(UInt32(bitPattern: $0.version)), index: $0.index)
                })
        // A seek key that ends after the user key or the version sorts first.
        let k = bytes("k")
        let prefix = PikaKeyFormat.v3DataPrefix(k, version: 5)
        let compare = PikaKeyComparators.compareBlackwidowListsDataKeys
        let full = PikaKeyFormat.v3ListDataKey(k, version: 5, index: 0)
        let keyOnly = [1, 0, 0, 0] + k
        #expect(full.withUnsafeBytes { f in prefix.withUnsafeBytes { p in compare(p, f) } } == -1)
        #expect(full.withUnsafeBytes { f in keyOnly.withUnsafeBytes { p in compare(p, f) } } == -1)
    }

    @Test(arguments: [false, true])
    func blackwidowZSetScoreOrder(is353: Bool) {
        let comparator =
            is353 ? PikaKeyComparators.blackwidowZSetsScoreKey353 : PikaKeyComparators.blackwidowZSetsScoreKey
        var keys: [[UInt8]] = []
        var expected: [(prefix: [UInt8], key: [UInt8], version: Int32, score: Double, member: [UInt8])] = []
        for key in Self.userKeys {
            for version: Int32 in [-1, 1, 255, 256] {
                for score in Self.scores {
                    for member in Self.members {
                        let stored = UInt64(UInt32(bitPattern: version))
                        keys.append(PikaKeyFormat.v3ZSetScoreKey(key, version: stored, score: score, member: member))
                        expected.append((PikaKeyFormat.v3DataPrefix(key, version: stored), key, version, score, member))
                    }
                }
            }
        }
        expected.sort { a, b in
            if is353 {
                // length word + key bytes, then the version as a signed integer
                let ka = Array(a.prefix.dropLast(4))
                let kb = Array(b.prefix.dropLast(4))
                if ka != kb { return ka.lexicographicallyPrecedes(kb) }
                if a.version != b.version { return a.version < b.version }
            } else if a.prefix != b.prefix {
                return a.prefix.lexicographicallyPrecedes(b.prefix)  // raw LE version bytes
            }
            return a.score != b.score ? a.score < b.score : a.member.lexicographicallyPrecedes(b.member)
        }
        let order = Self.sorted(keys.shuffled(), comparator)
        #expect(
            order
                == expected.map {
                    PikaKeyFormat.v3ZSetScoreKey(
                        $0.key, version: UInt64(UInt32(bitPattern: $0.version)), score: $0.score, member: $0.member)
                })
        // The two orders differ exactly on versions whose LE bytes disagree with their value.
        let v256 = PikaKeyFormat.v3ZSetScoreKey(bytes("k"), version: 256, score: 0, member: [])
        let v1 = PikaKeyFormat.v3ZSetScoreKey(bytes("k"), version: 1, score: 0, member: [])
        let result = v256.withUnsafeBytes { a in v1.withUnsafeBytes { b in comparator.compare(a, b) } }
        #expect(result == (is353 ? 1 : -1))
    }

    @Test func floydListOrder() {
        let versions: [UInt64] = [0, 1, 255, 256, 1 << 63, .max]
        var keys: [[UInt8]] = []
        var expected: [(key: [UInt8], version: UInt64, index: UInt64)] = []
        for key in Self.userKeys {
            for version in versions {
                for index in Self.indexes {
                    keys.append(PikaKeyFormat.v4ListDataKey(key, version: version, index: index))
                    expected.append((key, version, index))
                }
            }
        }
        expected.sort { a, b in
            a.key != b.key
                ? a.key.lexicographicallyPrecedes(b.key)
                : a.version != b.version ? a.version < b.version : a.index < b.index
        }
        #expect(
            Self.sorted(keys.shuffled(), PikaKeyComparators.floydListsDataKey)
                == expected.map { PikaKeyFormat.v4ListDataKey($0.key, version: $0.version, index: $0.index) })
    }

    @Test func floydZSetScoreOrder() {
        let versions: [UInt64] = [1, 256, 1 << 63]
        var keys: [[UInt8]] = []
        var expected: [(key: [UInt8], version: UInt64, score: Double, member: [UInt8])] = []
        for key in Self.userKeys {
            for version in versions {
                for score in Self.scores {
                    for member in Self.members {
                        keys.append(PikaKeyFormat.v4ZSetScoreKey(key, version: version, score: score, member: member))
                        expected.append((key, version, score, member))
                    }
                }
            }
        }
        expected.sort { a, b in
            if a.key != b.key { return a.key.lexicographicallyPrecedes(b.key) }
            if a.version != b.version { return a.version < b.version }
            if a.score != b.score { return a.score < b.score }
            return (a.member + [UInt8](repeating: 0, count: 16)).lexicographicallyPrecedes(
                b.member + [UInt8](repeating: 0, count: 16))
        }
        #expect(
            Self.sorted(keys.shuffled(), PikaKeyComparators.floydZSetsScoreKey)
                == expected.map {
                    PikaKeyFormat.v4ZSetScoreKey($0.key, version: $0.version, score: $0.score, member: $0.member)
                })
    }

    /// Index-block separators written by Pika's FindShortestSeparator end after the score or in
    /// the middle of a member; they must order between their neighbours.
    @Test func shortenedSeparatorsOrderCorrectly() {
        let compare = PikaKeyComparators.compareBlackwidowZSetsScoreKeys
        func c(_ a: [UInt8], _ b: [UInt8]) -> Int32 {
            a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in compare(pa, pb) } }
        }
        let k = bytes("zkey")
        let scoreOnly = PikaKeyFormat.v3ZSetScoreKey(k, version: 9, score: 2, member: [])
        let withMember = PikaKeyFormat.v3ZSetScoreKey(k, version: 9, score: 2, member: bytes("abc"))
        let partial = PikaKeyFormat.v3ZSetScoreKey(k, version: 9, score: 2, member: bytes("ab"))
        let lowerScore = PikaKeyFormat.v3ZSetScoreKey(k, version: 9, score: 1.5, member: bytes("zzz"))
        #expect(c(scoreOnly, withMember) == -1)
        #expect(c(partial, withMember) == -1)
        #expect(c(lowerScore, scoreOnly) == -1)
        #expect(c(withMember, withMember) == 0)
        // -0 and +0 are the same score.
        #expect(
            c(
                PikaKeyFormat.v3ZSetScoreKey(k, version: 9, score: -0.0, member: bytes("a")),
                PikaKeyFormat.v3ZSetScoreKey(k, version: 9, score: 0.0, member: bytes("a"))) == 0)
    }
}
