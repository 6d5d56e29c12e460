import BinlogFormat
import BinlogToolCore
import Repair
import Testing

/// The one JSON object writer every JSON output goes through (but dump's records).
struct JSONObjectTests {
    @Test func membersCommasNullsAndNesting() throws {
        let text = try Core.written { out in
            var o = JSONObject(into: out)
            o.number("n", 7)
            o.number("none", Int?.none)
            o.string("s", "a\"b\\c\n")
            o.string("missing", nil)
            o.bool("t", true)
            o.numbers("ids", [UInt64(1), 2, 3])
            o.strings("empty", [])
            o.key("inner")
            var inner = JSONObject(into: out)
            inner.close()
            o.key("point")
            out.appendJSON(ResumePoint(fileNumber: 7, offset: 262165))
            o.close()
        }
        #expect(
            text == #"{"n":7,"none":null,"s":"a\"b\\c\n","missing":null,"t":true,"ids":[1,2,3],"empty":[],"inner":{},"point":{"filenum":7,"offset":262165}}"#)
    }

    @Test func runTimeNamesAreEscaped() throws {
        let text = try Core.written { out in
            var o = JSONObject(into: out)
            o.key("se\"t")
            out.append(decimal: 2)
            o.close()
        }
        #expect(text == #"{"se\"t":2}"#)
    }

    @Test func sharedPositionWriters() throws {
        let text = try Core.written { out in
            out.appendJSON(ProducerStatus(fileNumber: 8, offset: 129, logicID: 11964, term: 0))
            out.appendJSON(FindingLocation(fileNumber: 3, offset: 0))
            out.appendJSON(ResumePoint?.none)
        }
        #expect(text == #"{"filenum":8,"offset":129,"logic_id":11964,"term":0}{"filenum":3,"offset":0,"logic_id":null}null"#)
    }
}
