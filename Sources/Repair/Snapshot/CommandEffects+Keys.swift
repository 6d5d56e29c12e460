import BinlogFormat

/// Whole keys: DEL/UNLINK and expiries.
extension CommandEffects {
    func applyKeyspace(_ command: LoggedCommand, _ footprint: CommandFootprint, at time: Int64, to states: inout [[UInt8]: KeyState]) {
        let argc = command.argumentCount
        let name = command.name
        let key = command[1]

        switch command.name {
        case "del", "unlink":
            for (k, _) in footprint.keys { states[k] = .absent }
        case "expire", "pexpire":
            guard argc >= 3, let ttl = RedisNumbers.parseInt64(command[2]), let rule = CommandCatalogue.expiryRule(named: name)
            else { return opaque(footprint, &states) }
            let seconds = rule.seconds(ttl)
            update(&states, key) { state in
                if seconds <= 0 { state = .absent } else { state.setExpiry(time + seconds) }
            }
        case "expireat", "pexpireat":
            guard argc >= 3, let stamp = RedisNumbers.parseInt64(command[2]), let rule = CommandCatalogue.expiryRule(named: name)
            else { return opaque(footprint, &states) }
            let seconds = rule.seconds(stamp)
            update(&states, key) { state in
                if stamp <= 0 { state = .absent } else { state.setExpiry(seconds) }
            }
        case "persist":
            update(&states, key) { $0.setExpiry(nil) }
        default:
            opaque(footprint, &states)
        }
    }
}
