import BinlogFormat
import Repair

/// Text and JSON renderings of a ``SnapshotVerification``.
public enum VerificationFormatter {
    // MARK: JSON

    /// One JSON object on one line: verdict, recorded and corrected resume points, the location
    /// of the recorded one, the items of the window with their decisions, lagging/leading/skip.
    public static func appendJSON(_ r: SnapshotVerification, dump: String, nextSteps: [String], to out: OutputBuffer) {
        var o = JSONObject(into: out)
        o.string("verdict", r.verdict.rawValue)
        o.string("dump", dump)
        o.key("recorded")
        out.appendJSON(r.recorded)
        o.key("corrected")
        out.appendJSON(r.corrected)
        o.number("corrected_logic_id", r.correctedItem?.logicID)
        o.key("last_committed")
        if let item = r.lastCommitted {
            var c = JSONObject(into: out)
            c.number("logic_id", item.logicID)
            c.number("filenum", item.start.fileNumber)
            c.number("offset", item.start.offset)
            c.number("end", item.end.offset)
            c.close()
        } else {
            out.append("null")
        }
        o.bool("clean", r.isClean)
        o.key("location")
        var l = JSONObject(into: out)
        l.string("kind", r.location.kind.rawValue)
        l.bool("resume_point", r.location.isResumePoint)
        l.number("previous_logic_id", r.location.previousItem?.logicID)
        l.number("next_logic_id", r.location.nextItem?.logicID)
        l.number("containing_logic_id", r.location.containingItem?.logicID)
        l.key("equivalent")
        out.appendJSON(r.location.equivalent)
        l.string("description", r.location.description)
        l.close()
        o.key("storage")
        var storage = JSONObject(into: out)
        storage.string("version", r.storageVersion.rawValue)
        storage.string("layout", r.layout.description)
        storage.close()
        o.number("snapshot_time", r.snapshotTime.seconds)
        o.string("snapshot_time_source", r.snapshotTimeSource)
        o.string("history", r.history.description)
        o.number("examined", r.examinedCount)
        o.numbers("lagging", r.lagging.map(\.logicID))
        o.numbers("leading", r.leading.map(\.logicID))
        o.key("skip")
        out.append(UInt8(ascii: "["))
        for (index, item) in r.skip.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            var s = JSONObject(into: out)
            s.number("logic_id", item.logicID)
            s.number("filenum", item.reference.start.fileNumber)
            s.number("offset", item.reference.start.offset)
            s.bool("unsafe_to_replay", item.isUnsafeToReplay)
            s.close()
        }
        out.append(UInt8(ascii: "]"))
        o.key("items")
        out.append(UInt8(ascii: "["))
        for (index, item) in r.items.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendItem(item, out)
        }
        out.append(UInt8(ascii: "]"))
        o.string("resume_refusal", r.resumeRefusal)
        o.strings("next_steps", nextSteps)
        o.strings("remarks", r.remarks)
        o.close()
        out.append("\n")
    }

    private static func appendItem(_ item: SnapshotVerification.Item, _ out: OutputBuffer) {
        var o = JSONObject(into: out)
        o.number("logic_id", item.logicID)
        o.number("filenum", item.reference.start.fileNumber)
        o.number("offset", item.reference.start.offset)
        o.number("end", item.reference.end.offset)
        o.number("header_filenum", item.reference.stored.fileNumber)
        o.number("header_offset", item.reference.stored.offset)
        o.number("exec_time", item.execTime)
        o.bool("after_recorded", item.isAfterRecorded)
        o.string("command", item.command)
        o.string("decision", item.decision.rawValue)
        o.bool("unsafe_to_replay", item.isUnsafeToReplay)
        o.string("evidence", item.evidence)
        o.close()
    }

    // MARK: Text

    public static func appendText(_ r: SnapshotVerification, dump: String, nextSteps: [String], to out: OutputBuffer) {
        out.append("\(dump): \(r.storageVersion), \(r.layout) layout\n")
        out.append("recorded   \(r.recorded): \(r.location)\n")
        out.append("snapshot   judged at \(r.snapshotTime.seconds) (")
        out.appendISOTime(UInt32(clamping: r.snapshotTime.seconds))
        out.append(", \(r.snapshotTimeSource))\n")
        out.append("history    \(r.history)\n")
        out.append("verdict    \(r.verdict.rawValue)")
        switch r.verdict {
        case .consistent:
            out.append(": the data holds every item before the offset and none after it")
        case .lagging:
            let unsafe = r.lagging.filter(\.isUnsafeToReplay).count
            out.append(
                ": \(r.lagging.count) item\(r.lagging.count == 1 ? "" : "s") after the offset already in the data "
                    + "(logic id \(r.lagging.map { String($0.logicID) }.joined(separator: ", "))); \(unsafe) unsafe to replay")
        case .leading:
            out.append(
                ": \(r.leading.count) item\(r.leading.count == 1 ? "" : "s") before the offset missing from the data "
                    + "(logic id \(r.leading.map { String($0.logicID) }.joined(separator: ", ")))")
        case .interleaved:
            out.append(
                ": applied and missing items mixed; \(r.lagging.count) applied after the offset, "
                    + "\(r.leading.count) missing before it")
        }
        out.append("\n")
        out.append("corrected  \(r.corrected)")
        if let item = r.correctedItem {
            out.append(": the stored position of logic id \(item.logicID), the earliest item not in the data")
        } else {
            out.append(": every item examined is in the data")
        }
        if r.corrected == r.recorded { out.append(" (= recorded)") }
        out.append("\n")
        if let item = r.lastCommitted {
            out.append(
                "committed  logic id \(item.logicID) at \(item.start.fileNumber):\(item.start.offset)-\(item.end.offset): "
                    + "the last item in the data with every item before it\n")
        } else if let first = r.correctedItem {
            out.append("committed  none of the examined items: logic id \(first.logicID), the first examined, is not in the data\n")
        }
        if !r.skip.isEmpty {
            out.append(
                "skip       \(r.skip.count) later item\(r.skip.count == 1 ? "" : "s") already applied: logic id "
                    + r.skip.map { "\($0.logicID)\($0.isUnsafeToReplay ? " (unsafe)" : "")" }.joined(separator: ", ") + "\n")
        }
        if let first = r.items.first, let last = r.items.last {
            out.append("items      logic id \(first.logicID) … \(last.logicID) (\(r.items.count) shown, \(r.examinedCount) examined)\n")
        }
        for item in r.items {
            let label: String
            switch item.decision {
            case .applied: label = "applied    "
            case .notApplied: label = "not-applied"
            case .undecidable: label = "undecidable"
            }
            out.append("  \(label) \(item.logicID) \(item.reference.start)")
            out.append(item.isAfterRecorded ? " after " : " before")
            out.append(item.isUnsafeToReplay ? " unsafe " : "        ")
            out.append(item.command)
            out.append("\n      \(item.evidence)\n")
        }
        for remark in r.remarks { out.append("remark     \(remark)\n") }
        // The end repeats what to take away: the verdict, what "unsafe" means, the next step.
        out.append("verdict    \(r.verdict.rawValue)")
        if r.verdict != .consistent { out.append(", corrected resume point \(r.corrected)") }
        out.append("\n")
        if r.items.contains(where: \.isUnsafeToReplay) {
            out.append(
                "unsafe     marks an item that changes the data again when applied a second time (INCR, LPUSH, "
                    + "APPEND, ...): a replica that resumes before such an item although the dump holds it ends with "
                    + "other values than the master's\n")
        }
        for step in nextSteps { out.append("next       \(step)\n") }
        out.append("\n")
    }
}
