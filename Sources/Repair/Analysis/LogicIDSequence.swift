/// Follows logic ids item by item and says how each one relates to the ids before it.
///
/// State is O(1) plus at most ``maximumOpenGaps`` open gaps: an id that jumps ahead opens a gap;
/// ids that later fall into an open gap fill it (those items are out of order); a gap still open
/// at the end, or pushed out by newer ones, holds lost items.
struct LogicIDSequence {
    struct Gap {
        /// The missing ids, inclusive.
        var low: UInt64
        var high: UInt64
        /// How many items later came with an id in the gap.
        var filled = 0
        /// The item before the jump, and the item that jumped.
        var before: FindingLocation
        var after: FindingLocation

        var size: UInt64 { high - low + 1 }
        var missing: UInt64 { size - UInt64(filled) }
    }

    enum Step: Equatable {
        /// The first id after a reset.
        case first
        /// Previous maximum + 1.
        case next
        /// Ahead of the maximum by more than one: a gap was opened (or not, see `open`).
        case jump(low: UInt64, high: UInt64)
        /// Equal to the previous item's id.
        case repeated
        /// Below the maximum, inside an open gap: out of order.
        case fill(gapAfter: FindingLocation)
        /// Below the maximum, not in any open gap, not 1.
        case regression
        /// Back to 1 below the maximum: a new history.
        case restart
    }

    static let maximumOpenGaps = 64

    private(set) var maximum: UInt64? = nil
    private(set) var previous: UInt64? = nil
    private(set) var gaps: [Gap] = []
    /// Gaps closed for good (evicted or reset), to report.
    var closedGaps: [Gap] = []

    /// Classifies `id` and updates the state. A jump opens a gap only when `openGap` is true (a jump
    /// across missing files is reported with the file gap instead).
    mutating func step(
        _ id: UInt64, at location: FindingLocation, previousLocation: FindingLocation?, openGap: Bool = true
    )
        -> Step
    {
        defer { previous = id }
        guard let max = maximum else {
            maximum = id
            return .first
        }
        if id == max &+ 1 {
            maximum = id
            return .next
        }
        if id > max {
            maximum = id
            if openGap, let before = previousLocation {
                gaps.append(Gap(low: max + 1, high: id - 1, before: before, after: location))
                if gaps.count > Self.maximumOpenGaps { closedGaps.append(gaps.removeFirst()) }
            }
            return .jump(low: max + 1, high: id - 1)
        }
        if id == previous { return .repeated }
        if let g = gaps.lastIndex(where: { $0.low <= id && id <= $0.high }) {
            gaps[g].filled += 1
            let after = gaps[g].after
            if gaps[g].filled >= Int(clamping: gaps[g].size) { gaps.remove(at: g) }
            return .fill(gapAfter: after)
        }
        if id == 1 { return .restart }
        return .regression
    }

    /// The `.next` step without the checks: the caller knows `id` is the maximum plus one.
    @inline(__always)
    mutating func advance(to id: UInt64) {
        maximum = id
        previous = id
    }

    /// Starts a new history: open gaps are closed (and reported), the next id is `.first`.
    mutating func reset() {
        closedGaps += gaps
        gaps = []
        maximum = nil
        previous = nil
    }

    /// Restarts the sequence at `id` (after a `.restart` or a new history), keeping no gap.
    mutating func restart(at id: UInt64) {
        reset()
        maximum = id
        previous = id
    }

    /// Closes every gap still open.
    mutating func finish() {
        closedGaps += gaps
        gaps = []
    }
}
