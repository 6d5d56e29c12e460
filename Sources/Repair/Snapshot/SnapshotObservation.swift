/// A reference time before every expiry: reads records as stored, expired or not.
let asStored = UnixTime(milliseconds: .min)

/// What a snapshot holds for one type of one key, read as stored (an expired record is still
/// read; staleness is judged later against the snapshot's time).
struct ObservedType {
    /// A record with count ≠ 0 (any string record).
    var isPresent: Bool
    var expiry: Expiry?
    var count: Int64
    /// Strings only.
    var value: [UInt8]?

    static let absent = ObservedType(isPresent: false, expiry: nil, count: 0, value: nil)

    /// Pika's exists rule at `time`.
    func isLive(at time: UnixTime) -> Bool {
        guard isPresent else { return false }
        if let expiry, expiry.hasPassed(at: time) { return false }
        return true
    }

    /// The expiry in whole seconds, as the binlog writes it.
    var expirySeconds: ExpirySeconds { expiry?.time.seconds }
}

/// A list as the verifier reads it: all elements when short, else the two ends.
struct ObservedList {
    var count: Int64
    /// The first elements (all of them when `isWhole`).
    var head: [[UInt8]]
    /// The last elements (empty when `isWhole`).
    var tail: [[UInt8]]
    var isWhole: Bool

    /// Longest list read whole.
    static let wholeLimit: Int64 = 1024
    /// Elements read at each end of a longer list.
    static let edgeCount = 64

    var elementsFromTheEnd: [[UInt8]] { isWhole ? head : tail }
}

/// The snapshot's state of one key, read lazily and kept.
final class ObservedKey {
    let key: [UInt8]
    var types: [PikaDataType: ObservedType] = [:]
    var hashFields: [[UInt8]: [UInt8]?] = [:]
    var setMembers: [[UInt8]: Bool] = [:]
    var zsetScores: [[UInt8]: Double?] = [:]
    var list: ObservedList?

    init(key: [UInt8]) { self.key = key }
}

/// Reads keys from a ``PikaSnapshot`` for the verifier, each facet once.
final class SnapshotObserver {
    let snapshot: PikaSnapshot
    /// The time the snapshot's staleness is judged at.
    let snapshotTime: UnixTime
    private var keys: [[UInt8]: ObservedKey] = [:]
    /// Point reads done (for the report).
    private(set) var readCount = 0

    init(snapshot: PikaSnapshot, snapshotTime: UnixTime) {
        self.snapshot = snapshot
        self.snapshotTime = snapshotTime
    }

    func key(_ key: [UInt8]) -> ObservedKey {
        if let known = keys[key] { return known }
        let observed = ObservedKey(key: key)
        keys[key] = observed
        return observed
    }

    /// Forgets the cached reads (between passes over different windows).
    func reset() { keys.removeAll(keepingCapacity: true) }

    /// Forgets the cached reads of one key (its chain is decided; nothing reads it again).
    func forget(_ key: [UInt8]) { keys[key] = nil }

    func type(_ type: PikaDataType, of observed: ObservedKey) throws(PikaStorageError) -> ObservedType {
        if let known = observed.types[type] { return known }
        readCount += 1
        var result = ObservedType.absent
        if let record = try snapshot.liveRecord(for: observed.key, type: type, at: asStored) {
            result = ObservedType(isPresent: true, expiry: record.expiry, count: record.count, value: record.value)
        }
        observed.types[type] = result
        return result
    }

    func hashField(_ field: [UInt8], of observed: ObservedKey) throws(PikaStorageError) -> [UInt8]? {
        if let known = observed.hashFields[field] { return known }
        readCount += 1
        let value = try snapshot.hashField(observed.key, field: field, at: asStored)
        observed.hashFields[field] = .some(value)
        return value
    }

    func setContains(_ member: [UInt8], of observed: ObservedKey) throws(PikaStorageError) -> Bool {
        if let known = observed.setMembers[member] { return known }
        readCount += 1
        let value = try snapshot.setContains(observed.key, member: member, at: asStored)
        observed.setMembers[member] = value
        return value
    }

    func zsetScore(_ member: [UInt8], of observed: ObservedKey) throws(PikaStorageError) -> Double? {
        if let known = observed.zsetScores[member] { return known }
        readCount += 1
        let value = try snapshot.zsetScore(observed.key, member: member, at: asStored)
        observed.zsetScores[member] = .some(value)
        return value
    }

    func list(of observed: ObservedKey) throws(PikaStorageError) -> ObservedList {
        if let known = observed.list { return known }
        readCount += 1
        let count = try type(.list, of: observed).count
        let result: ObservedList
        if count <= ObservedList.wholeLimit {
            let elements = try snapshot.listElements(observed.key, at: asStored)
            result = ObservedList(count: count, head: elements, tail: [], isWhole: true)
        } else {
            let edges = try snapshot.listEdges(observed.key, count: ObservedList.edgeCount, at: asStored)
            result = ObservedList(count: count, head: edges.head, tail: edges.tail, isWhole: false)
        }
        observed.list = result
        return result
    }
}

// MARK: Comparing a model state with the snapshot

/// How a model state compares with the snapshot's.
enum Comparison {
    /// Some known fact differs.
    case mismatch(String)
    /// Nothing differs: `known` facts agreed, `unknown` ones could not be checked.
    case consistent(known: Int, unknown: Int)

    var isMismatch: Bool {
        if case .mismatch = self { return true }
        return false
    }

    /// At least one known fact agreed and none differed.
    var isStrongMatch: Bool {
        if case .consistent(let known, _) = self { return known > 0 }
        return false
    }
}

/// A set of data types, as bits.
struct DataTypeSet: Equatable {
    private var bits: UInt8 = 0

    func contains(_ type: PikaDataType) -> Bool { bits & (1 << type.rawValue) != 0 }

    mutating func insert(_ type: PikaDataType) { bits |= 1 << type.rawValue }
}

/// The parts of one key a chain of items touches, compared for every state of the chain.
struct ChainFacets {
    var types = DataTypeSet()
    var hashFields: Set<[UInt8]> = []
    var setMembers: Set<[UInt8]> = []
    var zsetMembers: Set<[UInt8]> = []

    mutating func add(_ facet: Facet) {
        for type in facet.types { types.insert(type) }
        switch facet {
        case .hashField(let f): hashFields.insert(f)
        case .setMember(let m): setMembers.insert(m)
        case .zsetMember(let m): zsetMembers.insert(m)
        default: break
        }
    }
}

/// Tolerance when comparing an expiry computed from the binlog with the stored one: Pika takes
/// `now` for a relative TTL at `Do()` time, the item's exec time a moment later (Docs/Format.md §C1).
let expiryToleranceSeconds: Int64 = 1

extension SnapshotObserver {
    /// Compares a list state with the list found: length and elements when known, else the
    /// known head and tail. Returns the mismatch, or counts the facts checked.
    func compareList(_ state: ListState, _ found: ObservedList, _ known: inout Int, _ unknown: inout Int) -> String? {
        if let elements = state.elements {
            if Int64(elements.count) != found.count {
                return "expected LLEN \(elements.count), found \(found.count)"
            }
            known += 1
            if found.isWhole {
                if elements != found.head { return "other elements (\(firstDifference(elements, found.head)))" }
            } else {
                if Array(elements.prefix(found.head.count)) != found.head
                    || Array(elements.suffix(found.tail.count)) != found.tail
                {
                    return "other elements at the list's ends"
                }
            }
            known += 1
            return nil
        }
        let minimum = state.head.count + state.tail.count
        if found.count < Int64(minimum) {
            return "expected at least \(minimum) elements, found LLEN \(found.count)"
        }
        if state.head.isEmpty && state.tail.isEmpty {
            unknown += 1
            return nil
        }
        if !state.head.isEmpty {
            let available = found.head
            let n = min(state.head.count, available.count)
            if Array(state.head.prefix(n)) != Array(available.prefix(n)) {
                return "expected the list to start \(quotedList(Array(state.head.prefix(3)))), found \(quotedList(Array(available.prefix(3))))"
            }
            known += 1
        }
        if !state.tail.isEmpty {
            let available = found.elementsFromTheEnd
            let n = min(state.tail.count, available.count)
            if Array(state.tail.suffix(n)) != Array(available.suffix(n)) {
                return "expected the list to end \(quotedList(Array(state.tail.suffix(3)))), found \(quotedList(Array(available.suffix(3))))"
            }
            known += 1
        }
        unknown += 1
        return nil
    }
}

func expiriesAgree(_ a: ExpirySeconds, _ b: ExpirySeconds) -> Bool {
    switch (a, b) {
    case (nil, nil): return true
    case (let x?, let y?): return abs(x - y) <= expiryToleranceSeconds
    default: return false
    }
}

func describeExpiry(_ expiry: ExpirySeconds) -> String {
    expiry.map { "at \($0)" } ?? "never"
}

private func firstDifference(_ a: [[UInt8]], _ b: [[UInt8]]) -> String {
    for index in 0..<min(a.count, b.count) where a[index] != b[index] {
        return "index \(index): \(quoted(a[index])) vs \(quoted(b[index]))"
    }
    return "lengths \(a.count) vs \(b.count)"
}
