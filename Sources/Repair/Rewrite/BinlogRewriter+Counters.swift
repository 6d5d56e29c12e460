import BinlogFormat

/// An integer counter step: INCR/DECR/INCRBY/DECRBY on a string, HINCRBY on a hash field.
enum CounterStep: Equatable {
    case string
    case hash

    /// The step `command` is, with its arguments' shape checked (not their values).
    static func of(_ command: RESPCommand) -> CounterStep? {
        switch command.count {
        case 2 where command.nameIs("incr") || command.nameIs("decr"): .string
        case 3 where command.nameIs("incrby") || command.nameIs("decrby"): .string
        case 4 where command.nameIs("hincrby"): .hash
        default: nil
        }
    }
}

/// Counters kept out of the model.
///
/// A key that, from some item on, sees only counter steps of one kind (the analysis' segments,
/// like the append segments of lists) does not need the model's general machinery for each step:
/// the first step goes through the model (which knows the value, seeding it from a snapshot if
/// needed), then the value is kept here as an `Int64` (a hash's fields as a dictionary) and each
/// step writes `set k <value>` / `hset k f <value>`, exactly the model's forms (the key has no
/// expiry, or it would not be here). The arithmetic is the model's (Redis' `string2ll`, overflow
/// refused): on an overflow the value goes back to the model, which reports the command as it
/// would have.
extension RewriteRun {
    /// Writes a counter step on a key in counter mode, or enters the mode; false when the model
    /// has to take the item.
    mutating func counterStep(_ item: BinlogItem, step: CounterStep, position: UInt64) throws(RewriteError) -> Bool {
        let command = item.command
        guard let k = plan.keys.index(of: command[1]) else { return false }
        // The fields read one by one: a copy of the whole key plan per step is a large one.
        if plan.keys[k].counterRefused { return false }
        let counter = plan.keys[k].counter
        let hashCounter = plan.keys[k].hashCounter
        let inMode = step == .string ? counter != nil : hashCounter != nil
        if !inMode {
            let last = step == .string ? plan.keys[k].lastNotCounter : plan.keys[k].lastNotHashCounter
            guard position > last && position > plan.lastGlobal else { return false }
            try enterCounterMode(item, key: k, step: step)
            return true
        }
        bypassModel()
        guard let delta = Self.delta(command, step: step) else {
            try leaveCounterMode(item, key: k, step: step)
            return true
        }
        switch step {
        case .string:
            let (value, overflow) = counter!.addingReportingOverflow(delta)
            if overflow {
                try leaveCounterMode(item, key: k, step: step)
                return true
            }
            plan.keys[k].counter = value
            encodeCommand("set", command[1], nil, value)
        case .hash:
            let slot = hashCounter!
            let f = plan.hashCounters[slot].findOrInsert(command[2]) { 0 }
            let (value, overflow) = plan.hashCounters[slot][f].addingReportingOverflow(delta)
            if overflow {
                try leaveCounterMode(item, key: k, step: step)
                return true
            }
            plan.hashCounters[slot][f] = value
            encodeCommand("hset", command[1], command[2], value)
        }
        let at = try writeEncoded(time: execTime(item), recordTimes: UnsafeBufferPointer(start: nil, count: 0))
        summary.commandsWritten += 1
        bump(.replaced)
        if report != nil || collecting {
            var argv: [[UInt8]] = [Array((step == .string ? "set" : "hset").utf8), Array(command[1])]
            if step == .hash { argv.append(Array(command[2])) }
            let value =
                step == .string
                ? plan.keys[k].counter! : plan.hashCounters[hashCounter!][plan.hashCounters[hashCounter!].index(of: command[2])!]
            argv.append(RedisNumbers.format(value))
            let written = [OutputCommand(arguments: argv, location: at)]
            if collecting { self.written += written }
            emit(
                RewriteChange(
                    kind: .replaced, item: location(item), arguments: command.ownedArguments(), written: written,
                    reason: "made absolute: the resulting value, not the operation"))
        }
        return true
    }

    /// The first step of a counter segment: the model decides it, then its state seeds the counter.
    mutating func enterCounterMode(_ item: BinlogItem, key k: Int, step: CounterStep) throws(RewriteError) {
        let decision = try modelDecision(item)
        let key = plan.keys.key(k)
        let state = model.state(of: key, atMs: Int64(execTime(item)) * 1000)
        switch (step, state, decision) {
        case (_, _, .unknownPriorState), (_, _, .keepUnmodelled):
            plan.keys[k].counterRefused = true
        case (.string, .present(.string(let bytes), nil)?, _):
            if let value = RedisNumbers.parseInt64(bytes) { plan.keys[k].counter = value } else { plan.keys[k].counterRefused = true }
        case (.hash, .present(.hash(let fields), nil)?, _):
            var counters = RewriteKeyTable<Int64>(capacity: max(8, fields.count))
            for (field, value) in fields {
                guard let v = RedisNumbers.parseInt64(value) else {
                    plan.keys[k].counterRefused = true
                    break
                }
                let f = field.withUnsafeBytes { counters.findOrInsert($0) { 0 } }
                counters[f] = v
            }
            if !plan.keys[k].counterRefused {
                plan.keys[k].hashCounter = plan.hashCounters.count
                plan.hashCounters.append(counters)
            }
        default:
            plan.keys[k].counterRefused = true
        }
        try write(item, decision)
        if !plan.keys[k].counterRefused {
            // The model lets go of the key: nothing reads it there again.
            _ = try? model.rewrite([Array("del".utf8), key], execTimeSeconds: execTime(item))
        }
    }

    /// Hands the key back to the model (a step it must report itself: an overflow, a bad
    /// argument): the model is told the current value first, then decides the item.
    mutating func leaveCounterMode(_ item: BinlogItem, key k: Int, step: CounterStep) throws(RewriteError) {
        let key = plan.keys.key(k)
        let time = execTime(item)
        switch step {
        case .string:
            _ = try? model.rewrite(
                [Array("set".utf8), key, RedisNumbers.format(plan.keys[k].counter!)], execTimeSeconds: time)
            plan.keys[k].counter = nil
        case .hash:
            let fields = plan.hashCounters[plan.keys[k].hashCounter!]
            _ = try? model.rewrite([Array("del".utf8), key], execTimeSeconds: time)
            for f in 0..<fields.count {
                _ = try? model.rewrite(
                    [Array("hset".utf8), key, fields.key(f), RedisNumbers.format(fields[f])], execTimeSeconds: time)
            }
            plan.hashCounters[plan.keys[k].hashCounter!] = RewriteKeyTable<Int64>(capacity: 1)
            plan.keys[k].hashCounter = nil
        }
        plan.keys[k].counterRefused = true
        model.noteItemNotReplayed()
        try write(item, try modelDecision(item))
    }

    /// The step's increment, parsed by Redis' `string2ll` rules (`RedisNumbers.parseInt64`); nil
    /// when the model would call the command malformed.
    static func delta(_ command: RESPCommand, step: CounterStep) -> Int64? {
        switch step {
        case .hash:
            return RedisNumbers.parseInt64(command[3])
        case .string:
            if command.count == 2 { return command[0].count == 4 && asciiLower(command[0][0]) == UInt8(ascii: "d") ? -1 : 1 }
            guard let d = RedisNumbers.parseInt64(command[2]) else { return nil }
            if asciiLower(command[0][0]) == UInt8(ascii: "d") {
                guard d != .min else { return nil }
                return -d
            }
            return d
        }
    }

    /// `name key [field] <value>` as RESP, into ``encoded``.
    mutating func encodeCommand(_ name: StaticString, _ key: UnsafeRawBufferPointer, _ field: UnsafeRawBufferPointer?, _ value: Int64) {
        encoded.removeAll(keepingCapacity: true)
        RESP.appendArrayHeader(field == nil ? 3 : 4, to: &encoded)
        RESP.appendBulk(name, to: &encoded)
        RESP.appendBulk(key, to: &encoded)
        if let field { RESP.appendBulk(field, to: &encoded) }
        RESP.appendBulkDecimal(value, to: &encoded)
    }
}
