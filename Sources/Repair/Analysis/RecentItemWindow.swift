/// The content hashes and locations of the last `capacity` items (a ring), with two indexes from
/// hash to the most recent item that had it. Memory is fixed at creation: 32 bytes per item of
/// capacity plus the indexes (8 bytes per slot). This is what keeps duplicate detection flat over a
/// binlog of any size.
///
/// Both indexes are direct-mapped: a slot packs 32 bits of the hash (a tag) with the low 32 bits of
/// the item's sequence number; a hit is confirmed against the full hash in the ring, and a newer
/// item simply takes the slot. An item stays findable until about as many items as there are slots
/// came after it, and a repeated run is found as soon as one of its items is still findable; it is
/// then followed, forwards and backwards, through the ring.
///
/// - The **near** index (8 192 slots, 64 KiB) holds every item. It stays in the CPU caches, which
///   matters: it is read and written once per item at a random place. It finds repeats of any
///   length (down to the minimum run) from the last few thousand items.
/// - The **far** index holds one item in 8, chosen by hash bits (so the copy of a sampled item is
///   sampled too), in capacity / 8 slots (256 KiB for the default window of 2^18 items): it spans
///   the whole ring, and only one item in 8 touches it. An item d items back is still findable
///   there with probability 1/8 · e^(−d/capacity): at the far end of the ring (d = capacity), a
///   repeated run of 20 items is found with probability 61 %, of 50 items 90 %, of 200 items
///   99.99 %; half as far back, 79 %, 98 % and surely.
///
/// With one index of 8 192 slots alone, every 200-item repeat from 100 000 items back was missed
/// (`FarDuplicateTests`); one index with a slot per item of the window (2 MiB) found them but made
/// `check` 13 % slower on the 1 GiB corpus.
final class RecentItemWindow {
    struct Entry {
        var hash: UInt64
        var offset: UInt64
        var logicID: UInt64
        var fileNumber: UInt32
        var hasLogicID: Bool

        var location: FindingLocation {
            FindingLocation(fileNumber: fileNumber, offset: offset, logicID: hasLogicID ? logicID : nil)
        }
    }

    /// Items kept in the ring (a power of two).
    let capacity: Int
    private let mask: UInt64
    private let entries: UnsafeMutablePointer<Entry>
    private let slots: UnsafeMutablePointer<UInt64>
    private let slotMask: UInt64
    private let farSlots: UnsafeMutablePointer<UInt64>
    private let farSlotMask: UInt64
    /// The sequence number the next appended item gets (items appended so far).
    @exclusivity(unchecked) private(set) var count: UInt64 = 0
    @exclusivity(unchecked) private var touched: UInt64 = 0

    /// One item in 8 goes into the far index: hash bits 16–18 are zero (the near index takes its
    /// slot from the low bits, the far index from bit 19 up, the tag is bits 32–63).
    @inline(__always)
    static func isSampled(_ hash: UInt64) -> Bool { hash & (7 << 16) == 0 }

    /// - Parameters:
    ///   - capacity: items to remember; rounded up to a power of two, at least 16.
    ///   - indexSlots: near index size; rounded up to a power of two, at most twice the capacity.
    init(capacity: Int, indexSlots: Int = 1 << 13) {
        var c = 16
        while c < capacity { c <<= 1 }
        self.capacity = c
        mask = UInt64(c - 1)
        entries = .allocate(capacity: c)
        var n = 16
        while n < min(indexSlots, 2 * c) { n <<= 1 }
        slotMask = UInt64(n - 1)
        slots = .allocate(capacity: n)
        slots.initialize(repeating: 0, count: n)
        let far = max(16, c / 8)
        farSlotMask = UInt64(far - 1)
        farSlots = .allocate(capacity: far)
        farSlots.initialize(repeating: 0, count: far)
    }

    deinit {
        entries.deallocate()
        slots.deallocate()
        farSlots.deallocate()
    }

    /// The oldest sequence number still in the ring.
    var oldest: UInt64 { count > UInt64(capacity) ? count - UInt64(capacity) : 0 }

    func contains(_ seq: UInt64) -> Bool { seq < count && seq >= oldest }

    /// The entry of a sequence number; the caller checked ``contains(_:)``.
    func entry(_ seq: UInt64) -> Entry { entries[Int(seq & mask)] }

    @inline(__always)
    private func slotIndex(_ hash: UInt64) -> Int { Int(truncatingIfNeeded: hash & slotMask) }

    @inline(__always)
    private func farSlotIndex(_ hash: UInt64) -> Int { Int(truncatingIfNeeded: (hash >> 19) & farSlotMask) }

    /// Loads the index slots of `hash` without using them, so that the memory access overlaps with
    /// other work before ``mostRecent(_:)`` and ``append(_:)`` need it.
    @inline(__always)
    func touch(_ hash: UInt64) {
        touched = slots[slotIndex(hash)]
        if Self.isSampled(hash) { touched &+= farSlots[farSlotIndex(hash)] }
    }

    /// The item a slot names, if its tag and the full hash in the ring match.
    @inline(__always)
    private func resolve(_ slot: UInt64, _ hash: UInt64) -> UInt64? {
        guard slot >> 32 == hash >> 32, slot != 0 else { return nil }
        let distance = UInt64(UInt32(truncatingIfNeeded: count) &- UInt32(truncatingIfNeeded: slot))
        guard distance >= 1, distance <= UInt64(capacity), distance <= count else { return nil }
        let seq = count - distance
        return entries[Int(seq & mask)].hash == hash ? seq : nil
    }

    /// The most recent item with this hash that the indexes still remember.
    @inline(__always)
    func mostRecent(_ hash: UInt64) -> UInt64? {
        if let seq = resolve(slots[slotIndex(hash)], hash) { return seq }
        guard Self.isSampled(hash) else { return nil }
        return resolve(farSlots[farSlotIndex(hash)], hash)
    }

    /// Appends an item; returns its sequence number.
    @inline(__always)
    @discardableResult
    func append(_ entry: Entry) -> UInt64 {
        let seq = count
        entries[Int(seq & mask)] = entry
        let slot = (entry.hash >> 32) << 32 | UInt64(UInt32(truncatingIfNeeded: seq))
        slots[slotIndex(entry.hash)] = slot
        if Self.isSampled(entry.hash) { farSlots[farSlotIndex(entry.hash)] = slot }
        count = seq + 1
        return seq
    }
}

/// A run of items whose commands repeat an earlier run, found by ``DuplicateRunDetector``.
struct DuplicateRun: Hashable {
    var later: FindingRange
    var earlier: FindingRange
    var count: Int
    /// Every item of the later run has the logic id of its earlier counterpart: the same items
    /// written twice, headers included.
    var sameLogicIDs: Bool
}

/// Finds runs of consecutive items whose content hashes repeat a run of consecutive earlier items,
/// within a ``RecentItemWindow``.
///
/// Item j either extends the open run (its hash equals that of the item after the run's earlier
/// end) or starts a new one at the most recent earlier item with its hash, extended backwards as far
/// as the two sequences agree. The earlier run must end before the later one begins, so one command
/// repeated many times (`INCR cnt` in a loop) never forms a run. Runs shorter than `minimumRun`, or
/// made of one command only, are not reported.
struct DuplicateRunDetector {
    let window: RecentItemWindow
    let minimumRun: Int

    private var active = false
    private var earlierStart: UInt64 = 0
    private var laterStart: UInt64 = 0
    private var length = 0
    private var earlierFirst = FindingLocation(fileNumber: 0, offset: 0)
    private var earlierLast = FindingLocation(fileNumber: 0, offset: 0)
    private var laterFirst = FindingLocation(fileNumber: 0, offset: 0)
    private var laterLast = FindingLocation(fileNumber: 0, offset: 0)
    private var firstHash: UInt64 = 0
    private var allSame = true
    private var sameLogicIDs = true
    /// Backward extension never reaches into a reported run.
    private var reportedEnd: UInt64 = 0

    init(window: RecentItemWindow, minimumRun: Int) {
        self.window = window
        self.minimumRun = max(minimumRun, 2)
    }

    /// The run the last ``add(hash:location:)`` that returned true closed.
    private(set) var closed: DuplicateRun? = nil

    /// Adds the next item; returns true when it closed a run long enough to report (then in
    /// ``closed``).
    @inline(__always)
    mutating func add(hash: UInt64, location: FindingLocation) -> Bool {
        let entry = RecentItemWindow.Entry(
            hash: hash, offset: location.offset, logicID: location.logicID ?? 0, fileNumber: location.fileNumber,
            hasLogicID: location.logicID != nil)
        if !active {
            // The common case: no open run, and (usually) no earlier item with this hash.
            let j = window.count
            if let i = window.mostRecent(hash) {
                start(earlier: i, later: j, hash: hash, location: location, entry: entry)
            }
            window.append(entry)
            return false
        }
        return addSlow(hash: hash, location: location, entry: entry)
    }

    private mutating func addSlow(hash: UInt64, location: FindingLocation, entry: RecentItemWindow.Entry) -> Bool {
        var closedNow = false
        if active {
            let next = earlierStart + UInt64(length)
            if next < laterStart && window.contains(next) {
                let e = window.entry(next)
                if e.hash == hash {
                    length += 1
                    earlierLast = e.location
                    laterLast = location
                    allSame = allSame && hash == firstHash
                    sameLogicIDs = sameLogicIDs && e.hasLogicID && entry.hasLogicID && e.logicID == entry.logicID
                    window.append(entry)
                    return false
                }
            }
            if let run = close() {
                closed = run
                closedNow = true
            }
        }
        let j = window.count
        if let i = window.mostRecent(hash) {
            start(earlier: i, later: j, hash: hash, location: location, entry: entry)
        }
        window.append(entry)
        return closedNow
    }

    private mutating func start(
        earlier i: UInt64, later j: UInt64, hash: UInt64, location: FindingLocation, entry: RecentItemWindow.Entry
    ) {
        active = true
        var es = i
        var ls = j
        var len = 1
        let first = window.entry(i)
        earlierLast = first.location
        laterLast = location
        firstHash = hash
        allSame = true
        sameLogicIDs = first.hasLogicID && entry.hasLogicID && first.logicID == entry.logicID
        // Backwards while the two sequences agree, the earlier run stays before the later one, and
        // the later run does not reach into a reported run.
        while es > window.oldest && ls > reportedEnd && ls - 1 >= window.oldest && es + UInt64(len) < ls {
            let a = window.entry(es - 1)
            let b = window.entry(ls - 1)
            guard a.hash == b.hash else { break }
            es -= 1
            ls -= 1
            len += 1
            allSame = allSame && a.hash == hash
            sameLogicIDs = sameLogicIDs && a.hasLogicID && b.hasLogicID && a.logicID == b.logicID
        }
        earlierStart = es
        laterStart = ls
        length = len
        earlierFirst = window.entry(es).location
        laterFirst = ls == j ? location : window.entry(ls).location
    }

    private mutating func close() -> DuplicateRun? {
        active = false
        guard length >= minimumRun, !allSame else { return nil }
        reportedEnd = laterStart + UInt64(length)
        return DuplicateRun(
            later: FindingRange(first: laterFirst, last: laterLast),
            earlier: FindingRange(first: earlierFirst, last: earlierLast), count: length,
            sameLogicIDs: sameLogicIDs)
    }

    /// Closes the open run at the end of the input.
    mutating func finish() -> DuplicateRun? {
        active ? close() : nil
    }
}
