import Testing

@testable import PikaStorage
@testable import Repair

/// The evidence text of verify-snapshot: how bytes are quoted.
struct SnapshotTextTests {
    @Test func quotedEscapesQuotesBackslashesAndNonPrintableBytes() {
        #expect(quoted(Array("v1".utf8)) == "\"v1\"")
        #expect(quoted([0x61, 0x22, 0x5C, 0x62]) == #""a\"\\b""#)
        #expect(quoted([0x00, 0x0A, 0x7F, 0xFF, 0x20]) == #""\x00\x0a\x7f\xff ""#)
        #expect(quoted([]) == "\"\"")
    }

    @Test func quotedCutsAfterTheLimitWithAnEllipsis() {
        #expect(quoted(Array("abcdef".utf8), limit: 3) == "\"abc…\"")
        #expect(quoted(Array("abc".utf8), limit: 3) == "\"abc\"")
        #expect(quoted([0x01, 0x02, 0x03], limit: 2) == #""\x01\x02…""#)
    }

    @Test func printableKeysAreBareUnlessTheyNeedQuoting() {
        #expect(printable(Array("lag:ctr:000000000007".utf8)) == "lag:ctr:000000000007")
        #expect(printable(Array("a b".utf8)) == "\"a b\"")
        #expect(printable([]) == "\"\"")
        #expect(printable(Array(repeating: 0x6B, count: 61)) == "\"" + String(repeating: "k", count: 60) + "…\"")
    }
}
