import BinlogFormat
import Foundation
import Testing

@Suite struct InfoFileTests {
    // MARK: - Real bgsave info files

    struct RealCase: CustomTestStringConvertible, Sendable {
        var path: String
        var text: String
        var elapsed: UInt64
        var point: ResumePoint
        var testDescription: String { path }
    }

    static let realCases: [RealCase] = [
        RealCase(
            path: "bgsave/dump/20261120/db0/info", text: "0s\n127.0.0.1\n9221\n7\n262165\n", elapsed: 0,
            point: ResumePoint(fileNumber: 7, offset: 262165)),
        RealCase(
            path: "v4-bgsave/dump/20261121/db0/info", text: "1s\n127.0.0.1\n9221\n6\n159990\n", elapsed: 1,
            point: ResumePoint(fileNumber: 6, offset: 159990)),
        RealCase(
            path: "slave/master/fullsync-dump-info", text: "0s\n127.0.0.1\n9221\n7\n1360\n", elapsed: 0,
            point: ResumePoint(fileNumber: 7, offset: 1360)),
        RealCase(
            path: "v4-slave/master/fullsync-dump-info", text: "0s\n127.0.0.1\n9221\n7\n42674\n", elapsed: 0,
            point: ResumePoint(fileNumber: 7, offset: 42674)),
    ]

    @Test(arguments: realCases)
    func realInfoFile(_ c: RealCase) throws {
        let path = MetadataFixtures.committedPath(c.path)
        let bytes = try MetadataFixtures.read(path)
        #expect(bytes == Array(c.text.utf8))
        let info = try BgsaveInfo.read(path: path)
        #expect(info.elapsedLine == "\(c.elapsed)s")
        #expect(info.elapsedSeconds == c.elapsed)
        #expect(info.host == "127.0.0.1")
        #expect(info.port == 9221)
        #expect(info.resumePoint == c.point)
        #expect(info.term == nil)
        #expect(info.logicID == nil)
        #expect(info.lineCount == 5)
        #expect(info.remarks.isEmpty)
        #expect(info.encoded() == bytes)
        #expect(
            info == BgsaveInfo(elapsedSeconds: c.elapsed, host: "127.0.0.1", port: 9221, resumePoint: c.point))
    }

    // MARK: - Accepted variants

    struct Accepted: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var point: ResumePoint
        var term: UInt32?
        var logicID: UInt64?
        var elapsed: UInt64?
        var lineCount: Int
        var remarks: [BgsaveInfo.Remark]
        var testDescription: String { name }
    }

    static let accepted: [Accepted] = [
        Accepted(
            name: "7 lines (v3.3–v3.4 consensus)", text: "3s\n10.0.0.1\n9221\n7\n1360\n2\n200\n",
            point: .init(fileNumber: 7, offset: 1360), term: 2, logicID: 200, elapsed: 3, lineCount: 7,
            remarks: [.consensusLines]),
        Accepted(
            name: "6 lines: term without index", text: "0s\nh\n1\n7\n1360\n2\n",
            point: .init(fileNumber: 7, offset: 1360), term: 2, logicID: nil, elapsed: 0, lineCount: 6,
            remarks: [.consensusLines, .termWithoutIndex]),
        Accepted(
            name: "line 8 ignored", text: "0s\nh\n1\n7\n1360\n2\n200\nanything at all\n",
            point: .init(fileNumber: 7, offset: 1360), term: 2, logicID: 200, elapsed: 0, lineCount: 8,
            remarks: [.ignoredLine8("anything at all"), .consensusLines]),
        Accepted(
            name: "no trailing newline", text: "0s\nh\n1\n7\n1360",
            point: .init(fileNumber: 7, offset: 1360), elapsed: 0, lineCount: 5, remarks: [.missingFinalNewline]),
        Accepted(
            name: "CRLF line endings", text: "0s\r\nh\r\n1\r\n7\r\n1360\r\n",
            point: .init(fileNumber: 7, offset: 1360), elapsed: 0, lineCount: 5,
            remarks: [.crlfLineEndings(lines: [1, 2, 3, 4, 5])]),
        Accepted(
            name: "CRLF without final newline", text: "0s\r\nh\r\n1\r\n7\r\n1360\r",
            point: .init(fileNumber: 7, offset: 1360), elapsed: 0, lineCount: 5,
            remarks: [.crlfLineEndings(lines: [1, 2, 3, 4, 5]), .missingFinalNewline]),
        Accepted(
            name: "leading zeros (pstd::string2int accepts)", text: "0s\nh\n1\n007\n1360\n",
            point: .init(fileNumber: 7, offset: 1360), elapsed: 0, lineCount: 5,
            remarks: [.nonCanonicalNumber(line: 4, text: "007")]),
        Accepted(
            name: "-0 is zero", text: "0s\nh\n1\n7\n-0\n",
            point: .init(fileNumber: 7, offset: 0), elapsed: 0, lineCount: 5,
            remarks: [.nonCanonicalNumber(line: 5, text: "-0")]),
        Accepted(
            name: "line 1 not <n>s (Pika ignores it)", text: "twelve\nh\n1\n7\n1360\n",
            point: .init(fileNumber: 7, offset: 1360), elapsed: nil, lineCount: 5,
            remarks: [.unexpectedElapsedLine("twelve")]),
        Accepted(
            name: "line 1 without the s", text: "12\nh\n1\n7\n1360\n",
            point: .init(fileNumber: 7, offset: 1360), elapsed: nil, lineCount: 5,
            remarks: [.unexpectedElapsedLine("12")]),
        Accepted(
            name: "empty line 1 and empty host", text: "\n\n1\n7\n1360\n",
            point: .init(fileNumber: 7, offset: 1360), elapsed: nil, lineCount: 5,
            remarks: [.unexpectedElapsedLine("")]),
        Accepted(
            name: "largest values", text: "99s\nh\n9223372036854775807\n4294967295\n9223372036854775807\n4294967295\n9223372036854775807\n",
            point: .init(fileNumber: 4_294_967_295, offset: 9_223_372_036_854_775_807), term: 4_294_967_295,
            logicID: 9_223_372_036_854_775_807, elapsed: 99, lineCount: 7, remarks: [.consensusLines]),
        // Docs/Format.md §S3: (N+1):0 is kept as written; callers equate it with N:<size of N>.
        Accepted(
            name: "(N+1):0 kept raw", text: "0s\n127.0.0.1\n9221\n8\n0\n",
            point: .init(fileNumber: 8, offset: 0), elapsed: 0, lineCount: 5, remarks: []),
    ]

    @Test(arguments: accepted)
    func acceptedVariant(_ c: Accepted) throws {
        let info = try BgsaveInfo.decode(Array(c.text.utf8), path: "info")
        #expect(info.resumePoint == c.point)
        #expect(info.term == c.term)
        #expect(info.logicID == c.logicID)
        #expect(info.elapsedSeconds == c.elapsed)
        #expect(info.lineCount == c.lineCount)
        #expect(info.remarks == c.remarks)
        for remark in info.remarks { #expect(!remark.description.isEmpty) }
    }

    @Test func sevenLineEncodingRoundTrips() throws {
        let info = BgsaveInfo(
            elapsedSeconds: 4, host: "10.1.1.1", port: 9221, resumePoint: ResumePoint(fileNumber: 3, offset: 99),
            term: 5, logicID: 77)
        let bytes = info.encoded()
        #expect(bytes == Array("4s\n10.1.1.1\n9221\n3\n99\n5\n77\n".utf8))
        var decoded = try BgsaveInfo.decode(bytes, path: "info")
        #expect(decoded.remarks == [.consensusLines])
        decoded.remarks = []
        #expect(decoded == info)
    }

    // MARK: - Errors

    struct Rejected: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var line: Int
        var offset: Int
        var problem: BgsaveInfoError.Problem
        var testDescription: String { name }
    }

    static let rejected: [Rejected] = [
        Rejected(name: "empty file", text: "", line: 1, offset: 0, problem: .missingLine(.elapsed)),
        Rejected(name: "only a newline", text: "\n", line: 2, offset: 1, problem: .missingLine(.host)),
        Rejected(
            name: "4 lines", text: "0s\nh\n1\n7\n", line: 5, offset: 9, problem: .missingLine(.offset)),
        Rejected(
            name: "4 lines, last unterminated", text: "0s\nh\n1\n7", line: 5, offset: 8,
            problem: .missingLine(.offset)),
        Rejected(
            name: "letters in filenum", text: "0s\nh\n1\nseven\n1360\n", line: 4, offset: 7,
            problem: .notADecimalNumber(.fileNumber, text: "seven")),
        Rejected(
            name: "negative offset", text: "0s\nh\n1\n7\n-5\n", line: 5, offset: 9,
            problem: .negative(.offset, text: "-5")),
        Rejected(
            name: "negative port", text: "0s\nh\n-1\n7\n5\n", line: 3, offset: 5, problem: .negative(.port, text: "-1")),
        Rejected(
            name: "leading space", text: "0s\nh\n1\n 7\n5\n", line: 4, offset: 7,
            problem: .notADecimalNumber(.fileNumber, text: " 7")),
        Rejected(
            name: "trailing space", text: "0s\nh\n1\n7 \n5\n", line: 4, offset: 7,
            problem: .notADecimalNumber(.fileNumber, text: "7 ")),
        Rejected(
            name: "plus sign", text: "0s\nh\n1\n+7\n5\n", line: 4, offset: 7,
            problem: .notADecimalNumber(.fileNumber, text: "+7")),
        Rejected(
            name: "lone minus", text: "0s\nh\n1\n7\n-\n", line: 5, offset: 9,
            problem: .notADecimalNumber(.offset, text: "-")),
        Rejected(
            name: "empty offset line", text: "0s\nh\n1\n7\n\n", line: 5, offset: 9,
            problem: .notADecimalNumber(.offset, text: "")),
        Rejected(
            name: "CR inside a line", text: "0s\nh\n1\n7\r5\n", line: 4, offset: 7,
            problem: .notADecimalNumber(.fileNumber, text: "7\r5")),
        Rejected(
            name: "above INT64_MAX", text: "0s\nh\n1\n7\n9223372036854775808\n", line: 5, offset: 9,
            problem: .notADecimalNumber(.offset, text: "9223372036854775808")),
        Rejected(
            name: "filenum above u32", text: "0s\nh\n1\n4294967296\n5\n", line: 4, offset: 7,
            problem: .tooLarge(.fileNumber, text: "4294967296", maximum: 4_294_967_295)),
        Rejected(
            name: "term above u32", text: "0s\nh\n1\n7\n5\n4294967296\n1\n", line: 6, offset: 11,
            problem: .tooLarge(.term, text: "4294967296", maximum: 4_294_967_295)),
        Rejected(
            name: "bad index", text: "0s\nh\n1\n7\n5\n1\nx\n", line: 7, offset: 13,
            problem: .notADecimalNumber(.index, text: "x")),
        Rejected(
            name: "9 lines", text: "0s\nh\n1\n7\n5\n1\n2\n8\nnine\n", line: 9, offset: 17,
            problem: .extraLine(text: "nine")),
        Rejected(
            name: "empty 9th line", text: "0s\nh\n1\n7\n5\n1\n2\n8\n\n", line: 9, offset: 17,
            problem: .extraLine(text: "")),
    ]

    @Test(arguments: rejected)
    func rejectedVariant(_ c: Rejected) {
        let path = "/dump/20240101/db0/info"
        let expected = BgsaveInfoError.malformed(path: path, line: c.line, offset: c.offset, problem: c.problem)
        #expect(throws: expected) {
            try BgsaveInfo.decode(Array(c.text.utf8), path: path)
        }
        let text = expected.description
        #expect(text.contains("\(path):\(c.line):"))
        #expect(text.contains("byte \(c.offset)"))
    }

    @Test func readErrors() throws {
        let error = #expect(throws: BgsaveInfoError.self) {
            try BgsaveInfo.read(path: "/nonexistent-binlogtool-test/info")
        }
        guard case .io(let io) = error else {
            Issue.record("expected an I/O error, got \(String(describing: error))")
            return
        }
        #expect(io.kind == .missing)

        let dir = try MetadataFixtures.makeTemporaryDirectory()
        defer { MetadataFixtures.remove(dir) }
        let big = dir + "/info"
        try MetadataFixtures.write([UInt8](repeating: 0x30, count: 70_000), to: big)
        #expect(throws: BgsaveInfoError.tooLarge(path: big, byteCount: 70_000)) {
            try BgsaveInfo.read(path: big)
        }

        let bad = dir + "/bad"
        try MetadataFixtures.write(Array("0s\n127.0.0.1\n9221\n7x\n1\n".utf8), to: bad)
        #expect(
            throws: BgsaveInfoError.malformed(
                path: bad, line: 4, offset: 18, problem: .notADecimalNumber(.fileNumber, text: "7x"))
        ) {
            try BgsaveInfo.read(path: bad)
        }
    }
}
