import BinlogFormat
import Repair

/// One JSON object written member by member into an ``OutputBuffer``: `{` when made, `,"name":`
/// before each member's value (no comma before the first), `}` on ``close()``. Names are static
/// strings and values go straight into the buffer: nothing is allocated per member.
///
/// ```swift
/// var o = JSONObject(into: out)
/// o.number("filenum", point.fileNumber)
/// o.number("offset", point.offset)
/// o.close()                                   // {"filenum":7,"offset":262165}
/// ```
public struct JSONObject: ~Copyable {
    public let out: OutputBuffer
    private var isEmpty = true

    public init(into out: OutputBuffer) {
        self.out = out
        out.append(UInt8(ascii: "{"))
    }

    /// Starts a member: `,"name":`; its value is written next, into ``out``.
    public mutating func key(_ name: StaticString) {
        separate()
        out.append(UInt8(ascii: "\""))
        out.append(name)
        out.append("\":")
    }

    /// A member whose name is known only at run time (escaped as a JSON string).
    public mutating func key(_ name: String) {
        separate()
        out.appendJSONString(name)
        out.append(UInt8(ascii: ":"))
    }

    /// An integer member; `nil` is written as `null`.
    public mutating func number<T: BinaryInteger>(_ name: StaticString, _ value: T?) {
        key(name)
        if let value { out.append(decimal: value) } else { out.append("null") }
    }

    /// A string member, escaped; `nil` is written as `null`.
    public mutating func string(_ name: StaticString, _ value: String?) {
        key(name)
        if let value { out.appendJSONString(value) } else { out.append("null") }
    }

    public mutating func bool(_ name: StaticString, _ value: Bool) {
        key(name)
        out.append(value ? "true" : "false")
    }

    /// A string array member.
    public mutating func strings(_ name: StaticString, _ values: [String]) {
        key(name)
        out.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.appendJSONString(value)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// An integer array member.
    public mutating func numbers<C: Collection>(_ name: StaticString, _ values: C) where C.Element: BinaryInteger {
        key(name)
        out.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(decimal: value)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// Ends the object: `}`.
    public consuming func close() {
        out.append(UInt8(ascii: "}"))
    }

    private mutating func separate() {
        if !isEmpty { out.append(UInt8(ascii: ",")) }
        isEmpty = false
    }
}

/// The positions every JSON output shares, written the same way everywhere.
extension OutputBuffer {
    /// `{"filenum":F,"offset":O}`.
    public func appendJSONPoint(fileNumber: some BinaryInteger, offset: UInt64) {
        var o = JSONObject(into: self)
        o.number("filenum", fileNumber)
        o.number("offset", offset)
        o.close()
    }

    /// A resume point as `{"filenum":F,"offset":O}`; `nil` as `null`.
    public func appendJSON(_ point: ResumePoint?) {
        guard let point else { return append("null") }
        appendJSONPoint(fileNumber: point.fileNumber, offset: point.offset)
    }

    /// A manifest's fields: `{"filenum":F,"offset":O,"logic_id":L,"term":T}`; `nil` as `null`.
    public func appendJSON(_ producer: ProducerStatus?) {
        guard let producer else { return append("null") }
        var o = JSONObject(into: self)
        o.number("filenum", producer.fileNumber)
        o.number("offset", producer.offset)
        o.number("logic_id", producer.logicID)
        o.number("term", producer.term)
        o.close()
    }

    /// A finding's location: `{"filenum":F,"offset":O,"logic_id":L|null}`; `nil` as `null`.
    public func appendJSON(_ location: FindingLocation?) {
        guard let location else { return append("null") }
        var o = JSONObject(into: self)
        o.number("filenum", location.fileNumber)
        o.number("offset", location.offset)
        o.number("logic_id", location.logicID)
        o.close()
    }
}
