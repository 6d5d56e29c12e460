import BinlogFormat
import BinlogToolCore
import Repair
import Testing

/// `dump --format resp`: the logged command as is (`--dialect pika`), or Pika's own forms in a
/// form Redis replays (`--dialect redis`), in process.
@Suite struct RecordFormatterTests {
    static func resp(_ commands: [[String]], dialect: RewriteDialect) throws -> String {
        try Core.written { out in
            let formatter = RecordFormatter(format: .resp, dialect: dialect, out: out)
            try Core.forEachItem(written: commands) { item in formatter.write(item) }
        }
    }

    @Test func pksetexatBecomesSetWithAnAbsoluteExpiry() throws {
        let pksetexat = [["pksetexat", "str:ttl", "1795221621", "with-ttl"]]
        #expect(try Self.resp(pksetexat, dialect: .pika) == "*4\r\n$9\r\npksetexat\r\n$7\r\nstr:ttl\r\n$10\r\n1795221621\r\n$8\r\nwith-ttl\r\n")
        #expect(try Self.resp(pksetexat, dialect: .redis) == "*5\r\n$3\r\nset\r\n$7\r\nstr:ttl\r\n$8\r\nwith-ttl\r\n$4\r\nEXAT\r\n$10\r\n1795221621\r\n")
        // Milliseconds (13 digits): EXAT when whole seconds, else PXAT.
        #expect(
            try Self.resp([["pksetexat", "k", "1795221621000", "v"]], dialect: .redis)
                == "*5\r\n$3\r\nset\r\n$1\r\nk\r\n$1\r\nv\r\n$4\r\nEXAT\r\n$10\r\n1795221621\r\n")
        #expect(
            try Self.resp([["pksetexat", "k", "1795221621500", "v"]], dialect: .redis)
                == "*5\r\n$3\r\nset\r\n$1\r\nk\r\n$1\r\nv\r\n$4\r\nPXAT\r\n$13\r\n1795221621500\r\n")
        // Time 0 (v4.0.1's INCR is logged as `pksetexat cnt 0 1`): no expiry, a plain SET.
        #expect(try Self.resp([["pksetexat", "cnt", "0", "1"]], dialect: .redis) == "*3\r\n$3\r\nset\r\n$3\r\ncnt\r\n$1\r\n1\r\n")
    }

    @Test func otherCommandsAndMalformedPksetexatPassThrough() throws {
        for argv in [["set", "k", "v"], ["pksetexat", "k", "007x", "v"], ["pksetexat", "k", "-5", "v"], ["pksetexat", "k", "1"]] {
            let logged = RESP.encode(argv.map { Array($0.utf8) })
            #expect(try Self.resp([argv], dialect: .redis) == String(decoding: logged, as: UTF8.self), "\(argv)")
        }
    }

    /// The real v3.5.0 `basic` log: logic id 3 is `pksetexat str:ttl 1795221621 with-ttl`.
    @Test func realPksetexatItem() throws {
        let input = try Core.input("basic/binlog")
        var pika = "", redis = ""
        try Core.forEachRecord(input) { record in
            guard case .item(let item) = record, item.header.logicID == 3 else { return }
            pika = try Core.written { RecordFormatter(format: .resp, dialect: .pika, out: $0).write(item) }
            redis = try Core.written { RecordFormatter(format: .resp, dialect: .redis, out: $0).write(item) }
        }
        #expect(pika == "*4\r\n$9\r\npksetexat\r\n$7\r\nstr:ttl\r\n$10\r\n1795221621\r\n$8\r\nwith-ttl\r\n")
        #expect(redis == "*5\r\n$3\r\nset\r\n$7\r\nstr:ttl\r\n$8\r\nwith-ttl\r\n$4\r\nEXAT\r\n$10\r\n1795221621\r\n")
    }
}
