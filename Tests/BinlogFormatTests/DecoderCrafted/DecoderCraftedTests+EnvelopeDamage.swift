import BinlogFormat
import TestSupport
import Testing

// DecoderCraftedTests: Damage: the item envelope and RESP.
extension DecoderCraftedTests {
    struct BadPayload: Sendable, CustomTestStringConvertible {
        var name: String
        var payload: [UInt8]
        var kind: Damage.Kind
        var testDescription: String { name }
    }

    static let badEnvelopes: [BadPayload] = {
        let good = Craft.e3(["set", "x", "y"], logicID: 5).bytes
        let contentLength = good.count - 34
        var type2 = good
        type2[0] = 2
        var type257 = good
        type257[1] = 1
        var longer = good
        longer[30] = UInt8(contentLength + 1)
        var shorter = good
        shorter[30] = UInt8(contentLength - 1)
        var huge = good
        huge[33] = 0x80
        return [
            BadPayload(
                name: "type 2", payload: type2,
                kind: .badEnvelope("payload starts with byte 2, neither an item header nor RESP")),
            BadPayload(
                name: "type 257", payload: type257,
                kind: .badEnvelope("payload starts with byte 1, neither an item header nor RESP")),
            BadPayload(
                name: "content length + 1", payload: longer,
                kind: .badEnvelope("content length \(contentLength + 1) but \(contentLength) bytes follow")),
            BadPayload(
                name: "content length − 1", payload: shorter,
                kind: .badEnvelope("content length \(contentLength - 1) but \(contentLength) bytes follow")),
            BadPayload(
                name: "content length 2^31", payload: huge,
                kind: .badEnvelope("content length \(UInt32(contentLength) | 0x8000_0000) but \(contentLength) bytes follow")),
            BadPayload(
                name: "33 bytes", payload: Array(good.prefix(33)),
                kind: .badEnvelope("33 bytes, shorter than the 34-byte item header")),
            BadPayload(
                name: "2 bytes", payload: [1, 0], kind: .badEnvelope("2 bytes, shorter than the 34-byte item header")),
            BadPayload(
                name: "1 byte", payload: [1],
                kind: .badEnvelope("payload starts with byte 1, neither an item header nor RESP")),
            BadPayload(
                name: "text", payload: Craft.bytes("hello world, not an item"),
                kind: .badEnvelope("payload starts with byte 104, neither an item header nor RESP")),
            BadPayload(
                name: "spaces then text", payload: Craft.bytes("   x"),
                kind: .badEnvelope("payload starts with byte 32, neither an item header nor RESP")),
        ]
    }()

    @Test(arguments: badEnvelopes)
    func badEnvelope(_ bad: BadPayload) throws {
        var x = CraftPlacement(start: 0, end: 0, times: [])
        let s = Sandwich { w in x = w.frame(bad.payload) }
        let d = try craftedDecode(s.w.bytes)
        #expect(x.end == s.bStart)
        #expect(d.records == s.expecting(bad.kind))
    }

    /// A bad envelope on a three-fragment item: the damage covers the whole item, the next decodes.
    @Test func badEnvelopeOnAMultiBlockItem() throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 100, logicID: 1))
        var bad = Craft.e3(size: 150_000, logicID: 2).bytes
        bad[30] ^= 1
        let x = w.frame(bad)
        let c = w.item(Craft.e3(["set", "c", "v"], logicID: 3))
        #expect(x.fragments == 3)
        let d = try craftedDecode(w.bytes)
        let cl = 150_000 - 34
        #expect(
            d.records == [
                a, .damage(.badEnvelope("content length \(cl ^ 1) but \(cl) bytes follow"), x.start, x.end), c,
            ])
    }

    struct BadRESP: Sendable, CustomTestStringConvertible {
        var content: String
        var error: RESPError
        var testDescription: String { "\(error)" }
    }

    static let badRESPs: [BadRESP] = [
        BadRESP(content: "+OK\r\n", error: .notAnArray(offset: 0)),
        BadRESP(content: "", error: .truncated(offset: 0)),
        BadRESP(content: "*x\r\n", error: .badCount(offset: 1)),
        BadRESP(content: "*0\r\n", error: .emptyArray(offset: 0)),
        BadRESP(content: "*1\r\n+set\r\n", error: .notABulkString(offset: 4)),
        BadRESP(content: "*1\r\n$3\r\nsetXY", error: .missingTerminator(offset: 11)),
        BadRESP(content: "*2\r\n$3\r\nset\r\n", error: .truncated(offset: 13)),
        BadRESP(content: "*1\r\n$9\r\nset\r\n", error: .truncated(offset: 8)),
        BadRESP(content: "*1\r\n$3\r\nset\r\nXX", error: .trailingBytes(offset: 13, count: 2)),
        BadRESP(content: "*1\r\n$-1\r\n", error: .badCount(offset: 5)),
    ]

    /// E3 items whose envelope is fine but whose content is not RESP; the items around decode.
    @Test(arguments: badRESPs)
    func badRESPInAnItem(_ bad: BadRESP) throws {
        let content = Craft.bytes(bad.content)
        let payload =
            Craft.envelope(
                execTime: 5, term: 0, logicID: 77, storedFile: 0, storedOffset: 0, contentLength: UInt32(content.count))
            + content
        let s = Sandwich { w in w.frame(payload) }
        let d = try craftedDecode(s.w.bytes)
        #expect(d.records == s.expecting(.badRESP(bad.error, logicID: 77)))
    }

    /// An item framed whole whose content ends in zeros (its bytes not all copied yet into a
    /// zero-filled file): damage that says so, for `check` to tell a torn in-flight tail.
    @Test func itemEndingInZerosIsDamageThatSaysSo() throws {
        var content = Craft.bytes("*3\r\n$3\r\nset\r\n$1\r\nk\r\n$5\r\nvalue\r\n")
        content.replaceSubrange((content.count - 6)..., with: [UInt8](repeating: 0, count: 6))
        let payload =
            Craft.envelope(
                execTime: 5, term: 0, logicID: 77, storedFile: 0, storedOffset: 0, contentLength: UInt32(content.count))
            + content
        let s = Sandwich { w in w.frame(payload) }
        let d = try craftedDecode(s.w.bytes)
        let damage = d.records.compactMap { if case .damage(let x) = $0 { x } else { nil } }
        #expect(damage.count == 1)
        #expect(damage.first?.endsInZeros == true)
        // A content that ends otherwise (the table above) does not.
        let t = Sandwich { w in w.frame(Craft.envelope(execTime: 5, term: 0, logicID: 77, storedFile: 0, storedOffset: 0, contentLength: 7) + Craft.bytes("*1\r\n$3X")) }
        let e = try craftedDecode(t.w.bytes).records.compactMap { if case .damage(let x) = $0 { x } else { nil } }
        #expect(e.count == 1 && e.first?.endsInZeros == false)
    }

    /// Bare RESP (E2a) that does not parse: logic id 0.
    @Test(arguments: badRESPs.filter { $0.content.hasPrefix("*") })
    func badRESPInABareItem(_ bad: BadRESP) throws {
        let s = Sandwich { w in w.frame(Craft.bytes(bad.content)) }
        let d = try craftedDecode(s.w.bytes)
        #expect(d.records == s.expecting(.badRESP(bad.error, logicID: 0)))
    }

    /// Two damaged items back to back are one damage record (contiguous damage merges), and the
    /// items on both sides still decode.
    @Test func adjacentDamageMerges() throws {
        let s = Sandwich { w in
            var bad = Craft.e3(["set", "x", "y"], logicID: 10).bytes
            bad[30] += 1
            w.frame(bad)
            w.frame(Craft.envelope(execTime: 0, term: 0, logicID: 11, storedFile: 0, storedOffset: 0, contentLength: 4)
                + Craft.bytes("*0\r\n"))
        }
        let d = try craftedDecode(s.w.bytes)
        #expect(d.records == s.expecting(.badEnvelope("content length 28 but 27 bytes follow")))
    }
}
