@testable import BinlogFormat
import Testing

// The RESP multi-bulk parser used for every item's content (`RESP.parse`), the `RESPCommand` view
// over its result, and the encoder. `@testable` only to read the parsed ranges
// (`ArgumentBuffer.view` is internal).

/// Parses `bytes` and copies the arguments out.
func respParsed(_ bytes: [UInt8], capacity: Int = 64) -> Result<[[UInt8]], RESPError> {
    bytes.withUnsafeBytes { raw in
        var arguments = ArgumentBuffer(capacity: capacity)
        do throws(RESPError) {
            try RESP.parse(raw, into: &arguments)
        } catch {
            return .failure(error)
        }
        return .success(RESPCommand(bytes: raw, ranges: arguments.view).ownedArguments())
    }
}

@Suite struct RESPTests {
    struct Good: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        var argv: [[UInt8]]
        var testDescription: String { name }
    }

    static let good: [Good] = {
        let b = Craft.bytes
        return [
            Good(name: "set", bytes: b("*3\r\n$3\r\nset\r\n$1\r\nk\r\n$5\r\nvalue\r\n"), argv: [b("set"), b("k"), b("value")]),
            Good(name: "one argument", bytes: b("*1\r\n$4\r\nping\r\n"), argv: [b("ping")]),
            Good(name: "empty argument", bytes: b("*2\r\n$3\r\nget\r\n$0\r\n\r\n"), argv: [b("get"), []]),
            Good(
                name: "CRLF, star and dollar inside an argument", bytes: b("*2\r\n$3\r\nset\r\n$10\r\n\r\n*1\r\n$3\r\n\r\n"),
                argv: [b("set"), b("\r\n*1\r\n$3\r\n")]),
            Good(
                name: "every byte value", bytes: b("*1\r\n$256\r\n") + (0...255).map { UInt8($0) } + b("\r\n"),
                argv: [(0...255).map { UInt8($0) }]),
            Good(
                name: "zero-padded counts", bytes: b("*0002\r\n$00003\r\nset\r\n$0000000001\r\nx\r\n"),
                argv: [b("set"), b("x")]),
            Good(
                name: "padding item content (Docs/Format.md §B9)", bytes: b("*2\r\n$7\r\npadding\r\n$00005\r\n*****\r\n"),
                argv: [b("padding"), b("*****")]),
            Good(
                name: "1000 arguments", bytes: Craft.resp((0..<1_000).map { b(String($0)) }),
                argv: (0..<1_000).map { b(String($0)) }),
        ]
    }()

    @Test(arguments: good)
    func parses(_ g: Good) {
        #expect(respParsed(g.bytes) == .success(g.argv))
        // The argument buffer grows from its smallest capacity.
        #expect(respParsed(g.bytes, capacity: 1) == .success(g.argv))
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        var bytes: String
        var error: RESPError
        var testDescription: String { "\(bytes.debugDescription) → \(error)" }
    }

    static let bad: [Bad] = [
        // .truncated
        Bad(bytes: "", error: .truncated(offset: 0)),
        Bad(bytes: "*", error: .truncated(offset: 1)),
        Bad(bytes: "*1", error: .truncated(offset: 2)),
        Bad(bytes: "*1\r", error: .truncated(offset: 2)),
        Bad(bytes: "*1\r\n", error: .truncated(offset: 4)),
        Bad(bytes: "*1\r\n$", error: .truncated(offset: 5)),
        Bad(bytes: "*1\r\n$3", error: .truncated(offset: 6)),
        Bad(bytes: "*1\r\n$3\r\nab", error: .truncated(offset: 8)),
        Bad(bytes: "*1\r\n$3\r\nabc", error: .truncated(offset: 11)),
        Bad(bytes: "*1\r\n$3\r\nabc\r", error: .truncated(offset: 11)),
        Bad(bytes: "*2\r\n$3\r\nabc\r\n", error: .truncated(offset: 13)),
        Bad(bytes: "*2\r\n$3\r\nabc\r\n$1\r\n", error: .truncated(offset: 17)),
        // .notAnArray
        Bad(bytes: "+OK\r\n", error: .notAnArray(offset: 0)),
        Bad(bytes: "$3\r\nset\r\n", error: .notAnArray(offset: 0)),
        Bad(bytes: " *1\r\n$3\r\nset\r\n", error: .notAnArray(offset: 0)),
        // .badCount
        Bad(bytes: "*x\r\n", error: .badCount(offset: 1)),
        Bad(bytes: "*-1\r\n", error: .badCount(offset: 1)),
        Bad(bytes: "*1\n\n$3\r\nset\r\n", error: .badCount(offset: 1)),
        Bad(bytes: "*1 \r\n$3\r\nset\r\n", error: .badCount(offset: 1)),
        Bad(bytes: "*12345678901\r\n", error: .badCount(offset: 1)),
        Bad(bytes: "*1\r\n$-1\r\n", error: .badCount(offset: 5)),
        Bad(bytes: "*1\r\n$\r\nset\r\n", error: .badCount(offset: 5)),
        Bad(bytes: "*1\r\n$3x\r\nset\r\n", error: .badCount(offset: 5)),
        Bad(bytes: "*1\r\n$00000000003\r\nset\r\n", error: .badCount(offset: 5)),
        // .emptyArray
        Bad(bytes: "*0\r\n", error: .emptyArray(offset: 0)),
        Bad(bytes: "*000\r\n", error: .emptyArray(offset: 0)),
        // .notABulkString
        Bad(bytes: "*1\r\n+set\r\n", error: .notABulkString(offset: 4)),
        Bad(bytes: "*2\r\n$3\r\nset\r\n:1\r\n", error: .notABulkString(offset: 13)),
        // .missingTerminator
        Bad(bytes: "*1\r\n$3\r\nsetXY", error: .missingTerminator(offset: 11)),
        Bad(bytes: "*1\r\n$3\r\nset\n\r", error: .missingTerminator(offset: 11)),
        Bad(bytes: "*2\r\n$2\r\nset\r\n$1\r\nx\r\n", error: .missingTerminator(offset: 10)),
        // .trailingBytes
        Bad(bytes: "*1\r\n$3\r\nset\r\nXX", error: .trailingBytes(offset: 13, count: 2)),
        Bad(bytes: "*1\r\n$3\r\nset\r\n\r\n", error: .trailingBytes(offset: 13, count: 2)),
        Bad(bytes: "*1\r\n$3\r\nset\r\n*1\r\n$3\r\nset\r\n", error: .trailingBytes(offset: 13, count: 13)),
    ]

    @Test(arguments: bad)
    func rejects(_ b: Bad) {
        #expect(respParsed(Craft.bytes(b.bytes)) == .failure(b.error))
        #expect(!b.error.description.isEmpty)
    }

    /// Every error case is covered above.
    @Test func everyErrorCaseIsExercised() {
        func name(_ e: RESPError) -> String {
            switch e {
            case .notAnArray: "notAnArray"
            case .badCount: "badCount"
            case .notABulkString: "notABulkString"
            case .missingTerminator: "missingTerminator"
            case .truncated: "truncated"
            case .trailingBytes: "trailingBytes"
            case .emptyArray: "emptyArray"
            }
        }
        #expect(Set(Self.bad.map { name($0.error) }).count == 7)
    }

    /// One buffer reused: each parse starts from nothing, also after a failure.
    @Test func bufferIsReused() {
        var arguments = ArgumentBuffer(capacity: 4)
        let first = Craft.bytes("*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n")
        let broken = Craft.bytes("*2\r\n$1\r\na\r\n")
        let second = Craft.bytes("*1\r\n$4\r\nping\r\n")
        first.withUnsafeBytes { raw in
            #expect(throws: Never.self) { try RESP.parse(raw, into: &arguments) }
        }
        #expect(arguments.count == 5)
        broken.withUnsafeBytes { raw in
            _ = #expect(throws: RESPError.truncated(offset: 11)) { try RESP.parse(raw, into: &arguments) }
        }
        second.withUnsafeBytes { raw in
            #expect(throws: Never.self) { try RESP.parse(raw, into: &arguments) }
            let command = RESPCommand(bytes: raw, ranges: arguments.view)
            #expect(command.ownedArguments() == [Craft.bytes("ping")])
            #expect(arguments.view.first == ArgumentRange(offset: 8, count: 4))
        }
    }

    @Test func commandView() {
        let good = Craft.bytes("*3\r\n$9\r\nPkSetExAt\r\n$1\r\nk\r\n$0\r\n\r\n")
        good.withUnsafeBytes { raw in
            var arguments = ArgumentBuffer()
            #expect(throws: Never.self) { try RESP.parse(raw, into: &arguments) }
            let c = RESPCommand(bytes: raw, ranges: arguments.view)
            #expect(c.count == 3)
            #expect(Array(c[0]) == Craft.bytes("PkSetExAt"))
            #expect(Array(c[1]) == Craft.bytes("k"))
            #expect(c[2].isEmpty)
            #expect(c.lowercasedName == "pksetexat")
            #expect(c.nameIs("pksetexat"))
            #expect(!c.nameIs("pksetex"))
            #expect(!c.nameIs("set"))
        }
        let empty = RESPCommand(bytes: UnsafeRawBufferPointer(start: nil, count: 0), ranges: UnsafeBufferPointer(start: nil, count: 0))
        #expect(empty.count == 0 && empty.lowercasedName == "" && !empty.nameIs("set"))
    }

    /// The encoder writes exactly what Pika writes, and the parser reads it back.
    @Test(arguments: good)
    func encodes(_ g: Good) {
        // Zero-padded counts are only ever read, never written.
        let canonical = Craft.resp(g.argv)
        #expect(RESP.encode(g.argv) == canonical)
        var out = Craft.bytes("prefix")
        RESP.encode(g.argv, into: &out)
        #expect(out == Craft.bytes("prefix") + canonical)
        #expect(respParsed(canonical) == .success(g.argv))
    }

    @Test func encodesByHand() {
        #expect(RESP.encode([Craft.bytes("set"), Craft.bytes("k"), []]) == Craft.bytes("*3\r\n$3\r\nset\r\n$1\r\nk\r\n$0\r\n\r\n"))
        let long = [UInt8](repeating: 0x61, count: 12_345)
        #expect(RESP.encode([long]) == Craft.bytes("*1\r\n$12345\r\n") + long + Craft.bytes("\r\n"))
    }

    /// The pieces the rewriter builds its commands from give the same bytes as `encode`.
    @Test func encodesPieceByPiece() {
        var out: [UInt8] = []
        RESP.appendArrayHeader(4, to: &out)
        RESP.appendBulk("ltrim", to: &out)
        Craft.bytes("list").withUnsafeBytes { RESP.appendBulk($0, to: &out) }
        RESP.appendBulkDecimal(-12_345, to: &out)
        RESP.appendBulkDecimal(Int64.min, to: &out)
        let argv = ["ltrim", "list", "-12345", "-9223372036854775808"].map(Craft.bytes)
        #expect(out == RESP.encode(argv))
        #expect(respParsed(out) == .success(argv))
        #expect(RESP.withDecimal(0) { Array($0) } == Craft.bytes("0"))
        #expect(RESP.withDecimal(Int64.max) { Array($0) } == Craft.bytes("9223372036854775807"))
    }
}
