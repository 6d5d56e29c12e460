import ArgumentParser
import BinlogFormat

/// Every failure the tool reports, with the exit code a script can act on (STYLE.md §4).
public struct ToolError: Error, CustomStringConvertible {
    public enum Code: Int32 {
        /// `EX_USAGE`: the command line is wrong.
        case usage = 64
        /// `EX_DATAERR`: the input is not a Pika binlog (or not the file it should be).
        case dataError = 65
        /// `EX_NOINPUT`: an input is missing or cannot be opened.
        case noInput = 66
        /// `EX_UNAVAILABLE`: a feature that was not built in.
        case unavailable = 69
        /// `EX_SOFTWARE`: a bug.
        case software = 70
        /// `EX_IOERR`: reading or writing failed.
        case ioError = 74
    }
    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public init(_ error: BinlogIOError) {
        switch error.kind {
        case .missing: self.init(.noInput, error.description)
        case .read: self.init(.ioError, error.description)
        case .corruptCompression: self.init(.dataError, error.description)
        }
    }

    public var description: String { message }
}

/// Exit codes, documented once for `--help` and the README.
public let exitCodeHelp = """
    Exit codes: 0 clean; 1 findings (damage, inconsistencies; output is still complete for \
    everything readable); 64 bad command line; 65 input is not a Pika binlog or is undecodable; \
    66 input missing or unreadable; 69 feature not built in (or a RocksDB format newer than this build reads); 70 internal error; 74 I/O error.
    """
