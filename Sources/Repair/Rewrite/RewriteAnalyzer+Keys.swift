import BinlogFormat

/// Pass 1's keys: which need state, and the list keys whose later operations are appends on one side.
extension RewriteAnalyzer {
    /// The item before, when it was a list write the next item may continue: a push (whose
    /// `ltrim` may follow), or a `del k` / whole-list push (which a push in the same second
    /// continues: the whole-list form `del k`, `rpush k …` this rewrite writes).
    struct PreviousListOperation {
        enum Kind { case none, push(RewritePlan.AppendList.Side), del, wholePush(RewritePlan.AppendList.Side) }
        var kind = Kind.none
        var key: [UInt8] = []
        var time: UInt32 = 0

        func isOn(_ key: UnsafeRawBufferPointer) -> Bool { self.key.elementsEqual(key) }

        mutating func set(_ kind: Kind, _ key: UnsafeRawBufferPointer, time: UInt32) {
            self.kind = kind
            self.key.removeAll(keepingCapacity: true)
            self.key.append(contentsOf: key)
            self.time = time
        }
    }

    /// Records what the rewrite needs to know about the keys of one item.
    func classify(
        _ item: BinlogItem, position: UInt64, snapshot: Bool, _ plan: inout RewritePlan,
        _ previous: inout PreviousListOperation
    ) {
        let command = item.command
        let cls = CommandClass.of(command)
        // The item before: its kind and time (its key stays in `previous` until `previous.set`;
        // copying the whole value would retain the key's buffer for every item).
        let before = (kind: previous.kind, time: previous.time)
        previous.kind = .none
        let time = item.envelope == .pikaItem ? item.header.execTime : item.firstRecordTime
        switch cls.kind {
        case .readOnly, .padding:
            return
        case .global:
            plan.lastGlobal = position
            if command.count >= 1 && !command.nameIs("flushdb") && !command.nameIs("flushall") {
                plan.hasPatternDelete = true
            }
            return
        case .absolute:
            let deletes = command.nameIs("del") || command.nameIs("unlink")
            cls.forEachKey(command) { key in touchOther(key, position, &plan, emptied: deletes) }
            if command.count == 2 && deletes {
                previous.set(.del, command[1], time: time)
            }
        case .collectionAdd:
            cls.forEachKey(command) { key in
                if snapshot {
                    let k = plan.keys.findOrInsert(key) { RewritePlan.KeyPlan() }
                    plan.keys[k].needsState = true
                }
                touchOther(key, position, &plan)
            }
        case .rightPush, .leftPush:
            let key = command[1]
            let k = entry(key, position, &plan)
            plan.keys[k].needsState = true
            let count = Int64(command.count - 2)
            plan.keys[k].lastNotCounter = position
            plan.keys[k].lastNotHashCounter = position
            let side: RewritePlan.AppendList.Side = cls.kind == .rightPush ? .right : .left
            // A push right after `del k` (or after such a push) in the same second writes the
            // whole list: the list's length is known from here, nothing is pending.
            var whole: Int64? = nil
            if before.time == time && previous.isOn(key) {
                switch before.kind {
                case .del: whole = 0
                case .wholePush(let s) where s == side:
                    whole = (side == .right ? plan.keys[k].right.lastCut : plan.keys[k].left.lastCut) ?? 0
                default: break
                }
            }
            if side == .right {
                plan.keys[k].lastNotLeft = position
                plan.keys[k].left = RewritePlan.SideSegment()
                if let whole {
                    plan.keys[k].right = RewritePlan.SideSegment(lastCut: whole + count)
                } else {
                    push(&plan.keys[k].right, count)
                }
            } else {
                plan.keys[k].lastNotRight = position
                plan.keys[k].right = RewritePlan.SideSegment()
                if let whole {
                    plan.keys[k].left = RewritePlan.SideSegment(lastCut: whole + count)
                } else {
                    push(&plan.keys[k].left, count)
                }
            }
            previous.set(whole != nil ? .wholePush(side) : .push(side), key, time: time)
        case .trim:
            let key = command[1]
            let k = entry(key, position, &plan)
            plan.keys[k].needsState = true
            plan.keys[k].lastNotCounter = position
            plan.keys[k].lastNotHashCounter = position
            var side: RewritePlan.AppendList.Side? = nil
            if case .push(let s) = before.kind, previous.isOn(key) { side = s }
            if side == .right, let n = Self.rightCut(command) {
                plan.keys[k].lastNotLeft = position
                plan.keys[k].left = RewritePlan.SideSegment()
                if !cut(&plan.keys[k].right, n) {
                    plan.keys[k].lastNotRight = position
                    plan.keys[k].right = RewritePlan.SideSegment(lastCut: n)
                }
            } else if side == .left, let m = Self.leftCut(command) {
                plan.keys[k].lastNotRight = position
                plan.keys[k].right = RewritePlan.SideSegment()
                if !cut(&plan.keys[k].left, m) {
                    plan.keys[k].lastNotLeft = position
                    plan.keys[k].left = RewritePlan.SideSegment(lastCut: m)
                }
            } else {
                touchOther(key, position, &plan)
            }
        case .stateful:
            let step = CounterStep.of(command)
            cls.forEachKey(command) { key in
                let k = plan.keys.findOrInsert(key) { RewritePlan.KeyPlan() }
                plan.keys[k].needsState = true
                touchOther(key, position, &plan, counter: step)
            }
        }
    }

    /// An operation on `key` that is neither a right nor a left append. After `del k` the list
    /// is empty: its length is known (0) for the pushes that follow.
    func touchOther(
        _ key: UnsafeRawBufferPointer, _ position: UInt64, _ plan: inout RewritePlan, emptied: Bool = false,
        counter: CounterStep? = nil
    ) {
        guard let k = plan.keys.index(of: key) else { return }
        if counter != .string { plan.keys[k].lastNotCounter = position }
        if counter != .hash { plan.keys[k].lastNotHashCounter = position }
        plan.keys[k].lastNotRight = position
        plan.keys[k].lastNotLeft = position
        plan.keys[k].right = RewritePlan.SideSegment(lastCut: emptied ? 0 : nil)
        plan.keys[k].left = RewritePlan.SideSegment(lastCut: emptied ? 0 : nil)
        plan.keys[k].lastTouch = position
    }

    /// The key's entry, its segments started afresh (empty list) when a FLUSHDB came since it
    /// was last touched.
    func entry(_ key: UnsafeRawBufferPointer, _ position: UInt64, _ plan: inout RewritePlan) -> Int {
        let k = plan.keys.findOrInsert(key) { RewritePlan.KeyPlan() }
        if plan.keys[k].lastTouch < plan.lastGlobal {
            plan.keys[k].right = RewritePlan.SideSegment(lastCut: 0)
            plan.keys[k].left = RewritePlan.SideSegment(lastCut: 0)
        }
        plan.keys[k].lastTouch = position
        return k
    }

    func push(_ segment: inout RewritePlan.SideSegment, _ count: Int64) {
        if segment.pendingPush { segment.paired = false }
        segment.pendingPush = true
        segment.pushedSinceCut &+= count
    }

    /// An `ltrim` right after a push on the same key, keeping `length` elements on the pushed
    /// side; false when it contradicts the lengths of the segment (a capped list, not an append).
    func cut(_ segment: inout RewritePlan.SideSegment, _ length: Int64) -> Bool {
        if let last = segment.lastCut, length != last &+ segment.pushedSinceCut { return false }
        segment.lastCut = length
        segment.pushedSinceCut = 0
        segment.pendingPush = false
        return true
    }

    func finishSegments(_ plan: inout RewritePlan) {
        for k in 0..<plan.keys.count {
            if plan.keys[k].right.pendingPush { plan.keys[k].right.paired = false }
            if plan.keys[k].left.pendingPush { plan.keys[k].left.paired = false }
        }
    }

    /// `ltrim k 0 N` (N ≥ 0): keeps N + 1 elements from the head.
    static func rightCut(_ command: RESPCommand) -> Int64? {
        guard command.count == 4, command[2].count == 1, command[2][0] == UInt8(ascii: "0"),
            let n = RedisNumbers.parseInt64(command[3]), n >= 0, n < .max
        else { return nil }
        return n + 1
    }

    /// `ltrim k -M -1` (M ≥ 1): keeps M elements from the tail.
    static func leftCut(_ command: RESPCommand) -> Int64? {
        guard command.count == 4, command[3].count == 2, command[3][0] == UInt8(ascii: "-"),
            command[3][1] == UInt8(ascii: "1"), let m = RedisNumbers.parseInt64(command[2]), m <= -1, m > .min
        else { return nil }
        return -m
    }
}
