/// What changed in a key's state at one step of its chain, so that only that is compared again.
struct StateChanges {
    /// Re-check every facet (the first state, DEL, FLUSHDB, an expiry reset, an unknown command).
    var everything: Bool
    /// Types whose every element is re-checked (a collection reset or rebuilt).
    var wholeTypes: Set<PikaDataType> = []
    /// Elements written, by type.
    var elements: [PikaDataType: [[UInt8]]] = [:]

    static let all = StateChanges(everything: true)
}

/// Compares the states one key goes through with the snapshot, step by step. Type-level facts
/// (liveness, expiry, count, a string's value, a list's ends) are checked at every step; the
/// elements of hashes, sets and sorted sets only when a step writes them, so that a chain of n
/// writes to a collection of n fields costs O(n), not O(n²).
final class ChainComparator {
    private enum Outcome {
        case matched
        case unknown
        case mismatch(String)
    }

    private struct ElementTally {
        var outcomes: [[UInt8]: Outcome] = [:]
        var matched = 0
        var unknown = 0
        var mismatched: Set<[UInt8]> = []
        /// The least mismatched element (bytewise): the one named, whatever the sets' order in
        /// this run (it was `mismatched.first`, which changes with the hash seed from run to run).
        private var least: [UInt8]? = nil

        mutating func record(_ element: [UInt8], _ outcome: Outcome) {
            switch outcomes.updateValue(outcome, forKey: element) {
            case .matched?: matched -= 1
            case .unknown?: unknown -= 1
            case .mismatch?:
                mismatched.remove(element)
                if element == least { least = mismatched.min { $0.lexicographicallyPrecedes($1) } }
            case nil: break
            }
            switch outcome {
            case .matched: matched += 1
            case .unknown: unknown += 1
            case .mismatch:
                mismatched.insert(element)
                if least.map({ element.lexicographicallyPrecedes($0) }) ?? true { least = element }
            }
        }

        var firstMismatch: String? {
            guard let element = least, case .mismatch(let why)? = outcomes[element] else { return nil }
            return why
        }
    }

    let facets: ChainFacets
    let observed: ObservedKey
    private let observer: SnapshotObserver
    private var tallies: [PikaDataType: ElementTally] = [:]

    init(facets: ChainFacets, observed: ObservedKey, observer: SnapshotObserver) {
        self.facets = facets
        self.observed = observed
        self.observer = observer
    }

    private func elements(of type: PikaDataType) -> Set<[UInt8]> {
        switch type {
        case .hash: return facets.hashFields
        case .set: return facets.setMembers
        case .zset: return facets.zsetMembers
        default: return []
        }
    }

    /// Compares `state` with the snapshot; `changes` says what differs from the state compared
    /// last (anything else is taken from the previous comparison).
    func compare(_ state: KeyState, _ changes: StateChanges) throws(PikaStorageError) -> Comparison {
        for type in [PikaDataType.hash, .set, .zset] where facets.types.contains(type) {
            let all = changes.everything || changes.wholeTypes.contains(type)
            let touched = all ? Array(elements(of: type)) : (changes.elements[type] ?? [])
            for element in touched where elements(of: type).contains(element) {
                tallies[type, default: ElementTally()].record(element, try outcome(state, type, element))
            }
        }

        var known = 0
        var unknown = 0
        let time = observer.snapshotTime.seconds
        for type in KeyState.modelledTypes where facets.types.contains(type) {
            let found = try observer.type(type, of: observed)
            let foundLive = found.isLive(at: observer.snapshotTime)
            let expectedLive: Known<Bool>
            switch (state.exists(type), state.expiry(type)) {
            case (.known(false), _): expectedLive = .known(false)
            case (.known(true), .known(let e)): expectedLive = .known(!isExpired(e, at: time))
            case (.unknown, .known(let e?)) where isExpired(e, at: time): expectedLive = .known(false)
            case (.known(true), .unknown) where !found.isPresent:
                // An expiry nobody logged would still leave the record behind until a
                // compaction: a missing record means the key was not written.
                expectedLive = .known(true)
            default: expectedLive = .unknown
            }
            switch expectedLive {
            case .known(let live):
                if live != foundLive {
                    return .mismatch(
                        live
                            ? "expected a live \(type), found \(found.isPresent ? "one that expired at \(found.expirySeconds.map(String.init) ?? "?")" : "none")"
                            : "expected no live \(type) at the snapshot's time, found one")
                }
                known += 1
                if !live { continue }
            case .unknown:
                unknown += 1
                if !foundLive { continue }
            }
            if case .known(let e) = state.expiry(type) {
                if !expiriesAgree(e, found.expirySeconds) {
                    return .mismatch(
                        "\(type) expiry: expected \(describeExpiry(e)), found \(describeExpiry(found.expirySeconds))")
                }
                known += 1
            } else {
                unknown += 1
            }
            switch type {
            case .string:
                if case .known(let value?) = state.string.value {
                    if value != found.value {
                        return .mismatch("expected \(quoted(value)), found \(quoted(found.value ?? []))")
                    }
                    known += 1
                } else {
                    unknown += 1
                }
            case .hash, .set, .zset:
                let count: Known<Int64> =
                    type == .hash ? state.hash.count : type == .set ? state.set.count : state.zset.count
                if case .known(let n) = count {
                    if n != found.count {
                        let noun = type == .hash ? "field" : "member"
                        return .mismatch("expected \(n) \(noun)s, found \(found.count)")
                    }
                    known += 1
                }
                let tally = tallies[type] ?? ElementTally()
                if let why = tally.firstMismatch { return .mismatch(why) }
                known += tally.matched
                unknown += tally.unknown
            case .list:
                let list = try observer.list(of: observed)
                if let why = observer.compareList(state.list, list, &known, &unknown) { return .mismatch(why) }
            case .stream:
                break
            }
        }
        return .consistent(known: known, unknown: unknown)
    }

    /// One element of a live-or-not collection, compared as stored.
    private func outcome(_ state: KeyState, _ type: PikaDataType, _ element: [UInt8]) throws(PikaStorageError) -> Outcome {
        let noun = type == .hash ? "field" : "member"
        func compare<V: Equatable>(_ expected: ElementState<V>, _ found: V?, _ show: (V) -> String) -> Outcome {
            switch expected {
            case .present(let value):
                guard let found, found == value else {
                    return .mismatch("\(noun) \(quoted(element)): expected \(show(value)), found " + (found.map(show) ?? "none"))
                }
                return .matched
            case .presentWithUnknownValue:
                return found == nil ? .mismatch("\(noun) \(quoted(element)): expected present, found none") : .unknown
            case .absent:
                if let found { return .mismatch("\(noun) \(quoted(element)): expected none, found \(show(found))") }
                return .matched
            case .unknown:
                return .unknown
            }
        }
        switch type {
        case .hash:
            return compare(state.hash.entry(element), try observer.hashField(element, of: observed)) { quoted($0) }
        case .set:
            let present = try observer.setContains(element, of: observed)
            return compare(state.set.entry(element), present ? [UInt8]() : nil) { _ in "present" }
        case .zset:
            return compare(state.zset.entry(element), try observer.zsetScore(element, of: observed)) { formatScore($0) }
        default:
            return .unknown
        }
    }
}

extension KeyState {
    /// Whether running a command at `time` (unix seconds) first drops an expired type.
    func expiresSomething(at time: Int64) -> Bool {
        for type in KeyState.modelledTypes where exists(type) != .known(false) {
            if case .known(let e?) = expiry(type), isExpired(e, at: time) { return true }
        }
        return false
    }

    /// Whether `facet` is known in this state (not just consistent by ignorance).
    func knows(_ facet: Facet) -> Bool {
        func known<V>(_ element: ElementState<V>) -> Bool {
            switch element {
            case .present, .absent: return true
            case .presentWithUnknownValue, .unknown: return false
            }
        }
        switch facet {
        case .stringValue: return string.value.isKnown
        case .hashField(let f): return known(hash.entry(f))
        case .setMember(let m): return known(set.entry(m))
        case .zsetMember(let m): return known(zset.entry(m))
        case .listHead: return list.complete || !list.head.isEmpty
        case .listTail: return list.complete || !list.tail.isEmpty
        case .listWhole: return list.complete
        case .collection(let type): return exists(type).isKnown
        case .wholeKey: return existsAsAnyType.isKnown
        }
    }

    /// Elements count and completeness of a collection type, to notice a reset.
    func shape(_ type: PikaDataType) -> (complete: Bool, count: Int) {
        switch type {
        case .hash: return (hash.complete, hash.entries.count)
        case .set: return (set.complete, set.entries.count)
        case .zset: return (zset.complete, zset.entries.count)
        default: return (true, 0)
        }
    }
}
