import BinlogFormat

/// Sets: members added, removed, popped and moved.
extension CommandEffects {
    func applySet(_ command: LoggedCommand, _ footprint: CommandFootprint, at time: Int64, to states: inout [[UInt8]: KeyState]) {
        let argc = command.argumentCount
        let key = command[1]

        func update(_ key: [UInt8], _ body: (inout KeyState) -> Void) {
            body(&states[key, default: .unknown])
        }

        switch command.name {
        case "sadd":
            update(key) { state in
                for index in 2..<max(2, argc) { state.set.set(command[index], .present([])) }
            }
        case "srem":
            update(key) { state in
                for index in 2..<max(2, argc) { state.set.remove(command[index]) }
            }
        case "spop":
            update(key) { $0.set.forgetAll() }
        case "smove":
            guard argc >= 4 else { return opaque(footprint, &states) }
            let (source, destination, member) = (command[1], command[2], command[3])
            if source == destination { return }
            switch states[source, default: .unknown].set.entry(member) {
            case .absent: return
            case .present, .presentWithUnknownValue:
                update(source) { $0.set.remove(member) }
                update(destination) { $0.set.set(member, .present([])) }
            case .unknown:
                update(source) { $0.set.forget(member) }
                update(destination) { state in
                    if case .present = state.set.entry(member) { return }
                    state.set.forget(member)
                }
            }
        default:
            opaque(footprint, &states)
        }
    }
}
