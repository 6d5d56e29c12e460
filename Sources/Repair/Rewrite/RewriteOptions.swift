import BinlogFormat

/// What ``BinlogRewriter`` is asked to do.
public struct RewriteOptions {
    /// Where the rewritten binlog starts.
    public enum Start {
        /// At the first record of the binlog. A binlog that starts at the beginning of history
        /// (`write2file0`, logic id 1 at `0:0`, no padding) starts from an empty dataset, so every
        /// key's state is known; any other binlog starts with every key unknown.
        case automatic
        /// At a resume point (`--from`): the first item written is the next item a replica at
        /// that point would receive. Must be a resume point (an item end, `0:0`, `(N+1):0`, a
        /// block start after a trailer, a padding end). On a binlog that starts at the beginning
        /// of history, the items before it are replayed (not written) to know the keys' states.
        case resumePoint(ResumePoint)
        /// At the corrected resume point of a bgsave snapshot's verification; the items it proved
        /// already applied (after that point, and between the `info` offset and it) are dropped,
        /// and keys are seeded from the snapshot.
        case snapshot(SnapshotSeed)
    }

    public var start: Start = .automatic
    /// Where the rewrite ends: records that start at or after this resume point are not read
    /// (`prepare-replica`'s catch-up: the items before the point a replica resumes at). `nil`:
    /// the end of the binlog.
    public var stop: ResumePoint? = nil

    /// Where the output is cut (`--to-logic-id`, `--stop-time`; redis-check-aof's
    /// `--truncate-to-timestamp`): before the first item, in log order, past the point. The cut
    /// is at an item boundary, and nothing after it is written.
    public enum Cut: Sendable, Equatable {
        /// Keep items up to and including this logic id.
        case afterLogicID(UInt64)
        /// Keep items executed before this time (unix seconds).
        case beforeExecTime(UInt32)
    }

    public var cut: Cut? = nil
    /// Files decoded at once on worker threads by each read pass (`BinlogStream(files:start:jobs:)`);
    /// 1: decoded on the pass's own thread.
    public var jobs = 1
    /// Threads decoding ahead of pass 2 (the rewrite proper; `BinlogStream(files:start:decodeWorkers:)`),
    /// 0: decoded on the pass' own thread; nil: as ``jobs`` says. A RESP output writes on the
    /// rewriting thread, so on 2 cores pass 2 leaves one free for a decoder.
    public var rewriteDecodeWorkers: Int? = nil
    /// The form of replacement commands: `.pika` for a binlog, `.redis` for a RESP stream to
    /// replay into Redis.
    public var dialect: RewriteDialect = .pika
    /// The analysis' tolerances (the `check` settings).
    public var check = CheckConfiguration()
    /// Write list pushes whose key sees only pushes on the same side until the end of the log as
    /// `push` + `ltrim` to the resulting length (exact and replay-safe, O(1) per push) instead of
    /// the whole list (O(length) per push). See Docs/Rewrite.md.
    public var listAppendForms = true
    /// Keys only ever written by absolute commands skip the state model (memory is then bounded
    /// by the keys that need state). Turning it off gives the same output, slower.
    public var skipStatelessKeys = true

    public init() {}
}

/// The snapshot a rewrite starts from: its verification (corrected resume point, items already
/// applied) and the source of key states before the first item written.
public struct SnapshotSeed {
    public var verification: SnapshotVerification
    public var source: any KeyStateSource

    public init(verification: SnapshotVerification, source: any KeyStateSource) {
        self.verification = verification
        self.source = source
    }
}

/// Why a rewrite could not run. Findings about the input are not errors: they are changes in the
/// report.
public enum RewriteError: Error, CustomStringConvertible {
    /// Reading the binlog failed.
    case read(BinlogIOError)
    /// Writing the output failed.
    case write(BinlogWriteError)
    /// Writing the RESP stream (or the staging area) failed: path and errno text.
    case output(path: String, reason: String)
    /// The output path cannot be used as it is (the command line has to change): path and why.
    case outputRefused(path: String, OutputRefusal)
    /// `--from` is not a resume point.
    case notAResumePoint(OffsetLocation)
    /// The binlog holds no item.
    case emptyBinlog(String)
    /// The snapshot could not be read while seeding a key.
    case snapshot(String)

    public var description: String {
        switch self {
        case .read(let e): e.description
        case .write(let e): e.description
        case .output(let path, let reason): "\(path): \(reason)"
        case .outputRefused(let path, let why): "\(path): \(why)"
        case .notAResumePoint(let location):
            "\(location.recorded) is not a resume point: it is \(location); give an item end (the next item's stored FILENUM:OFFSET)"
        case .emptyBinlog(let path): "\(path): the binlog holds no item to rewrite"
        case .snapshot(let why): "reading the snapshot failed: \(why)"
        }
    }
}

/// Why an output path is refused before anything is written.
public enum OutputRefusal: Sendable, Equatable, CustomStringConvertible {
    /// It exists and replacing was not asked for.
    case exists
    /// It exists and is not an earlier output of this tool (a file where a directory goes, a
    /// directory holding other files).
    case notAnEarlierOutput(String)
    /// Its parent directory does not exist.
    case noParent(String)
    /// `.`, `..` or empty.
    case unusableName
    /// It appeared while the output was being written (another process): nothing replaced.
    case appeared

    public var description: String {
        switch self {
        case .exists: "already exists"
        case .notAnEarlierOutput(let what): "\(what); not replaced"
        case .noParent(let parent): "the directory \(parent) does not exist"
        case .unusableName: "not a usable output name"
        case .appeared: "appeared while the output was being written; nothing replaced"
        }
    }
}
