import BinlogFormat

/// Pass 1's findings: `check`'s duplicated and out-of-order ranges turned into drops and moves.
extension RewriteAnalyzer {
    /// Turns the findings into drops and moves, for the ranges at or after the first item written.
    func planChanges(_ findings: [Finding], _ plan: inout RewritePlan) {
        let from = plan.firstItem ?? UInt64.max
        for f in findings {
            guard let range = f.range else { continue }
            let first = packed(range.first.position)
            let last = packed(range.last.position)
            switch f.kind {
            case .duplicateRange:
                // Only a range written again with its stored headers is proven to be a copy. A repeat
                // of commands alone is kept: dropping a workload's repeat loses writes (a counter
                // ends short). Where a replica could have received it twice, diff decides.
                guard f.severity == .error else {
                    if f.severity == .warning {
                        plan.remarks.append(
                            "kept: \(f.count) items at \(range) repeat the commands of \(f.related.map { "\($0)" } ?? "earlier items") under new logic ids; commands alone do not prove a range applied twice (a workload repeats itself too): rewrite MASTER_LOG --replica THIS_LOG compares with the master")
                    }
                    continue
                }
                guard first >= from else {
                    plan.remarks.append("not dropped: the duplicated range \(range) begins before the start point")
                    continue
                }
                plan.drops.append(
                    RewritePlan.Drop(
                        first: first, last: last,
                        reason: "duplicate: written a second time, headers included",
                        related: f.related))
            case .logicIDRepeat:
                if first >= from { plan.repeats.append((first, last)) }
            case .outOfOrder:
                guard let related = f.related else { continue }
                guard first >= from, packed(related.first.position) >= from else {
                    plan.remarks.append("not reordered: the out-of-order range \(range) or the items it belongs before lie before the start point")
                    continue
                }
                plan.moves.append(
                    RewritePlan.Move(
                        first: first, last: last, firstLocation: range.first, lastLocation: range.last,
                        before: related.first, related: related))
            default:
                continue
            }
        }
        // Moves that overlap a drop or each other, or go before an item inside another move, are
        // not applied: the order there is not clear.
        var kept: [RewritePlan.Move] = []
        for move in plan.moves {
            let target = packed(move.before.position)
            let clash =
                plan.drops.contains { !($0.last < move.first || $0.first > move.last) }
                || kept.contains { other in
                    !(other.last < move.first || other.first > move.last)
                        || (target >= other.first && target <= other.last)
                        || (packed(other.before.position) >= move.first && packed(other.before.position) <= move.last)
                }
                || target >= move.first
            if clash {
                plan.remarks.append(
                    "not reordered: the out-of-order range \(move.firstLocation)..\(move.lastLocation) overlaps another change")
            } else {
                kept.append(move)
            }
        }
        plan.moves = kept.sorted { packed($0.before.position) < packed($1.before.position) }
        plan.drops.sort { $0.first < $1.first }
        if !plan.moves.isEmpty {
            // Append forms rely on the order of a key's operations seen here.
            plan.listAppendForms = false
        }
        if !plan.drops.isEmpty || !plan.repeats.isEmpty || !plan.applied.isEmpty {
            // A dropped item may be the `ltrim` of a push that stays: every push gets its own cut.
            plan.unpairAll = true
        }
    }
}
