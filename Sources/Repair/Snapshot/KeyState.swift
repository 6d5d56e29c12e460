/// A fact the verifier may or may not know.
enum Known<Value: Hashable & Sendable>: Hashable, Sendable {
    case known(Value)
    case unknown

    var isKnown: Bool {
        if case .known = self { return true }
        return false
    }
}

/// Absolute expiry in unix seconds; `nil` is "no expiry". Seconds are the unit every Pika binlog
/// command speaks (`pksetexat`, `expireat`) and the granularity at which 3.x and 4.0.0 judge
/// staleness; 4.0.1's milliseconds are compared at this granularity too.
typealias ExpirySeconds = Int64?

/// Pika's staleness rule (`etime != 0 && etime < now`) at `time` (unix seconds).
@inline(__always)
func isExpired(_ expiry: ExpirySeconds, at time: Int64) -> Bool {
    guard let expiry else { return false }
    return expiry < time
}

/// What the verifier knows of one key's string value.
struct StringState: Hashable, Sendable {
    /// `.known(nil)`: no string; `.unknown`: anything.
    var value: Known<[UInt8]?>
    /// Meaningful only while the string exists.
    var expiry: Known<ExpirySeconds>

    static let absent = StringState(value: .known(nil), expiry: .known(nil))
    static let unknown = StringState(value: .unknown, expiry: .unknown)

    var exists: Known<Bool> {
        switch value {
        case .known(let v): return .known(v != nil)
        case .unknown: return .unknown
        }
    }
}

/// What the verifier knows of one field or member of a collection.
enum ElementState<Value: Hashable & Sendable>: Hashable, Sendable {
    /// Present with this value (hash field value, zset score; `[]` for set members).
    case present(Value)
    /// Present, value not computable (e.g. after HINCRBYFLOAT).
    case presentWithUnknownValue
    case absent
    case unknown
}

/// What the verifier knows of a hash, set or sorted set: some elements (fields, members) known
/// present or absent, and whether the rest is known to be absent.
///
/// Invariant: when `complete`, `entries` holds only `.present` and `.presentWithUnknownValue`.
struct CollectionState<Value: Hashable & Sendable>: Hashable, Sendable {
    var entries: [[UInt8]: ElementState<Value>]
    /// Elements missing from `entries` are absent (the whole collection is known).
    var complete: Bool
    var expiry: Known<ExpirySeconds>

    static var absent: Self { Self(entries: [:], complete: true, expiry: .known(nil)) }
    static var unknown: Self { Self(entries: [:], complete: false, expiry: .unknown) }

    /// What is known of element `element`.
    func entry(_ element: [UInt8]) -> ElementState<Value> {
        entries[element] ?? (complete ? .absent : .unknown)
    }

    var count: Known<Int64> {
        guard complete else { return .unknown }
        return .known(Int64(entries.count))
    }

    var exists: Known<Bool> {
        if complete { return .known(!entries.isEmpty) }
        for value in entries.values {
            switch value {
            case .present, .presentWithUnknownValue: return .known(true)
            case .absent, .unknown: continue
            }
        }
        return .unknown
    }

    /// Sets an element; a collection that did not exist starts without an expiry.
    mutating func set(_ element: [UInt8], _ value: ElementState<Value>) {
        if exists == .known(false) { expiry = .known(nil) }
        entries[element] = value
    }

    /// Removes an element; an emptied complete collection is gone (and loses its expiry).
    mutating func remove(_ element: [UInt8]) {
        if complete {
            entries[element] = nil
            if entries.isEmpty { self = .absent }
        } else {
            entries[element] = .absent
        }
    }

    /// Forgets one element (a command whose effect on it cannot be computed).
    mutating func forget(_ element: [UInt8]) {
        if complete {
            // Other elements stay known; elements never listed were absent, which a partial
            // state cannot say, so they become unknown.
            complete = false
        }
        entries[element] = .unknown
    }

    /// Forgets every element, keeping the expiry.
    mutating func forgetAll() {
        let keep = expiry
        self = .unknown
        expiry = keep
    }
}

/// What the verifier knows of a list: its first and last elements.
///
/// When `complete`, the list is exactly `head` (and `tail` is empty). Otherwise the list is
/// `head ‖ (unknown, possibly empty) ‖ tail`.
struct ListState: Hashable, Sendable {
    var head: [[UInt8]]
    var tail: [[UInt8]]
    var complete: Bool
    var expiry: Known<ExpirySeconds>

    static let absent = ListState(head: [], tail: [], complete: true, expiry: .known(nil))
    static let unknown = ListState(head: [], tail: [], complete: false, expiry: .unknown)

    var count: Known<Int64> { complete ? .known(Int64(head.count)) : .unknown }

    var exists: Known<Bool> {
        if complete { return .known(!head.isEmpty) }
        return head.isEmpty && tail.isEmpty ? .unknown : .known(true)
    }

    /// The whole list, when known.
    var elements: [[UInt8]]? { complete ? head : nil }

    mutating func pushLeft(_ element: [UInt8]) {
        if exists == .known(false) { expiry = .known(nil) }
        head.insert(element, at: 0)
    }

    mutating func pushRight(_ element: [UInt8]) {
        if exists == .known(false) { expiry = .known(nil) }
        if complete { head.append(element) } else { tail.append(element) }
    }

    /// Keeps the expiry, forgets the elements.
    mutating func forget() {
        let keep = expiry
        self = .unknown
        expiry = keep
    }

    /// Replaces the elements with a known list (`[]` deletes the key).
    mutating func replace(with elements: [[UInt8]]) {
        if elements.isEmpty {
            self = .absent
        } else {
            head = elements
            tail = []
            complete = true
        }
    }
}

/// Every type's state of one user key. Pika 3.x keeps one RocksDB per type, so one key can be a
/// string and a hash at once; 4.0 has one type per key, and a logged command never writes a
/// key of another live type (Pika refuses it and logs nothing).
struct KeyState: Hashable, Sendable {
    var string: StringState
    var hash: CollectionState<[UInt8]>
    var set: CollectionState<[UInt8]>
    var zset: CollectionState<Double>
    var list: ListState

    /// A key that does not exist (as at the start of a fresh binlog's history).
    static let absent = KeyState(string: .absent, hash: .absent, set: .absent, zset: .absent, list: .absent)
    /// A key nothing is known about.
    static let unknown = KeyState(string: .unknown, hash: .unknown, set: .unknown, zset: .unknown, list: .unknown)

    /// Whether the key exists as `type`.
    func exists(_ type: PikaDataType) -> Known<Bool> {
        switch type {
        case .string: return string.exists
        case .hash: return hash.exists
        case .set: return set.exists
        case .zset: return zset.exists
        case .list: return list.exists
        case .stream: return .unknown
        }
    }

    func expiry(_ type: PikaDataType) -> Known<ExpirySeconds> {
        switch type {
        case .string: return string.expiry
        case .hash: return hash.expiry
        case .set: return set.expiry
        case .zset: return zset.expiry
        case .list: return list.expiry
        case .stream: return .known(nil)
        }
    }

    /// Whether the key exists as any type: known true if one type is, known false if none can.
    var existsAsAnyType: Known<Bool> {
        var sawUnknown = false
        for type in KeyState.modelledTypes {
            switch exists(type) {
            case .known(true): return .known(true)
            case .unknown: sawUnknown = true
            case .known(false): break
            }
        }
        return sawUnknown ? .unknown : .known(false)
    }

    /// The types this model follows (streams are not modelled).
    static let modelledTypes: [PikaDataType] = [.string, .hash, .list, .zset, .set]

    /// Drops every type whose expiry has passed at `time` (unix seconds): Pika treats a stale
    /// record as absent, and the next write starts from nothing.
    mutating func expire(at time: Int64) {
        if case .known(let e) = string.expiry, string.exists != .known(false), isExpired(e, at: time) {
            string = .absent
        }
        if case .known(let e) = hash.expiry, hash.exists != .known(false), isExpired(e, at: time) { hash = .absent }
        if case .known(let e) = set.expiry, set.exists != .known(false), isExpired(e, at: time) { set = .absent }
        if case .known(let e) = zset.expiry, zset.exists != .known(false), isExpired(e, at: time) { zset = .absent }
        if case .known(let e) = list.expiry, list.exists != .known(false), isExpired(e, at: time) { list = .absent }
    }

    /// Sets the expiry of every type that exists (or may exist).
    mutating func setExpiry(_ expiry: ExpirySeconds) {
        if string.exists != .known(false) { string.expiry = .known(expiry) }
        if hash.exists != .known(false) { hash.expiry = .known(expiry) }
        if set.exists != .known(false) { set.expiry = .known(expiry) }
        if zset.exists != .known(false) { zset.expiry = .known(expiry) }
        if list.exists != .known(false) { list.expiry = .known(expiry) }
    }
}
