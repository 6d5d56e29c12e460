import BinlogFormat

/// Strings: SET and its forms, counters, APPEND, SETRANGE, SETBIT, GETDEL.
extension CommandEffects {
    func applyString(_ command: LoggedCommand, _ footprint: CommandFootprint, at time: Int64, to states: inout [[UInt8]: KeyState]) {
        let argc = command.argumentCount
        let name = command.name
        let key = command[1]

        switch command.name {
        case "set":
            guard argc >= 3 else { return opaque(footprint, &states) }
            update(&states, key) { setString(&$0, command, at: time) }
        case "pksetexat":
            guard argc >= 4, let stamp = RedisNumbers.parseInt64(command[2]) else { return opaque(footprint, &states) }
            let seconds: ExpirySeconds = PksetexatTime.expiresAtMs(stamp, digits: command[2].count).map { $0 / 1000 }
            update(&states, key) { $0.string = StringState(value: .known(command[3]), expiry: .known(seconds)) }
        case "setex", "psetex":
            guard argc >= 4, let ttl = RedisNumbers.parseInt64(command[2]), let rule = CommandCatalogue.expiryRule(named: name)
            else { return opaque(footprint, &states) }
            let seconds = rule.seconds(ttl)
            update(&states, key) { $0.string = StringState(value: .known(command[3]), expiry: .known(time + seconds)) }
        case "setnx":
            guard argc >= 3 else { return opaque(footprint, &states) }
            update(&states, key) { state in
                switch state.string.exists {
                case .known(false): state.string = StringState(value: .known(command[2]), expiry: .known(nil))
                case .known(true): break
                case .unknown: state.string = .unknown
                }
            }
        case "getset":
            guard argc >= 3 else { return opaque(footprint, &states) }
            update(&states, key) { $0.string = StringState(value: .known(command[2]), expiry: .known(nil)) }
        case "mset":
            for index in stride(from: 1, to: argc - 1, by: 2) {
                update(&states, command[index]) {
                    $0.string = StringState(value: .known(command[index + 1]), expiry: .known(nil))
                }
            }
        case "msetnx":
            let pairs = stride(from: 1, to: argc - 1, by: 2).map { (command[$0], command[$0 + 1]) }
            let existence = pairs.map { states[$0.0, default: .unknown].string.exists }
            if existence.contains(.known(true)) { return }
            let sure = existence.allSatisfy { $0 == .known(false) }
            for (k, v) in pairs {
                update(&states, k) { $0.string = sure ? StringState(value: .known(v), expiry: .known(nil)) : .unknown }
            }
        case "incr", "decr", "incrby", "decrby":
            let delta: Int64?
            switch name {
            case "incr": delta = 1
            case "decr": delta = -1
            case "incrby": delta = argc >= 3 ? RedisNumbers.parseInt64(command[2]) : nil
            default: delta = argc >= 3 ? RedisNumbers.parseInt64(command[2]).flatMap { $0 == .min ? nil : -$0 } : nil
            }
            update(&states, key) { state in
                guard let delta, case .known(let old) = state.string.value else {
                    state.string.value = .unknown
                    return
                }
                let base: Int64
                if let old {
                    guard let parsed = RedisNumbers.parseInt64(old) else {
                        state.string.value = .unknown
                        return
                    }
                    base = parsed
                } else {
                    base = 0
                    state.string.expiry = .known(nil)
                }
                let (sum, overflow) = base.addingReportingOverflow(delta)
                state.string.value = overflow ? .unknown : .known(Array(String(sum).utf8))
            }
        case "incrbyfloat":
            update(&states, key) { state in
                if state.string.exists == .known(false) { state.string.expiry = .known(nil) }
                state.string.value = .unknown
            }
        case "append":
            guard argc >= 3 else { return opaque(footprint, &states) }
            update(&states, key) { state in
                switch state.string.value {
                case .known(let old?): state.string.value = .known(old + command[2])
                case .known(nil): state.string = StringState(value: .known(command[2]), expiry: .known(nil))
                case .unknown: break
                }
            }
        case "setrange":
            guard argc >= 4, let offset = RedisNumbers.parseInt64(command[2]), offset >= 0, offset < 1 << 29 else {
                return opaque(footprint, &states)
            }
            update(&states, key) { state in
                guard case .known(let old) = state.string.value else { return }
                if old == nil { state.string.expiry = .known(nil) }
                let patch = command[3]
                if old == nil && patch.isEmpty { return }
                var bytes = old ?? []
                let end = Int(offset) + patch.count
                if bytes.count < end { bytes += [UInt8](repeating: 0, count: end - bytes.count) }
                bytes.replaceSubrange(Int(offset)..<end, with: patch)
                state.string.value = .known(bytes)
            }
        case "setbit":
            guard argc >= 4, let offset = RedisNumbers.parseInt64(command[2]), offset >= 0, offset < 1 << 32,
                let bit = RedisNumbers.parseInt64(command[3]), bit == 0 || bit == 1
            else { return opaque(footprint, &states) }
            update(&states, key) { state in
                guard case .known(let old) = state.string.value else { return }
                if old == nil { state.string.expiry = .known(nil) }
                var bytes = old ?? []
                let byteIndex = Int(offset / 8)
                if bytes.count <= byteIndex { bytes += [UInt8](repeating: 0, count: byteIndex + 1 - bytes.count) }
                let mask = UInt8(0x80) >> UInt8(offset % 8)
                if bit == 1 { bytes[byteIndex] |= mask } else { bytes[byteIndex] &= ~mask }
                state.string.value = .known(bytes)
            }
        case "getdel":
            update(&states, key) { $0.string = .absent }
        default:
            opaque(footprint, &states)
        }
    }

    func setString(_ state: inout KeyState, _ command: LoggedCommand, at time: Int64) {
        var condition: Bool? = nil  // true: NX, false: XX
        var expiry: Known<ExpirySeconds> = .known(nil)
        var keepTTL = false
        var index = 3
        while index < command.argumentCount {
            let option = lowercased(command[index])
            switch option {
            case "nx": condition = true
            case "xx": condition = false
            case "keepttl": keepTTL = true
            case "get": break
            case "ex", "px", "exat", "pxat":
                guard index + 1 < command.argumentCount, let n = RedisNumbers.parseInt64(command[index + 1]) else {
                    state.string = .unknown
                    return
                }
                switch option {
                case "ex": expiry = .known(time + n)
                case "px": expiry = .known(time + n / 1000)
                case "exat": expiry = .known(n)
                default: expiry = .known(n / 1000)
                }
                index += 1
            default:
                state.string = .unknown
                return
            }
            index += 1
        }
        if let condition {
            switch state.string.exists {
            case .unknown:
                state.string = .unknown
                return
            case .known(let exists):
                if exists == condition { return }  // NX on an existing key, XX on a missing one
            }
        }
        if keepTTL && state.string.exists != .known(false) {
            state.string.value = .known(command[2])
        } else {
            state.string = StringState(value: .known(command[2]), expiry: keepTTL ? .known(nil) : expiry)
        }
    }
}
