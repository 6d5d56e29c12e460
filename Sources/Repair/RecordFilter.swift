import BinlogFormat

/// Which items an operator asked for: every condition set must hold (they combine with AND).
public struct RecordFilter: Sendable {
    /// Items whose physical start is at or after this position.
    public var startPosition: PhysicalPosition?
    /// Items whose physical start is before this position.
    public var stopPosition: PhysicalPosition?
    /// Items whose exec time (unix seconds) is at or after / before these.
    public var startTime: UInt32?
    public var stopTime: UInt32?
    /// Logic ids in this closed range.
    public var fromLogicID: UInt64?
    public var toLogicID: UInt64?
    /// Command names, lower case; empty means any.
    public var commands: [[UInt8]] = []
    /// A Redis-style glob matched against the first argument after the command name.
    public var keyPattern: [UInt8]?

    public init() {}

    /// Whether padding and damage records are subject to the item conditions at all: a filter on
    /// content (time, id, command, key) leaves them out; a pure position window keeps them.
    public var selectsByContent: Bool {
        startTime != nil || stopTime != nil || fromLogicID != nil || toLogicID != nil || !commands.isEmpty
            || keyPattern != nil
    }

    /// Whether every record is selected (no condition set).
    public var selectsEverything: Bool { !selectsByContent && startPosition == nil && stopPosition == nil }

    /// Why the conditions can select nothing by construction (a range whose start is not before
    /// its end), or nil. Every range is held to the same rule.
    public var emptyRange: String? {
        if let a = startPosition, let b = stopPosition, a >= b {
            return "--start-position \(a) is not before --stop-position \(b) (the stop is excluded)"
        }
        if let a = startTime, let b = stopTime, a >= b {
            return "--start-time \(a) is not before --stop-time \(b) (the stop is excluded)"
        }
        if let a = fromLogicID, let b = toLogicID, a > b { return "--from-logic-id \(a) is above --to-logic-id \(b)" }
        return nil
    }

    /// Whether the record lies in the position window.
    public func inWindow(_ start: PhysicalPosition) -> Bool {
        if let s = startPosition, start < s { return false }
        if let s = stopPosition, start >= s { return false }
        return true
    }

    /// Whether a position is past the window, so reading can stop.
    public func isPastWindow(_ start: PhysicalPosition) -> Bool {
        if let s = stopPosition { return start >= s }
        return false
    }

    /// Whether `item` passes every condition.
    public func matches(_ item: BinlogItem) -> Bool {
        guard inWindow(item.start) else { return false }
        let time = item.envelope == .pikaItem ? item.header.execTime : item.firstRecordTime
        if let t = startTime, time < t { return false }
        if let t = stopTime, time >= t { return false }
        if let id = fromLogicID, item.header.logicID < id { return false }
        if let id = toLogicID, item.header.logicID > id { return false }
        let command = item.command
        if !commands.isEmpty {
            guard command.count > 0 else { return false }
            let name = command[0]
            var found = false
            for wanted in commands where wanted.count == name.count {
                var same = true
                for i in 0..<name.count where asciiLower(name[i]) != wanted[i] {
                    same = false
                    break
                }
                if same { found = true; break }
            }
            if !found { return false }
        }
        if let pattern = keyPattern {
            guard command.count > 1 else { return false }
            let matched = pattern.withUnsafeBytes { p in globMatch(pattern: p, string: command[1]) }
            if !matched { return false }
        }
        return true
    }
}

/// Redis `stringmatchlen` semantics: `*`, `?`, `[abc]`, `[^a]`, `[a-z]`, `\x` escapes; binary-safe.
public func globMatch(pattern: UnsafeRawBufferPointer, string: UnsafeRawBufferPointer) -> Bool {
    var p = 0
    var s = 0
    // Backtracking points for the last `*`.
    var starP = -1
    var starS = 0
    while s < string.count {
        if p < pattern.count {
            let c = pattern[p]
            if c == UInt8(ascii: "*") {
                starP = p
                starS = s
                p += 1
                continue
            }
            if c == UInt8(ascii: "?") {
                p += 1
                s += 1
                continue
            }
            if c == UInt8(ascii: "[") {
                if let (matched, next) = matchClass(pattern, p, string[s]), matched {
                    p = next
                    s += 1
                    continue
                }
            } else {
                var literal = c
                var next = p + 1
                if c == UInt8(ascii: "\\"), p + 1 < pattern.count {
                    literal = pattern[p + 1]
                    next = p + 2
                }
                if literal == string[s] {
                    p = next
                    s += 1
                    continue
                }
            }
        }
        guard starP >= 0 else { return false }
        p = starP + 1
        starS += 1
        s = starS
    }
    while p < pattern.count && pattern[p] == UInt8(ascii: "*") { p += 1 }
    return p == pattern.count
}

/// Matches `[...]` at `p` against `c`; returns (matched, index after the class).
private func matchClass(_ pattern: UnsafeRawBufferPointer, _ start: Int, _ c: UInt8) -> (Bool, Int)? {
    var p = start + 1
    var negate = false
    if p < pattern.count && pattern[p] == UInt8(ascii: "^") {
        negate = true
        p += 1
    }
    var matched = false
    while p < pattern.count && pattern[p] != UInt8(ascii: "]") {
        if pattern[p] == UInt8(ascii: "\\") && p + 1 < pattern.count {
            if pattern[p + 1] == c { matched = true }
            p += 2
        } else if p + 2 < pattern.count && pattern[p + 1] == UInt8(ascii: "-") && pattern[p + 2] != UInt8(ascii: "]") {
            let lo = min(pattern[p], pattern[p + 2])
            let hi = max(pattern[p], pattern[p + 2])
            if c >= lo && c <= hi { matched = true }
            p += 3
        } else {
            if pattern[p] == c { matched = true }
            p += 1
        }
    }
    guard p < pattern.count else { return nil }  // unterminated: treat '[' literally
    return (matched != negate, p + 1)
}
