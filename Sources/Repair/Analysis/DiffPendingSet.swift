import BinlogFormat

/// Unmatched items of one side, oldest first, findable by hash, bounded.
struct PendingSet {
    struct Item {
        var entry: DiffEntry
        /// The other side's last common item before it.
        var context: FindingLocation?
    }

    private var items: [Item?] = []
    private var head = 0
    private var base = 0
    private var live = 0
    private var byHash: [UInt64: [Int]] = [:]

    /// Adds an item; returns the oldest unmatched one when over capacity.
    mutating func add(_ item: Item, capacity: Int) -> Item? {
        byHash[item.entry.hash, default: []].append(base + items.count)
        items.append(item)
        live += 1
        guard live > capacity else { return nil }
        return popOldest()
    }

    private mutating func popOldest() -> Item? {
        while head < items.count {
            let item = items[head]
            items[head] = nil
            head += 1
            if let item {
                live -= 1
                removeIndex(of: item.entry.hash)
                compact()
                return item
            }
        }
        return nil
    }

    private mutating func removeIndex(of hash: UInt64) {
        guard var list = byHash[hash] else { return }
        list.removeAll { $0 < base + head }
        byHash[hash] = list.isEmpty ? nil : list
    }

    private mutating func compact() {
        if head > 4096 && head * 2 > items.count {
            items.removeFirst(head)
            base += head
            head = 0
        }
    }

    /// The oldest unmatched item with this hash, removed.
    mutating func take(_ hash: UInt64) -> Item? {
        guard var list = byHash[hash] else { return nil }
        while !list.isEmpty {
            let position = list.removeFirst() - base
            if position >= head, position < items.count, let item = items[position] {
                items[position] = nil
                live -= 1
                byHash[hash] = list.isEmpty ? nil : list
                return item
            }
        }
        byHash[hash] = nil
        return nil
    }

    /// Every unmatched item, oldest first; empties the set.
    mutating func drain() -> [Item] {
        let rest = items[head...].compactMap { $0 }
        items = []
        head = 0
        base = 0
        live = 0
        byHash = [:]
        return rest
    }
}

/// ``BinlogDiff/MasterReference``s by window sequence number, packed in 32 bytes each (a fixed
/// ring the size of the duplicate window, allocated once).
final class MasterReferenceRing {
    private struct Slot {
        var storedFile: UInt32
        var file: UInt32
        var storedOffset: UInt64
        var offset: UInt64
        /// `UInt64.max`: no logic id.
        var logicID: UInt64
    }
    private static let none = UInt32.max
    private let slots: UnsafeMutablePointer<Slot>
    private let mask: UInt64

    /// `capacity`: a power of two (the window's).
    init(capacity: Int) {
        slots = .allocate(capacity: capacity)
        slots.initialize(
            repeating: Slot(storedFile: Self.none, file: 0, storedOffset: 0, offset: 0, logicID: 0), count: capacity)
        mask = UInt64(capacity - 1)
    }

    deinit { slots.deallocate() }

    subscript(seq: UInt64) -> BinlogDiff.MasterReference? {
        get {
            let s = slots[Int(seq & mask)]
            guard s.storedFile != Self.none else { return nil }
            return BinlogDiff.MasterReference(
                stored: ResumePoint(fileNumber: s.storedFile, offset: s.storedOffset),
                location: FindingLocation(
                    fileNumber: s.file, offset: s.offset, logicID: s.logicID == .max ? nil : s.logicID))
        }
        set {
            slots[Int(seq & mask)] =
                newValue.map {
                    Slot(
                        storedFile: $0.stored.fileNumber, file: $0.location.fileNumber, storedOffset: $0.stored.offset,
                        offset: $0.location.offset, logicID: $0.location.logicID ?? .max)
                } ?? Slot(storedFile: Self.none, file: 0, storedOffset: 0, offset: 0, logicID: 0)
        }
    }
}

extension Optional where Wrapped == FindingRun {
    /// Adds an unmatched item to the open run of its side (see ``add(_:index:fresh:)``).
    mutating func add(_ item: PendingSet.Item) -> FindingRun? {
        let e = item.entry
        return add(e.location, index: e.index, fresh: FindingRun(e.location, index: e.index, related: item.context))
    }
}
