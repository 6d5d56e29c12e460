/// Whether an item's effect is in a snapshot.
public enum EffectDecision: String, Hashable, Sendable {
    case applied
    case notApplied = "not-applied"
    case undecidable
}

/// The decision on one item and why.
struct ItemJudgement {
    var decision: EffectDecision
    var evidence: String
}

/// Decides, key by key, how far into a run of items the snapshot's data has got.
///
/// For each key the items write, the states it goes through are computed (from the state before
/// the run, known when the binlog's history was replayed, otherwise unknown) and compared with
/// the snapshot. Pika applies the writes to one key in binlog order (each command holds the key's
/// record lock from `Do()` to `DoBinlog()`), so the snapshot holds a prefix of each key's chain:
/// the states that agree with it say how long that prefix is. Items up to the shortest agreeing
/// prefix are applied, items after the longest are not, items in between are undecidable.
/// Agreement on at least one known fact beats agreement by ignorance: without history, a key
/// whose value equals the one this item wrote counts as written by it.
struct EffectAnalysis {
    let model: any ItemEffectModel
    let observer: SnapshotObserver
    /// Whether the states before the run come from a replayed history (else: unknown).
    let hasHistory: Bool

    /// Where a text is in a chain's `texts`.
    private struct TextRange {
        var start: UInt32
        var count: UInt32
    }

    /// One item of a key's chain; its texts are in the chain's `texts` (a window's chains hold
    /// a step for nearly every item until they are decided).
    private struct Step {
        var item: Int32
        /// How the state after the item compares with the snapshot: a mismatch (why), or
        /// consistent, strongly (on a known fact) or not.
        var isMismatch: Bool
        var isStrongMatch: Bool
        /// The item's own effect on this key is known after it, was not before it, and agrees
        /// with the snapshot: the state before it agrees only by not knowing.
        var verifiesItsEffect: Bool
        var why: TextRange
        var before: TextRange
        var after: TextRange
    }

    /// What is known of a key's chain before it is opened (16 bytes: a window has one per key).
    private struct Chain {
        /// The chain's last item (its own, a FLUSHDB-like one, or one that reads the key): the
        /// chain is decided once that item is applied, and its states dropped.
        var last: Int32 = 0
        /// `last` only reads the key (it is not among the keys that item writes).
        var lastReads = false
        /// The types its items write (the fields and members are kept apart, for the few
        /// chains that write some).
        var types = DataTypeSet()
    }

    /// What a step needs of the key's state before its item.
    private struct BeforeFacts {
        /// Running a command then first drops an expired type.
        var expires: Bool
        var shapes: (hash: (complete: Bool, count: Int), set: (complete: Bool, count: Int), zset: (complete: Bool, count: Int))
        /// One of the item's own facets was not known.
        var learnsOwnEffect: Bool
        /// The state, described.
        var text: String

        func shape(_ type: PikaDataType) -> (complete: Bool, count: Int) {
            switch type {
            case .hash: return shapes.hash
            case .set: return shapes.set
            case .zset: return shapes.zset
            default: return (true, 0)
            }
        }
    }

    /// The facets of an item that are its own effect (not a collection's count or existence).
    private static func ownFacets(_ facets: [Facet]) -> [Facet] {
        facets.filter { if case .collection = $0 { return false } else { return true } }
    }

    /// A chain between its first item and its last.
    private struct OpenChain {
        var key: [UInt8]
        var comparator: ChainComparator
        var initial: Comparison
        var steps: [Step] = []
        /// The steps' texts, as UTF-8.
        var texts: [UInt8] = []

        mutating func store(_ text: String) -> TextRange {
            var text = text
            let start = UInt32(texts.count)
            text.withUTF8 { texts.append(contentsOf: $0) }
            return TextRange(start: start, count: UInt32(texts.count) - start)
        }

        func text(_ range: TextRange) -> String {
            String(decoding: texts[Int(range.start)..<Int(range.start + range.count)], as: UTF8.self)
        }

        mutating func append(item: Int, _ comparison: Comparison, before: String, after: String, verifies: Bool) {
            var why = TextRange(start: 0, count: 0)
            if case .mismatch(let reason) = comparison { why = store(reason) }
            let before = store(before)
            let after = store(after)
            steps.append(
                Step(
                    item: Int32(item), isMismatch: comparison.isMismatch, isStrongMatch: comparison.isStrongMatch,
                    verifiesItsEffect: verifies, why: why, before: before, after: after))
        }

        /// The comparison of the state after `step` (only whether it is a mismatch, why, and
        /// whether it is a strong match are kept).
        func comparison(_ step: Step) -> Comparison {
            step.isMismatch ? .mismatch(text(step.why)) : .consistent(known: step.isStrongMatch ? 1 : 0, unknown: 0)
        }
    }

    /// - Parameters:
    ///   - items: the run, in binlog order.
    ///   - exact: the exact model, at the state before the run (after the replayed history, or
    ///     fresh); it goes on through the run, and forgets each key once its chain is decided.
    ///   - keepsEvidence: whether the evidence of an item with this decision is kept (else only
    ///     the decision is).
    /// - Returns: one judgement per item.
    ///
    /// A chain is opened at its first item and decided after its last, so that only the chains
    /// spanning the current item hold states (every chain is open from the start when the run
    /// has a FLUSHDB-like item, which writes every key).
    func judge(
        _ items: [LoggedItem], _ arguments: ArgumentArena, exact: inout KeyspaceModel,
        keepsEvidence: (Int, EffectDecision) -> Bool = { _, _ in true }
    ) throws(PikaStorageError) -> Judgements {

        // The chains, one per key, numbered in order of first appearance: their facets, their
        // last items.
        var chains = RewriteKeyTable<Chain>(capacity: 1024)
        func chainIndex(_ key: [UInt8]) -> Int? { key.withUnsafeBytes { chains.index(of: $0) } }
        var elements: [Int: ChainFacets] = [:]
        var lastGlobal: Int? = nil
        for itemIndex in items.indices {
            let command = LoggedCommand(arguments: arguments.arguments(of: itemIndex))
            let footprint = model.footprint(of: command)
            if footprint.isGlobal { lastGlobal = itemIndex }
            // A key another command reads stays in the exact model until then.
            if let spec = CommandCatalogue.spec(named: command.name), spec.reads != .none {
                for key in spec.reads.keys(of: command.arguments) {
                    if let index = chainIndex(key) { (chains[index].last, chains[index].lastReads) = (Int32(itemIndex), true) }
                }
            }
            for (key, facets) in footprint.keys {
                let index = key.withUnsafeBytes { chains.findOrInsert($0) { Chain() } }
                (chains[index].last, chains[index].lastReads) = (Int32(itemIndex), false)
                for facet in facets {
                    for type in facet.types { chains[index].types.insert(type) }
                    switch facet {
                    case .hashField, .setMember, .zsetMember: elements[index, default: ChainFacets()].add(facet)
                    default: break
                    }
                }
            }
        }
        if let lastGlobal {
            for index in 0..<chains.count {
                for type in Facet.wholeKey.types { chains[index].types.insert(type) }
                if lastGlobal >= Int(chains[index].last) { (chains[index].last, chains[index].lastReads) = (Int32(lastGlobal), false) }
            }
        }
        /// Chains whose last item only reads them, by that item.
        var endingByRead: [Int: [Int]] = [:]
        for (index, chain) in chains.values.enumerated() where chain.lastReads {
            endingByRead[Int(chain.last), default: []].append(index)
        }

        // The exact model's states before the run (it moves on with the run).
        var initialExact: [Int: KeyspaceModel.KeyState] = [:]
        for index in 0..<chains.count {
            if let known = exact.storedState(of: chains.key(index)) { initialExact[index] = known }
        }

        var states: [[UInt8]: KeyState] = [:]
        var open: [Int: OpenChain] = [:]
        func openChain(_ index: Int) throws(PikaStorageError) {
            let key = chains.key(index)
            let state = initialExact.removeValue(forKey: index).map { KeyState(exact: $0, over: .unknown, allTypes: hasHistory) } ?? .unknown
            states[key] = state
            var facets = elements.removeValue(forKey: index) ?? ChainFacets()
            facets.types = chains[index].types
            let comparator = ChainComparator(facets: facets, observed: observer.key(key), observer: observer)
            open[index] = OpenChain(key: key, comparator: comparator, initial: try comparator.compare(state, .all))
        }
        if lastGlobal != nil {
            for index in 0..<chains.count { try openChain(index) }
        }

        /// What item `item` writes of `key` (one of its keys).
        func facets(_ item: Int, _ key: [UInt8]) -> [Facet] {
            let footprint = model.footprint(of: LoggedCommand(arguments: arguments.arguments(of: item)))
            return footprint.isGlobal ? [.wholeKey] : footprint.keys.first { $0.key == key }!.facets
        }

        var result = Judgements(count: items.count)
        /// Items of several keys: the judgements of the keys decided so far, and how many keys.
        var partial: [Int: (expected: Int, parts: [(chain: Int, judgement: ItemJudgement)])] = [:]
        func decideChain(_ index: Int) throws(PikaStorageError) {
            guard let chain = open.removeValue(forKey: index) else { return }
            let key = chain.key
            states[key] = nil
            let judged = try decide(chain, key: key, items, facets: facets) { item, decision in
                partial[item] != nil || keepsEvidence(item, decision)
            }
            for (item, judgement) in judged {
                if partial[item] == nil {
                    keepsEvidence(item, judgement.decision) ? result.set(item, judgement) : result.set(item, judgement.decision)
                } else {
                    partial[item]!.parts.append((index, judgement))
                    if partial[item]!.parts.count == partial[item]!.expected {
                        let parts = partial.removeValue(forKey: item)!.parts.sorted { $0.chain < $1.chain }
                        let command = LoggedCommand(arguments: arguments.arguments(of: item))
                        let merged = merge(parts.map(\.judgement), command: command)
                        keepsEvidence(item, merged.decision) ? result.set(item, merged) : result.set(item, merged.decision)
                    }
                }
            }
            observer.forget(key)
            exact.drop(key)
        }
        for itemIndex in items.indices {
            let command = LoggedCommand(arguments: arguments.arguments(of: itemIndex))
            let footprint = model.footprint(of: command)
            let affected: [(key: [UInt8], facets: [Facet])] =
                footprint.isGlobal ? (0..<chains.count).map { (open[$0]!.key, [Facet.wholeKey]) } : footprint.keys
            guard !affected.isEmpty else {
                result.set(itemIndex, merge([], command: command))
                for index in endingByRead.removeValue(forKey: itemIndex) ?? [] { try decideChain(index) }
                continue
            }
            if affected.count > 1 { partial[itemIndex] = (affected.count, []) }
            for entry in affected where states[entry.key] == nil { try openChain(chainIndex(entry.key)!) }
            let time = Int64(items[itemIndex].execTime)
            // What the steps need of the states before the item, taken before it is applied so that
            // the states are then changed in place (a copy of each would copy its collections).
            let previous = affected.map { entry in
                let before = states[entry.key]!
                return BeforeFacts(
                    expires: before.expiresSomething(at: time),
                    shapes: (before.shape(.hash), before.shape(.set), before.shape(.zset)),
                    learnsOwnEffect: Self.ownFacets(entry.facets).contains { !before.knows($0) },
                    text: describe(before, entry.facets))
            }
            model.apply(command, at: time, to: &states)
            exact.applyFollowing(command, execTime: items[itemIndex].execTime, footprint: footprint) { chainIndex($0) != nil }
            for (position, entry) in affected.enumerated() {
                let index = chainIndex(entry.key)!
                let before = previous[position]
                var state = states[entry.key]!
                var changes = StateChanges(everything: before.expires)
                for facet in entry.facets {
                    switch facet {
                    case .wholeKey: changes.everything = true
                    case .hashField(let f): changes.elements[.hash, default: []].append(f)
                    case .setMember(let m): changes.elements[.set, default: []].append(m)
                    case .zsetMember(let m): changes.elements[.zset, default: []].append(m)
                    default: break
                    }
                }
                if let known = exact.storedState(of: entry.key) {
                    let exactState = KeyState(exact: known, over: state, allTypes: hasHistory)
                    for type in [PikaDataType.hash, .set, .zset] where exactState.shape(type) != state.shape(type) {
                        changes.wholeTypes.insert(type)
                    }
                    state = exactState
                    states[entry.key] = state
                }
                for type in [PikaDataType.hash, .set, .zset] {
                    let (a, b) = (before.shape(type), state.shape(type))
                    if a.complete != b.complete || abs(a.count - b.count) > (changes.elements[type]?.count ?? 0) {
                        changes.wholeTypes.insert(type)
                    }
                }
                let comparison = try open[index]!.comparator.compare(state, changes)
                let own = Self.ownFacets(entry.facets)
                let verifies =
                    !comparison.isMismatch && !own.isEmpty && own.allSatisfy { state.knows($0) } && before.learnsOwnEffect
                open[index]!.append(
                    item: itemIndex, comparison, before: before.text, after: describe(state, entry.facets), verifies: verifies)
            }

            // Decide the chains that end here.
            for entry in affected {
                let index = chainIndex(entry.key)!
                if chains[index].last == Int32(itemIndex) && !chains[index].lastReads { try decideChain(index) }
            }
            for index in endingByRead.removeValue(forKey: itemIndex) ?? [] { try decideChain(index) }
        }
        return result
    }

    /// - Parameters:
    ///   - facets: what an item writes of a key (recomputed, rather than kept for every step).
    ///   - needsEvidence: whether an item with this decision needs its evidence text (else it
    ///     gets an empty one).
    private func decide(
        _ chain: OpenChain, key: [UInt8], _ items: [LoggedItem], facets: (Int, [UInt8]) -> [Facet],
        needsEvidence: (Int, EffectDecision) -> Bool
    ) throws(PikaStorageError) -> [(Int, ItemJudgement)] {
        let comparisons = [chain.initial] + chain.steps.map(chain.comparison)
        // A state that agrees only because it does not know what the next item wrote, while
        // the state after that item knows it and agrees, is no evidence of its own.
        var outdone = Set<Int>()
        for (offset, step) in chain.steps.enumerated() where step.verifiesItsEffect { outdone.insert(offset) }
        let strong = comparisons.indices.filter { comparisons[$0].isStrongMatch && !outdone.contains($0) }
        let strongSet = Set(strong)
        let weak = comparisons.indices.filter { !comparisons[$0].isMismatch && !strongSet.contains($0) }
        let bounds: (low: Int, high: Int)?
        if let low = strong.first {
            bounds = (low, max(strong.last!, weak.last(where: { $0 > low }) ?? low))
        } else if let low = weak.first {
            bounds = (low, weak.last!)
        } else {
            bounds = nil
        }

        let observed = chain.comparator.observed
        let name = printable(key)
        var result: [(Int, ItemJudgement)] = []
        for (offset, step) in chain.steps.enumerated() {
            let position = offset + 1
            let item = Int(step.item)
            // Read even when the text is not kept: the snapshot reads are the same either way.
            let found = try describeObserved(observed, facets(item, key))
            let decision: EffectDecision
            if let bounds {
                decision = position <= bounds.low ? .applied : position > bounds.high ? .notApplied : .undecidable
            } else {
                decision = .undecidable
            }
            guard needsEvidence(item, decision) else {
                result.append((item, ItemJudgement(decision: decision, evidence: "")))
                continue
            }
            var evidence = "\(name): found \(found); before: \(chain.text(step.before)); after: \(chain.text(step.after))"
            if let bounds {
                if position <= bounds.low {
                    if case .mismatch(let why) = comparisons[position - 1] { evidence += " (the state before it: \(why))" }
                } else if position > bounds.high {
                    if step.isMismatch { evidence += " (the state after it: \(chain.text(step.why)))" }
                } else {
                    evidence += " (" + undecidableReason(comparisons, position, bounds, items, chain) + ")"
                }
            } else {
                let why: String
                why = step.isMismatch ? chain.text(step.why) : ""
                evidence += " (the snapshot agrees with none of the states \(name) goes through in the window"
                    + (why.isEmpty ? "" : ": \(why)") + ")"
            }
            result.append((item, ItemJudgement(decision: decision, evidence: evidence)))
        }
        return result
    }

    private func undecidableReason(
        _ comparisons: [Comparison], _ position: Int, _ bounds: (low: Int, high: Int), _ items: [LoggedItem],
        _ chain: OpenChain
    ) -> String {
        let afterWeak = !comparisons[position].isMismatch && !comparisons[position].isStrongMatch
        if afterWeak {
            return hasHistory
                ? "the key's state here cannot be computed: a command before it is not modelled"
                : "the key's state before the window is unknown (no history replayed) and this item's effect alone cannot be recognised"
        }
        if comparisons[position - 1].isStrongMatch && comparisons[position].isStrongMatch {
            return "the snapshot agrees with the state both before and after this item"
        }
        func label(_ index: Int) -> String {
            index == 0 ? "before the window" : "after logic id \(items[Int(chain.steps[index - 1].item)].logicID)"
        }
        return "the snapshot agrees with the states \(label(bounds.low)) and \(label(bounds.high))"
    }

    /// One item's judgement from those of its keys (in the order of the keys' chains).
    private func merge(_ judgements: [ItemJudgement], command: LoggedCommand) -> ItemJudgement {
        guard !judgements.isEmpty else {
            return ItemJudgement(
                decision: .undecidable,
                evidence: command.name == "padding"
                    ? "a padding item: no effect to look for" : "\(command.name) names no key: nothing to look up")
        }
        let decisions = Set(judgements.map(\.decision))
        let decided = decisions.subtracting([.undecidable])
        let decision: EffectDecision = decided.count == 1 ? decided.first! : .undecidable
        var evidence = judgements.prefix(4).map(\.evidence).joined(separator: "; ")
        if judgements.count > 4 { evidence += "; … \(judgements.count - 4) more keys" }
        if decided.count > 1 { evidence = "keys disagree: " + evidence }
        return ItemJudgement(decision: decision, evidence: evidence)
    }
}
