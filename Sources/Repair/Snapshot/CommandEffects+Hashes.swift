import BinlogFormat

/// Hashes: fields set, deleted and incremented.
extension CommandEffects {
    func applyHash(_ command: LoggedCommand, _ footprint: CommandFootprint, at time: Int64, to states: inout [[UInt8]: KeyState]) {
        let argc = command.argumentCount
        let key = command[1]

        switch command.name {
        case "hset", "hmset":
            update(&states, key) { state in
                for index in stride(from: 2, to: argc - 1, by: 2) {
                    state.hash.set(command[index], .present(command[index + 1]))
                }
            }
        case "hsetnx":
            guard argc >= 4 else { return opaque(footprint, &states) }
            update(&states, key) { state in
                switch state.hash.entry(command[2]) {
                case .absent: state.hash.set(command[2], .present(command[3]))
                case .present, .presentWithUnknownValue: break
                case .unknown: state.hash.set(command[2], .presentWithUnknownValue)
                }
            }
        case "hdel":
            update(&states, key) { state in
                for index in 2..<max(2, argc) { state.hash.remove(command[index]) }
            }
        case "hincrby":
            guard argc >= 4 else { return opaque(footprint, &states) }
            update(&states, key) { state in
                let field = command[2]
                guard let delta = RedisNumbers.parseInt64(command[3]) else { return state.hash.forget(field) }
                switch state.hash.entry(field) {
                case .present(let old):
                    guard let base = RedisNumbers.parseInt64(old) else { return state.hash.forget(field) }
                    let (sum, overflow) = base.addingReportingOverflow(delta)
                    state.hash.set(field, overflow ? .presentWithUnknownValue : .present(Array(String(sum).utf8)))
                case .absent:
                    state.hash.set(field, .present(Array(String(delta).utf8)))
                case .presentWithUnknownValue, .unknown:
                    state.hash.set(field, .presentWithUnknownValue)
                }
            }
        case "hincrbyfloat":
            guard argc >= 4 else { return opaque(footprint, &states) }
            update(&states, key) { $0.hash.set(command[2], .presentWithUnknownValue) }
        default:
            opaque(footprint, &states)
        }
    }
}
