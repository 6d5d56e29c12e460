import BinlogFormat
import Repair

/// Text and JSON renderings of a ``SnapshotVerification``.
public enum VerificationFormatter {
    // MARK: JSON

    /// One JSON object on one line: verdict, recorded and corrected resume points, the location
    /// of the recorded one, the items of the window with their decisions, lagging/leading/skip.
    public static func appendJSON(_ r: SnapshotVerification, dump: String, nextSteps: [String], to out: OutputBuffer) {
        out.append("{\"verdict\":")
        out.appendJSONString(r.verdict.rawValue)
        out.append(",\"dump\":")
        out.appendJSONString(dump)
        out.append(",\"recorded\":")
        appendPoint(r.recorded, out)
        out.append(",\"corrected\":")
        appendPoint(r.corrected, out)
        out.append(",\"corrected_logic_id\":")
        if let item = r.correctedItem { out.append(decimal: item.logicID) } else { out.append("null") }
        out.append(",\"last_committed\":")
        if let item = r.lastCommitted {
            out.append("{\"logic_id\":")
            out.append(decimal: item.logicID)
            out.append(",\"filenum\":")
            out.append(decimal: item.start.fileNumber)
            out.append(",\"offset\":")
            out.append(decimal: item.start.offset)
            out.append(",\"end\":")
            out.append(decimal: item.end.offset)
            out.append("}")
        } else {
            out.append("null")
        }
        out.append(",\"clean\":")
        out.append(r.isClean ? "true" : "false")
        out.append(",\"location\":{\"kind\":")
        out.appendJSONString(r.location.kind.rawValue)
        out.append(",\"resume_point\":")
        out.append(r.location.isResumePoint ? "true" : "false")
        out.append(",\"previous_logic_id\":")
        appendOptional(r.location.previousItem?.logicID, out)
        out.append(",\"next_logic_id\":")
        appendOptional(r.location.nextItem?.logicID, out)
        out.append(",\"containing_logic_id\":")
        appendOptional(r.location.containingItem?.logicID, out)
        out.append(",\"equivalent\":")
        if let e = r.location.equivalent { appendPoint(e, out) } else { out.append("null") }
        out.append(",\"description\":")
        out.appendJSONString(r.location.description)
        out.append("},\"storage\":{\"version\":")
        out.appendJSONString(r.storageVersion.rawValue)
        out.append(",\"layout\":")
        out.appendJSONString(r.layout.description)
        out.append("},\"snapshot_time\":")
        out.append(decimal: r.snapshotTime.seconds)
        out.append(",\"snapshot_time_source\":")
        out.appendJSONString(r.snapshotTimeSource)
        out.append(",\"history\":")
        out.appendJSONString(r.history.description)
        out.append(",\"examined\":")
        out.append(decimal: r.examinedCount)
        out.append(",\"lagging\":")
        appendIDs(r.lagging, out)
        out.append(",\"leading\":")
        appendIDs(r.leading, out)
        out.append(",\"skip\":[")
        for (index, item) in r.skip.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append("{\"logic_id\":")
            out.append(decimal: item.logicID)
            out.append(",\"filenum\":")
            out.append(decimal: item.reference.start.fileNumber)
            out.append(",\"offset\":")
            out.append(decimal: item.reference.start.offset)
            out.append(",\"unsafe_to_replay\":")
            out.append(item.isUnsafeToReplay ? "true" : "false")
            out.append("}")
        }
        out.append("],\"items\":[")
        for (index, item) in r.items.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendItem(item, out)
        }
        out.append("],\"resume_refusal\":")
        if let why = r.resumeRefusal { out.appendJSONString(why) } else { out.append("null") }
        out.append(",\"next_steps\":[")
        for (index, step) in nextSteps.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.appendJSONString(step)
        }
        out.append("],\"remarks\":[")
        for (index, remark) in r.remarks.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.appendJSONString(remark)
        }
        out.append("]}\n")
    }

    private static func appendItem(_ item: SnapshotVerification.Item, _ out: OutputBuffer) {
        out.append("{\"logic_id\":")
        out.append(decimal: item.logicID)
        out.append(",\"filenum\":")
        out.append(decimal: item.reference.start.fileNumber)
        out.append(",\"offset\":")
        out.append(decimal: item.reference.start.offset)
        out.append(",\"end\":")
        out.append(decimal: item.reference.end.offset)
        out.append(",\"header_filenum\":")
        out.append(decimal: item.reference.stored.fileNumber)
        out.append(",\"header_offset\":")
        out.append(decimal: item.reference.stored.offset)
        out.append(",\"exec_time\":")
        out.append(decimal: item.execTime)
        out.append(",\"after_recorded\":")
        out.append(item.isAfterRecorded ? "true" : "false")
        out.append(",\"command\":")
        out.appendJSONString(item.command)
        out.append(",\"decision\":")
        out.appendJSONString(item.decision.rawValue)
        out.append(",\"unsafe_to_replay\":")
        out.append(item.isUnsafeToReplay ? "true" : "false")
        out.append(",\"evidence\":")
        out.appendJSONString(item.evidence)
        out.append("}")
    }

    private static func appendPoint(_ point: ResumePoint, _ out: OutputBuffer) {
        out.append("{\"filenum\":")
        out.append(decimal: point.fileNumber)
        out.append(",\"offset\":")
        out.append(decimal: point.offset)
        out.append("}")
    }

    private static func appendOptional(_ value: UInt64?, _ out: OutputBuffer) {
        if let value { out.append(decimal: value) } else { out.append("null") }
    }

    private static func appendIDs(_ items: [SnapshotVerification.Item], _ out: OutputBuffer) {
        out.append(UInt8(ascii: "["))
        for (index, item) in items.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(decimal: item.logicID)
        }
        out.append(UInt8(ascii: "]"))
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
