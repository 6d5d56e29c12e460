/// The verifier's use of ``KeyspaceModel`` (Repair/State): the exact Redis state of a key,
/// whenever that model knows it. It replays the history before the window and runs alongside the
/// partial model in the window; where it knows a key, its state wins (exact semantics and number
/// formatting), where it does not, the partial model's field-, member- and list-end-level
/// knowledge is used.
extension KeyspaceModel {
    /// Applies `command` when every key it depends on is followed; otherwise the followed keys it
    /// writes become unknown (a key outside `followed` was never built, so its value would be a
    /// guess).
    mutating func applyFollowing(
        _ command: LoggedCommand, execTime: UInt32, footprint: CommandFootprint, followed: ([UInt8]) -> Bool
    ) {
        if let spec = CommandCatalogue.spec(named: command.name), spec.reads != .none {
            if !spec.reads.keys(of: command.arguments).allSatisfy(followed) {
                for (key, _) in footprint.keys where followed(key) {
                    forget(key, "\(command.name.uppercased()) reads a key whose history was not replayed")
                }
                return
            }
        }
        do {
            _ = try rewrite(command.arguments, execTimeSeconds: execTime)
        } catch {
            // Only a KeyStateSource throws, and none is set; be safe anyway.
            for (key, _) in footprint.keys { forget(key, "replay failed: \(error)") }
        }
    }

    /// Forgets `key` altogether, to free its value: for a key no later command writes or reads.
    mutating func drop(_ key: [UInt8]) {
        slots[key] = nil
    }

    /// `key`'s exact state as stored (expired or not), or `nil` when unknown.
    func storedState(of key: [UInt8]) -> KeyspaceModel.KeyState? {
        state(of: key, atMs: .min)
    }
}

extension KeyState {
    /// `base` with the types `exact` knows replaced by it.
    ///
    /// - Parameter allTypes: the exact model saw the key's whole history (one type per key), so a
    ///   value of one type means the other types are absent; without history, only the value's
    ///   own type is replaced (Pika 3.x keeps one key per type, and another type may exist).
    init(exact: KeyspaceModel.KeyState, over base: KeyState, allTypes: Bool) {
        switch exact {
        case .absent:
            self = .absent
        case .present(let value, let expiresAtMs):
            self = allTypes ? .absent : base
            let expiry: Known<ExpirySeconds> = .known(expiresAtMs.map { floorDivide($0, 1000) })
            switch value {
            case .string(let bytes):
                string = StringState(value: .known(bytes), expiry: expiry)
            case .hash(let fields):
                hash = CollectionState(
                    entries: fields.mapValues { .present($0) }, complete: true, expiry: expiry)
            case .set(let members):
                set = CollectionState(
                    entries: Dictionary(uniqueKeysWithValues: members.map { ($0, ElementState<[UInt8]>.present([])) }),
                    complete: true, expiry: expiry)
            case .zset(let scores):
                zset = CollectionState(entries: scores.mapValues { .present($0) }, complete: true, expiry: expiry)
            case .list(let elements):
                list = ListState(head: elements, tail: [], complete: true, expiry: expiry)
            case .stream:
                break
            }
        }
    }
}

@inline(__always)
func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
