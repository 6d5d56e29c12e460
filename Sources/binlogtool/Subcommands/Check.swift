import ArgumentParser
import BinlogFormat
import Repair

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Verify a binlog: damage, position chain, logic ids, duplicated and out-of-order ranges, files, manifest.",
        discussion: """
            Pika's binlog has no checksum, but every item says where it belongs: its stored FILENUM:OFFSET \
            must be the end of the item before it (across file rolls too) and its logic id the previous \
            one plus one. check reports every deviation as a finding: a range of items (first and last \
            physical position and logic id, and a count) with a kind, a severity (info, warning, error) and \
            a one-line explanation. It also lists flushes (FLUSHDB/FLUSHALL), full-sync padding, zero tails, \
            items replicas cannot apply (e.g. v4.0.1 PSETEX logged as pksetexat with milliseconds), \
            duplicated ranges (by content hash), numbering gaps and the manifest's agreement with the \
            items, with corrected manifest values (printed, never written).

            Examples:
              binlogtool check log/log_db0
              binlogtool check /data/pika/log --db db0 --format json | jq 'select(.severity != "info")'

            \(exitCodeHelp) check exits 1 when anything worse than info is found.
            """)

    @OptionGroup var input: InputOptions

    @Option(
        help:
            "Output: text (a table of findings, then a summary) or json (JSON Lines: one finding per line, then a summary object)."
    )
    var format: FindingFormat = .text

    @Option(help: "Seconds exec time may go back between items before it is reported.")
    var timeSkew: UInt32 = 2

    @Option(help: "Shortest run of items repeating earlier commands that is reported as a duplicated range.")
    var minDuplicateRun: Int = 3

    @Option(help: "Recent items remembered for duplicate detection (about 48 bytes each).")
    var duplicateWindow: Int = 1 << 18

    func validate() throws {
        if minDuplicateRun < 2 { throw ValidationError("--min-duplicate-run must be at least 2") }
        if duplicateWindow < 16 || duplicateWindow > 1 << 28 {
            throw ValidationError("--duplicate-window must be between 16 and 268435456 items")
        }
    }

    func run() throws {
        let resolved = try input.resolve()
        var configuration = CheckConfiguration()
        configuration.timeSkewSeconds = timeSkew
        configuration.minimumDuplicateRun = minDuplicateRun
        configuration.duplicateWindow = duplicateWindow
        var checker = BinlogChecker(configuration: configuration, directory: resolved.directory)
        var stream = BinlogStream(files: resolved.streamFiles)
        var progress = Progress(files: resolved.files)
        do {
            try checker.add(contentsOf: &stream) { progress.tick($0) }
        } catch {
            progress.finish()
            throw ToolError(error)
        }
        progress.finish()
        let report = checker.finish()
        let s = report.summary
        if s.items == 0 && s.paddingBytes == 0 && s.damageBytes > 0 {
            throw ToolError(
                .dataError,
                "\(input.paths.joined(separator: " ")): not a Pika binlog: no record decodes (\(s.damageBytes) bytes of damage)"
            )
        }
        let out = OutputBuffer()
        let formatter = FindingFormatter(format: format, out: out)
        if !report.findings.isEmpty { formatter.writeHeader() }   // no table header over an empty table
        for finding in report.findings { formatter.write(finding) }
        formatter.writeCheckSummary(report, input: resolved.directory.path ?? input.paths.joined(separator: " "))
        out.flush()
        if out.failed { throw ToolError(.ioError, "writing the output failed") }
        if report.hasProblems { throw ExitCode(1) }
    }
}
