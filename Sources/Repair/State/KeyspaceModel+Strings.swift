import BinlogFormat

/// Strings: SET and its forms, counters, APPEND, SETRANGE, SETBIT, BITOP, HyperLogLog.
extension KeyspaceModel {
    static func lower(_ bytes: [UInt8]) -> String { lowercased(bytes) }

    /// `SET k v [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL]`. Absolute unless it carries a
    /// relative expiry (v2.x logs it as sent), a condition, or KEEPTTL.
    mutating func set(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count >= 3 else { return malformed(it, "wrong number of arguments") }
        let key = it.key
        let value = it.args[2]
        var nx = false
        var xx = false
        var keepTTL = false
        var expiresAtMs: Int64? = nil
        var relative = false
        var i = 3
        while i < it.args.count {
            let option = Self.lower(it.args[i])
            switch option {
            case "nx": nx = true
            case "xx": xx = true
            case "get": break
            case "keepttl": keepTTL = true
            case "ex", "px", "exat", "pxat":
                guard i + 1 < it.args.count, expiresAtMs == nil,
                    let n = RedisNumbers.parseInt64(it.args[i + 1]), n > 0
                else { return malformed(it, "bad expiry") }
                let (ms, overflow) = n.multipliedReportingOverflow(by: option == "ex" || option == "exat" ? 1000 : 1)
                guard !overflow else { return malformed(it, "expiry out of range") }
                relative = option == "ex" || option == "px"
                expiresAtMs = relative ? it.execMs &+ ms : ms
                i += 1
            default:
                return malformed(it, "unknown option")
            }
            i += 1
        }
        if (nx && xx) || (keepTTL && expiresAtMs != nil) { return malformed(it, "conflicting options") }
        if nx || xx || keepTTL {
            let entry = try need(key, it)
            if (nx && entry != nil) || (xx && entry == nil) { return .replace([]) }
            if keepTTL { expiresAtMs = entry?.expiresAtMs }
        }
        store(key, Entry(value: .string(value), expiresAtMs: expiresAtMs))
        if !relative && !nx && !xx && !keepTTL { return .keep }
        return .replace(stringForm(key, value, expiresAtMs: expiresAtMs))
    }

    /// `pksetexat k <ts> v`: absolute; ``PksetexatTime`` reads `ts`. A millisecond time (v4.0.1
    /// PSETEX, which v4.0.1 replicas reject) is written again in a form replicas take.
    mutating func pksetexat(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count == 4, let ts = RedisNumbers.parseInt64(it.args[2]), ts >= 0 else {
            return malformed(it, "expected key, non-negative timestamp, value")
        }
        let milliseconds = PksetexatTime.isMilliseconds(digits: it.args[2].count)
        let expiresAtMs = PksetexatTime.expiresAtMs(ts, digits: it.args[2].count)
        store(it.key, Entry(value: .string(it.args[3]), expiresAtMs: expiresAtMs))
        if dialect == .pika && !milliseconds { return .keep }
        return .replace(stringForm(it.key, it.args[3], expiresAtMs: expiresAtMs))
    }

    /// `SETEX k s v` / `PSETEX k ms v` as sent (v2.x): the expiry is relative to the exec time.
    mutating func setex(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count == 4, let n = RedisNumbers.parseInt64(it.args[2]), n > 0,
            let rule = CommandCatalogue.expiryRule(named: it.name)
        else {
            return malformed(it, "expected key, positive time, value")
        }
        let (ms, overflow) = n.multipliedReportingOverflow(by: rule.millisecondsPerUnit)
        guard !overflow else { return malformed(it, "expiry out of range") }
        let expiresAtMs = it.execMs &+ ms
        store(it.key, Entry(value: .string(it.args[3]), expiresAtMs: expiresAtMs))
        return .replace(stringForm(it.key, it.args[3], expiresAtMs: expiresAtMs))
    }

    /// `SETNX k v`: conditional on the key being absent; logged even when it fails (v3.3.6+).
    mutating func setnx(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count == 3 else { return malformed(it, "wrong number of arguments") }
        if try need(it.key, it) != nil { return .replace([]) }
        store(it.key, Entry(value: .string(it.args[2]), expiresAtMs: nil))
        return .replace(stringForm(it.key, it.args[2], expiresAtMs: nil))
    }

    /// `GETSET k v`: absolute, drops the expiry.
    mutating func getset(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count == 3 else { return malformed(it, "wrong number of arguments") }
        store(it.key, Entry(value: .string(it.args[2]), expiresAtMs: nil))
        return .keep
    }

    /// `MSET k v …`: absolute.
    mutating func mset(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count >= 3, it.args.count % 2 == 1 else { return malformed(it, "odd key/value list") }
        for i in stride(from: 1, to: it.args.count, by: 2) {
            store(it.args[i], Entry(value: .string(it.args[i + 1]), expiresAtMs: nil))
        }
        return .keep
    }

    /// `MSETNX k v …` as sent (≤ v3.4): all or nothing, conditional on every key being absent.
    mutating func msetnx(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count >= 3, it.args.count % 2 == 1 else { return malformed(it, "odd key/value list") }
        let keys = stride(from: 1, to: it.args.count, by: 2).map { it.args[$0] }
        var anyPresent = false
        for key in keys where try need(key, it, writes: keys) != nil { anyPresent = true }
        if anyPresent { return .replace([]) }
        var out: [Command] = []
        for i in stride(from: 1, to: it.args.count, by: 2) {
            store(it.args[i], Entry(value: .string(it.args[i + 1]), expiresAtMs: nil))
            out += stringForm(it.args[i], it.args[i + 1], expiresAtMs: nil)
        }
        return .replace(out)
    }

    /// The prior string of a non-idempotent string command: its bytes (empty when absent) and
    /// expiry, or the decision to return instead.
    mutating func priorString(_ it: ModelItem, _ key: [UInt8]) throws -> (
        bytes: [UInt8]?, expiresAtMs: Int64?, RewriteDecision?
    ) {
        guard let entry = try need(key, it) else { return (nil, nil, nil) }
        guard case .string(let bytes) = entry.value else {
            return (nil, nil, typeConflict(it, key: key, found: entry.value, replaySafe: false))
        }
        return (bytes, entry.expiresAtMs, nil)
    }

    /// `APPEND k v` (≤ v3.5.4 as sent): the whole new value, expiry kept.
    mutating func append(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count == 3 else { return malformed(it, "wrong number of arguments") }
        let (old, expiry, stop) = try priorString(it, it.key)
        if let stop { return stop }
        let value = (old ?? []) + it.args[2]
        store(it.key, Entry(value: .string(value), expiresAtMs: expiry))
        return .replace(stringForm(it.key, value, expiresAtMs: expiry))
    }

    /// `INCR`, `DECR`, `INCRBY`, `DECRBY`: the new value, expiry kept.
    mutating func incrby(_ it: ModelItem) throws -> RewriteDecision {
        let hasDelta = it.name == "incrby" || it.name == "decrby"
        guard it.args.count == (hasDelta ? 3 : 2) else { return malformed(it, "wrong number of arguments") }
        var delta: Int64 = it.name == "decr" ? -1 : 1
        if hasDelta {
            guard let d = RedisNumbers.parseInt64(it.args[2]) else {
                return malformed(it, "increment is not an integer")
            }
            if it.name == "decrby" {
                guard d != .min else { return malformed(it, "decrement out of range") }
                delta = -d
            } else {
                delta = d
            }
        }
        let (old, expiry, stop) = try priorString(it, it.key)
        if let stop { return stop }
        var current: Int64 = 0
        if let old {
            guard let v = RedisNumbers.parseInt64(old) else {
                return diverged(it, key: it.key, "fails (value is not an integer)", replaySafe: false)
            }
            current = v
        }
        let (result, overflow) = current.addingReportingOverflow(delta)
        if overflow { return diverged(it, key: it.key, "overflows", replaySafe: false) }
        let value = RedisNumbers.format(result)
        store(it.key, Entry(value: .string(value), expiresAtMs: expiry))
        return .replace(stringForm(it.key, value, expiresAtMs: expiry))
    }

    /// `INCRBYFLOAT k x` (≤ v3.5.4 as sent): long double sum, formatted as Redis does.
    mutating func incrbyfloat(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count == 3 else { return malformed(it, "wrong number of arguments") }
        guard let increment = RedisNumbers.parseLongDouble(it.args[2]) else {
            return malformed(it, "increment is not a number")
        }
        let (old, expiry, stop) = try priorString(it, it.key)
        if let stop { return stop }
        var current: RedisLongDouble = 0
        if let old {
            guard let v = RedisNumbers.parseLongDouble(old) else {
                return diverged(it, key: it.key, "fails (value is not a float)", replaySafe: false)
            }
            current = v
        }
        guard let value = RedisNumbers.formatLongDouble(current + increment) else {
            return diverged(it, key: it.key, "gives NaN or infinity", replaySafe: false)
        }
        store(it.key, Entry(value: .string(value), expiresAtMs: expiry))
        return .replace(stringForm(it.key, value, expiresAtMs: expiry))
    }

    /// Redis refuses strings longer than 512 MiB; so does the model.
    static let maxStringBytes = 512 * 1024 * 1024

    /// `SETRANGE k offset v`: replay-safe, kept.
    mutating func setrange(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count == 4, let offset = RedisNumbers.parseInt64(it.args[2]), offset >= 0 else {
            return malformed(it, "expected key, non-negative offset, value")
        }
        let patch = it.args[3]
        guard offset <= Int64(Self.maxStringBytes - patch.count) else {
            return diverged(it, key: it.key, "exceeds 512 MiB", replaySafe: true)
        }
        switch try prior(it.key, it) {
        case .unknown:
            return .keep
        case .known(let entry):
            var bytes: [UInt8] = []
            if let entry {
                guard case .string(let b) = entry.value else {
                    return typeConflict(it, key: it.key, found: entry.value, replaySafe: true)
                }
                bytes = b
            }
            if patch.isEmpty { return .keep }  // no change, no key created
            let end = Int(offset) + patch.count
            if bytes.count < end { bytes += [UInt8](repeating: 0, count: end - bytes.count) }
            bytes.replaceSubrange(Int(offset)..<end, with: patch)
            store(it.key, Entry(value: .string(bytes), expiresAtMs: entry?.expiresAtMs))
            return reassertingExpiry(it.key, it, [it.args], logged: true)
        }
    }

    /// `SETBIT k offset 0|1`: replay-safe, kept.
    mutating func setbit(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count == 4, let offset = RedisNumbers.parseInt64(it.args[2]), offset >= 0,
            offset < Int64(Self.maxStringBytes) * 8, it.args[3] == [0x30] || it.args[3] == [0x31]
        else { return malformed(it, "expected key, bit offset, 0 or 1") }
        switch try prior(it.key, it) {
        case .unknown:
            return .keep
        case .known(let entry):
            var bytes: [UInt8] = []
            if let entry {
                guard case .string(let b) = entry.value else {
                    return typeConflict(it, key: it.key, found: entry.value, replaySafe: true)
                }
                bytes = b
            }
            let index = Int(offset >> 3)
            if bytes.count <= index { bytes += [UInt8](repeating: 0, count: index + 1 - bytes.count) }
            let mask = UInt8(1) << UInt8(7 - (offset & 7))
            if it.args[3] == [0x31] { bytes[index] |= mask } else { bytes[index] &= ~mask }
            store(it.key, Entry(value: .string(bytes), expiresAtMs: entry?.expiresAtMs))
            return reassertingExpiry(it.key, it, [it.args], logged: true)
        }
    }

    /// `BITOP AND|OR|XOR|NOT dest src…` as sent (≤ v3.4): the result, from the sources' state.
    mutating func bitop(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count >= 4 else { return malformed(it, "wrong number of arguments") }
        let op = Self.lower(it.args[1])
        let dest = it.args[2]
        let sources = Array(it.args[3...])
        guard ["and", "or", "xor", "not"].contains(op), op != "not" || sources.count == 1 else {
            return malformed(it, "bad operation")
        }
        var inputs: [[UInt8]] = []
        for key in sources {
            guard let entry = try need(key, it, writes: [dest]) else {
                inputs.append([])
                continue
            }
            guard case .string(let b) = entry.value else {
                return diverged(it, key: dest, "fails (a source is not a string)", replaySafe: false)
            }
            inputs.append(b)
        }
        let length = inputs.map(\.count).max() ?? 0
        guard length > 0 else {
            store(dest, nil)
            return .replace([Self.command("del", dest)])
        }
        var result = [UInt8](repeating: 0, count: length)
        for i in 0..<length {
            func byte(_ input: [UInt8]) -> UInt8 { i < input.count ? input[i] : 0 }
            switch op {
            case "not": result[i] = ~byte(inputs[0])
            case "and": result[i] = inputs.reduce(0xFF) { $0 & byte($1) }
            case "or": result[i] = inputs.reduce(0) { $0 | byte($1) }
            default: result[i] = inputs.reduce(0) { $0 ^ byte($1) }
            }
        }
        store(dest, Entry(value: .string(result), expiresAtMs: nil))
        return .replace(stringForm(dest, result, expiresAtMs: nil))
    }

    /// `PFADD`: replay-safe (set semantics), but Pika's HyperLogLog bytes are not modelled.
    mutating func pfadd(_ it: ModelItem) -> RewriteDecision {
        let why = "PFADD: HyperLogLog contents are not modelled"
        forget(it.key, why)
        return .keepUnmodelled(key: it.key, reason: why)
    }

    /// `PFMERGE dest src…` as sent (≤ v3.4): recomputed from the sources on replay, not modelled.
    mutating func pfmerge(_ it: ModelItem) -> RewriteDecision {
        let why = "PFMERGE recomputes from its sources on replay; HyperLogLog contents are not modelled"
        forget(it.key, why)
        return .unknownPriorState(key: it.key, reason: why)
    }
}
