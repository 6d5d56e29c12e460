import BinlogFormat
import Repair

/// The commands that follow from what a verb found, with the paths the operator gave filled in.
/// Upper-case words (NEW_LOG_DIR, REPLICA_DB_PATH, PORT) stand for what only the operator knows.
public enum NextSteps {
    /// `s` as one shell word: bare when it holds only safe characters, else single-quoted.
    public static func shellQuoted(_ s: String) -> String {
        let safe = !s.isEmpty && s.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                || c == UInt8(ascii: "/") || c == UInt8(ascii: ".") || c == UInt8(ascii: "_")
                || c == UInt8(ascii: "-") || c == UInt8(ascii: ":") || c == UInt8(ascii: "+") || c == UInt8(ascii: "=")
        }
        return safe ? s : "'" + s.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }

    /// What to do after `verify-snapshot`: position a replica (with `prepare-replica`), nothing,
    /// or why no automatic step exists.
    public static func afterVerification(_ r: SnapshotVerification, dump: String, binlog: String, db: String?) -> [String] {
        let prepare =
            "binlogtool prepare-replica \(shellQuoted(dump)) --binlog \(shellQuoted(binlog))"
            + (db.map { " --db \(shellQuoted($0))" } ?? "") + " --out NEW_LOG_DIR"
        if let why = r.resumeRefusal {
            return [
                "no automatic step: \(why). Do not restore a replica of this binlog's server from this dump; "
                    + "take a new bgsave on the master (or give the binlog of the server that took this dump) and verify that one."
            ]
        }
        let position = r.replicaPosition
        let next = position.next.map { " (logic id \($0.logicID) next)" } ?? ""
        if r.isClean {
            return [
                "nothing to repair: a replica restored from this dump resumes at the recorded offset \(r.recorded)\(next), "
                    + "as Pika's manifest_generator positions it; binlogtool writes the same log directory: \(prepare)"
            ]
        }
        let held = position.lastHeld.map { " after logic id \($0.logicID)" } ?? ""
        if position.needsCatchUp {
            return [
                "position a replica at \(position.resumePoint)\(held), the last item in the data, and first apply the "
                    + "\(position.catchUp.count) item\(position.catchUp.count == 1 ? "" : "s") before that point the data lacks "
                    + "(logic id \(ids(position.catchUp))): \(prepare) --catch-up CATCH_UP_FILE, then run the commands it prints. "
                    + "Pika's manifest_generator would resume at \(r.recorded) and apply logic id \(ids(r.lagging)) again."
            ]
        }
        return [
            "position a replica at the corrected point \(position.resumePoint)\(held)\(next), not at the recorded "
                + "\(r.recorded) where Pika's manifest_generator puts it (the replica would apply logic id \(ids(r.lagging)) "
                + "again): \(prepare), then run the commands it prints."
        ]
    }

    /// Logic ids as a list, cut after 20.
    public static func ids(_ items: [SnapshotVerification.Item]) -> String {
        items.prefix(20).map { String($0.logicID) }.joined(separator: ", ") + (items.count > 20 ? ", …" : "")
    }

    /// What to do with the log directory (and catch-up stream) `prepare-replica` wrote.
    /// - Parameters:
    ///   - dump: the dump directory.
    ///   - out: the log directory written (the replica's `log_<db>`).
    ///   - database: the dump's db (`db0`).
    ///   - master: host and port from the dump's `info` (the server that took it).
    ///   - catchUp: the catch-up stream written, if any.
    public static func afterPreparing(
        dump: String, out: String, database: String, master: (host: String, port: Int64), resumePoint: ResumePoint,
        catchUp: String?
    ) -> [String] {
        var out = out
        while out.count > 1 && out.hasSuffix("/") { out.removeLast() }
        let parent = out.lastIndex(of: "/").map { String(out[..<$0]) } ?? "."
        let logName = String(out[(out.lastIndex(of: "/").map { out.index(after: $0) } ?? out.startIndex)...])
        let masterAddress = "\(master.host):\(master.port)"
        var steps: [String] = []
        steps.append(
            "stop the replica; move its data aside and copy the dump in: "
                + "mv REPLICA_DB_PATH/\(database) REPLICA_DB_PATH/\(database).old && cp -a \(shellQuoted(dump)) REPLICA_DB_PATH/\(database)")
        var logPath =
            "set its pika.conf `log-path : \(parent.isEmpty ? "/" : parent)/` (Pika reads \(database)'s binlog from <log-path>/log_\(database)) "
            + "and `binlog-file-size` to the master's (a replica writes the master's items into files of its own and "
            + "resumes from its own position: with another size its files roll elsewhere and a reconnect asks the master for "
            + "a position it does not have)"
        if logName != "log_\(database)" {
            logPath += "; rename \(shellQuoted(out)) to \(shellQuoted(parent + "/log_" + database)) first (Pika looks for log_\(database), not \(logName))"
        }
        steps.append(logPath)
        if let catchUp {
            steps.append(
                "start it with `write-binlog : no` and no `slaveof` line (a replica refuses client writes; without a binlog "
                    + "the catch-up leaves its position at \(resumePoint)), apply the catch-up and check `errors: 0`: "
                    + "redis-cli -p PORT --pipe < \(shellQuoted(catchUp)); then stop it and set `write-binlog : yes`")
        }
        steps.append(
            "add to its pika.conf `slaveof : \(masterAddress)` and `master-run-id : RUN_ID` with the master's run_id "
                + "(redis-cli -h \(master.host) -p \(master.port) info server | grep run_id), then start it: "
                + "with both lines it asks for an incremental sync from \(resumePoint) instead of a full sync")
        return steps
    }
}
