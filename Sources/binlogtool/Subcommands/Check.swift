import ArgumentParser
import BinlogFormat
import BinlogToolCore
import Repair

#if canImport(Glibc)
import Glibc
#endif

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
            items replicas cannot apply (e.g. v4.0.1 PSETEX logged as pksetexat with milliseconds: info, or a \
            warning with --replica-version naming a release that rejects it), \
            duplicated ranges (by content hash), numbering gaps and the manifest's agreement with the \
            items, with corrected manifest values (printed; --write-manifest FILE writes them to a new \
            file, in Pika's format for the layout found, for the operator to put in place while Pika \
            is stopped).

            Examples:
              binlogtool check log/log_db0
              binlogtool check /data/pika/log --db db0 --format json | jq 'select(.severity != "info")'
              binlogtool check log/log_db0 --write-manifest /tmp/manifest.fixed

            \(exitCodeHelp) check exits 1 when anything worse than info is found.
            """)

    @OptionGroup var input: InputOptions
    @OptionGroup var jobs: JobsOption

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

    @Option(help: ArgumentHelp(
        "Write the manifest that agrees with the items (the corrected one, or the found one when it agrees) to this new file: never over an existing file, never into the input.",
        valueName: "file"))
    var writeManifest: String?

    @Option(help: "Manifest layout to read and write (v2.0, v2.3, v3.0, v3.1, v3.3 = Pika 3.3–4.0.1), when it cannot be told from the manifest.")
    var manifestLayout: ManifestLayout?

    @Option(
        help:
            "Pika release of this log's replicas (e.g. 4.0.1): items such a replica rejects become warnings (info without it)."
    )
    var replicaVersion: String?

    func validate() throws {
        if let v = replicaVersion, PikaRelease(v) == nil {
            throw ValidationError("--replica-version must be a Pika release such as 4.0.1 or v3.5.0, not '\(v)'")
        }
        if minDuplicateRun < 2 { throw ValidationError("--min-duplicate-run must be at least 2") }
        if duplicateWindow < 16 || duplicateWindow > 1 << 28 {
            throw ValidationError("--duplicate-window must be between 16 and 268435456 items")
        }
    }

    func run() throws {
        let resolved = try input.resolve(manifestLayout: manifestLayout)
        if let writeManifest {
            try checkOutputPath(writeManifest, option: "--write-manifest", against: input.paths)
            var st = stat()
            if lstat(writeManifest, &st) == 0 {
                throw ToolError(.usage, "--write-manifest \(writeManifest): already exists; it writes a new file only, never over one")
            }
        }
        var configuration = CheckConfiguration()
        configuration.timeSkewSeconds = timeSkew
        configuration.minimumDuplicateRun = minDuplicateRun
        configuration.duplicateWindow = duplicateWindow
        configuration.replicaVersion = replicaVersion.flatMap(PikaRelease.init)
        var checker = BinlogChecker(configuration: configuration, directory: resolved.directory)
        var stream = BinlogStream(files: resolved.streamFiles, jobs: jobs.count)
        var progress = Progress(files: resolved.files)
        do {
            try checker.add(contentsOf: &stream) { progress.tick($0) }
        } catch {
            progress.finish()
            throw ToolError(error)
        }
        progress.finish()
        checker.manifestAtEnd = resolved.directory.manifest?.readAgain()
        let report = checker.finish()
        let layoutToWrite = try writeManifest.map { _ throws(ToolError) in
            try manifestLayoutToWrite(resolved.directory)
        }
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
        if let writeManifest, let layoutToWrite {
            let (manifest, what) = try manifestToWrite(report.summary, layout: layoutToWrite, directory: resolved.directory)
            try writeNewFile(writeManifest, bytes: manifest.encoded(as: manifest.layout))
            printError(
                "binlogtool: wrote \(writeManifest): \(what), layout \(manifest.layout) "
                    + "(\(manifest.fileNumber):\(manifest.offset)\(manifest.logicID.map { " logic_id \($0)" } ?? "")"
                    + "\(manifest.term.map { " term \($0)" } ?? "")); the binlog directory is untouched: "
                    + "put it in place of \(resolved.directory.path.map { $0 + "/" } ?? "")manifest only while Pika is stopped")
        }
        if report.hasProblems { throw ExitCode(1) }
    }
}

extension Check {
    /// The manifest `--write-manifest` writes: the corrected producer status in the layout found
    /// (the found manifest's other fields kept, as Pika keeps them), or the found manifest when it
    /// agrees with the items.
    func manifestToWrite(_ summary: CheckSummary, layout: ManifestLayout, directory: BinlogDirectory) throws(ToolError)
        -> (Manifest, String)
    {
        let found = directory.manifest
        guard let corrected = summary.correctedManifest else {
            if let n = directory.findings.lazy.compactMap({ f -> FileNumber? in
                if case .manifestFileMissing(let n) = f { n } else { nil }
            }).first {
                throw ToolError(
                    .dataError,
                    "--write-manifest: the manifest names write2file\(n) as current and it is not here: check cannot "
                        + "tell which items it covers, so there is no corrected manifest to write; nothing written")
            }
            guard let m = found?.manifest else {
                throw ToolError(.dataError, "--write-manifest: no item to derive a manifest from")
            }
            var same = m
            same.layout = layout
            return (same, "the manifest found, which agrees with the items")
        }
        var m = found?.manifest ?? Manifest(layout: layout, fileNumber: 0, offset: 0)
        m.layout = layout
        m.fileNumber = corrected.fileNumber
        m.offset = corrected.offset
        if layout.family == .v3 { m.logicID = corrected.logicID }
        if layout == .v3_3 { m.term = corrected.term }
        return (m, "the corrected manifest")
    }

    /// The layout `--write-manifest` writes: `--manifest-layout`, else the found manifest's when
    /// its bytes decide it. A layout that stays a guess gets no correction (check builds nothing
    /// on a guess), so the operator names it (64), before any output.
    func manifestLayoutToWrite(_ directory: BinlogDirectory) throws(ToolError) -> ManifestLayout {
        if let manifestLayout { return manifestLayout }
        if let found = directory.manifest, found.detection.isConfident { return found.detection.layout }
        let why =
            directory.manifest.map { "its layout is a guess: \($0.detection.reason)" } ?? "no readable manifest to take it from"
        throw ToolError(
            .usage,
            "--write-manifest: name the layout with --manifest-layout (\(ManifestLayout.allCases.map(\.rawValue).joined(separator: ", "))); \(why)")
    }

    /// Writes `bytes` to `path`, which must not exist, through a staged file renamed into place.
    func writeNewFile(_ path: String, bytes: [UInt8]) throws(ToolError) {
        do throws(RewriteError) {
            let staged = try StagedOutput(target: path, kind: .file, replaceExisting: false)
            let fd = staged.releaseDescriptor()
            if let code = bytes.withUnsafeBytes({ writeFully($0, to: fd) }).errno {
                _ = close(fd)
                staged.abandon()
                throw RewriteError.output(path: path, reason: "write failed: \(String(cString: strerror(code)))")
            }
            let synced = fsync(fd) == 0
            let closed = close(fd) == 0
            guard synced && closed else {
                staged.abandon()
                throw RewriteError.output(path: path, reason: "fsync or close failed: \(String(cString: strerror(errno)))")
            }
            try staged.commit()
        } catch {
            throw ToolError(rewrite: error)
        }
    }
}
