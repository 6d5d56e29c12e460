import BinlogFormat

/// Sets: members added, removed, popped and moved.
extension CommandEffects {
    func applySet(_ command: LoggedCommand, _ footprint: CommandFootprint, at time: Int64, to states: inout [[UInt8]: KeyState]) {
        let argc = command.argumentCount
        let key = command[1]

        switch command.name {
        case "sadd":
            update(&states, key) { state in
                for index in 2..<max(2, argc) { state.set.set(command[index], .present([])) }
            }
        case "srem":
            update(&states, key) { state in
                for index in 2..<max(2, argc) { state.set.remove(command[index]) }
            }
        case "spop":
            update(&states, key) { $0.set.forgetAll() }
        case "smove":
            guard argc >= 4 else { return opaque(footprint, &states) }
            let (source, destination, member) = (command[1], command[2], command[3])
            if source == destination { return }
            switch states[source, default: .unknown].set.entry(member) {
            case .absent: return
            case .present, .presentWithUnknownValue:
                update(&states, source) { $0.set.remove(member) }
                update(&states, destination) { $0.set.set(member, .present([])) }
            case .unknown:
                update(&states, source) { $0.set.forget(member) }
                update(&states, destination) { state in
                    if case .present = state.set.entry(member) { return }
                    state.set.forget(member)
                }
            }
        default:
            opaque(footprint, &states)
        }
    }
}
