import BinlogFormat

/// One binlog item by position, without its content.
public struct ItemReference: Hashable, Sendable, CustomStringConvertible {
    public var logicID: UInt64
    /// Where its first record header is.
    public var start: PhysicalPosition
    /// The byte after its last fragment (its end as a resume point: ``endResumePoint``).
    public var end: PhysicalPosition
    /// The `(filenum, offset)` stored in its header: the resume point before it (Docs/Format.md §B8).
    public var stored: ResumePoint

    public init(logicID: UInt64, start: PhysicalPosition, end: PhysicalPosition, stored: ResumePoint) {
        self.logicID = logicID
        self.start = start
        self.end = end
        self.stored = stored
    }

    public var endResumePoint: ResumePoint { ResumePoint(after: end) }

    public var description: String { "logic id \(logicID) at \(start)" }
}

/// Where a recorded resume point (a bgsave `info` offset) falls in a binlog (Docs/Format.md
/// §R4, §B8, §S3).
public struct OffsetLocation: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// The end of an item: the next item stores this position.
        case itemEnd = "item-end"
        /// `0:0` before the first item of a fresh binlog.
        case binlogStart = "binlog-start"
        /// `(N+1):0`, the same point as `N:<size of N>` (pitfall 19).
        case nextFileStart = "next-file-start"
        /// A block start right after a block trailer: Pika's `Seek` accepts it (any multiple of
        /// 65536), the next item stores the trailer's start.
        case blockStartAfterTrailer = "block-start-after-trailer"
        /// The end of a padding region (a slave's `kBadRecord` run, v3.3.2+ accepts it).
        case paddingEnd = "padding-end"
        /// Inside an item: not a resume point. v3.1+ refuses it (TrySync `kError`); v2's `trim`
        /// silently skips to the next item, losing this one.
        case midItem = "mid-item"
        /// A multiple of 65536 inside a multi-block item: `Seek` accepts it, the reader then
        /// starts on a Middle/Last fragment (pitfall 16).
        case blockAlignedInsideItem = "block-aligned-inside-item"
        /// Inside a block trailer (the zero bytes after an item), not at its start.
        case insideTrailer = "inside-trailer"
        /// Inside a padding region.
        case insidePadding = "inside-padding"
        /// Inside (or at the end of) damaged bytes.
        case insideDamage = "inside-damage"
        /// Past the last record of its file or of the binlog.
        case pastEnd = "past-end"
        /// The file was purged: it is below the first file present.
        case purged
        /// The file is missing from the middle of the sequence.
        case fileMissing = "file-missing"
    }

    /// The position as recorded.
    public var recorded: ResumePoint
    public var kind: Kind
    /// The last item that ends at or before the point.
    public var previousItem: ItemReference?
    /// The first item after the point: the one a replica would receive next.
    public var nextItem: ItemReference?
    /// The item the point falls inside (`midItem`, `blockAlignedInsideItem`).
    public var containingItem: ItemReference?
    /// The usual spelling of the same point (for `nextFileStart`: `N:<size>`; for
    /// `blockStartAfterTrailer`: the trailer start).
    public var equivalent: ResumePoint?
    /// More about where the point is (file ends, first file present).
    public var detail: String?

    public init(recorded: ResumePoint, kind: Kind) {
        self.recorded = recorded
        self.kind = kind
    }

    /// Whether a replica could resume here without losing or corrupting an item.
    public var isResumePoint: Bool {
        switch kind {
        case .itemEnd, .binlogStart, .nextFileStart, .blockStartAfterTrailer, .paddingEnd: return true
        default: return false
        }
    }

    public var description: String {
        var text: String
        switch kind {
        case .itemEnd:
            text = previousItem.map { "the end of logic id \($0.logicID)" } ?? "an item end"
        case .binlogStart:
            text = "the start of the binlog"
        case .nextFileStart:
            text = "the start of write2file\(recorded.fileNumber), the same point as "
                + (equivalent.map { "\($0)" } ?? "the end of write2file\(recorded.fileNumber &- 1)") + " (Pika rolls to the next file before it writes there, so both name one point)"
                + (previousItem.map { ", the end of logic id \($0.logicID)" } ?? "")
        case .blockStartAfterTrailer:
            text = "a block start after the trailer that follows logic id \(previousItem?.logicID ?? 0)"
                + (equivalent.map { "; the item there stores \($0)" } ?? "")
        case .paddingEnd:
            text = "the end of a padding region"
        case .midItem:
            text = "inside logic id \(containingItem?.logicID ?? 0)"
                + (containingItem.map { " (\($0.start)–\($0.end.offset))" } ?? "")
                + ": not an item boundary; Pika v3.1+ refuses it, v2 would skip to the next item and lose this one"
        case .blockAlignedInsideItem:
            text = "a block boundary inside logic id \(containingItem?.logicID ?? 0)"
                + (containingItem.map { " (\($0.start)–\($0.end.offset))" } ?? "")
                + ": Pika's Seek accepts it, but a replica would start on a fragment in the middle of an item"
        case .insideTrailer:
            text = "inside the block trailer after logic id \(previousItem?.logicID ?? 0)"
        case .insidePadding:
            text = "inside a padding region"
        case .insideDamage:
            text = "inside damaged bytes"
        case .pastEnd:
            text = "past the end"
        case .purged:
            text = "in write2file\(recorded.fileNumber), which was purged"
        case .fileMissing:
            text = "in write2file\(recorded.fileNumber), which is missing"
        }
        if let detail { text += " (\(detail))" }
        if isResumePoint {
            text += nextItem.map { "; next item: logic id \($0.logicID) at \($0.start)" } ?? "; no item follows (end of the binlog)"
        }
        return text
    }
}

/// Decides an ``OffsetLocation`` from the records of a binlog, streamed in order from a file at
/// or before the recorded one.
struct OffsetLocator {
    enum RecordKind { case item, padding, damage }
    private struct Seen {
        var kind: RecordKind
        var start: PhysicalPosition
        var end: PhysicalPosition
        var item: ItemReference?
    }

    let recorded: ResumePoint
    private let point: PhysicalPosition
    private(set) var location: OffsetLocation?
    private var awaitingNextItem = false
    private var previous: Seen?
    private var previousItem: ItemReference?
    /// Set before streaming when the file layout alone decides the kind.
    private let preset: OffsetLocation.Kind?
    private let firstFile: FileNumber

    /// - Parameters:
    ///   - recorded: the point to locate.
    ///   - fileNumbers: the binlog files present, sorted.
    init(recorded: ResumePoint, fileNumbers: [FileNumber]) {
        self.recorded = recorded
        self.point = PhysicalPosition(fileNumber: recorded.fileNumber, offset: recorded.offset)
        self.firstFile = fileNumbers.first ?? 0
        if let first = fileNumbers.first, recorded.fileNumber < first {
            preset = .purged
        } else if let last = fileNumbers.last, recorded.fileNumber > last {
            preset = recorded.fileNumber == last + 1 && recorded.offset == 0 ? nil : .pastEnd
        } else if !fileNumbers.contains(recorded.fileNumber) {
            preset = .fileMissing
        } else {
            preset = nil
        }
    }

    /// Feeds the next record of the stream.
    mutating func observe(_ kind: RecordKind, start: PhysicalPosition, end: PhysicalPosition, item: ItemReference?) {
        defer {
            previous = Seen(kind: kind, start: start, end: end, item: item)
            if let item { previousItem = item }
        }
        if location != nil {
            if awaitingNextItem, let item {
                location!.nextItem = item
                awaitingNextItem = false
            }
            return
        }
        if let preset {
            if let item, start >= point || preset == .purged {
                var result = OffsetLocation(recorded: recorded, kind: preset)
                result.previousItem = previousItem
                result.nextItem = item
                if preset == .purged { result.detail = "the binlog starts at write2file\(firstFile)" }
                location = result
            }
            return
        }
        guard start >= point else { return }
        location = decide(next: Seen(kind: kind, start: start, end: end, item: item))
    }

    /// The location once the stream has ended.
    mutating func finish() -> OffsetLocation {
        if let location {
            return location
        }
        if let preset {
            var result = OffsetLocation(recorded: recorded, kind: preset)
            result.previousItem = previousItem
            if preset == .pastEnd, let previous {
                result.detail = "the binlog ends at \(previous.end)"
            }
            location = result
            return result
        }
        let result = decide(next: nil)
        location = result
        return result
    }

    private mutating func decide(next: Seen?) -> OffsetLocation {
        var result = OffsetLocation(recorded: recorded, kind: .pastEnd)
        result.previousItem = previousItem
        result.nextItem = next?.item
        awaitingNextItem = next?.item == nil

        if let p = previous, p.start.fileNumber == point.fileNumber {
            if p.end.offset > point.offset {
                // The point is inside p (p starts before it, ends after it).
                switch p.kind {
                case .item:
                    result.kind = point.offset % UInt64(BinlogConstants.blockSize) == 0 ? .blockAlignedInsideItem : .midItem
                    result.containingItem = p.item
                    if result.previousItem == p.item { result.previousItem = nil }
                case .padding: result.kind = .insidePadding
                case .damage: result.kind = .insideDamage
                }
                return result
            }
            if p.end.offset == point.offset {
                switch p.kind {
                case .item: result.kind = .itemEnd
                case .padding: result.kind = .paddingEnd
                case .damage:
                    result.kind = .insideDamage
                    result.detail = "at the end of damaged bytes"
                }
                return result
            }
            // The point is after p's end.
            if let next, next.start.fileNumber == point.fileNumber {
                if next.start.offset == point.offset && p.kind == .item
                    && point.offset % UInt64(BinlogConstants.blockSize) == 0
                {
                    result.kind = .blockStartAfterTrailer
                    result.equivalent = ResumePoint(after: p.end)
                } else {
                    result.kind = .insideTrailer
                }
                return result
            }
            result.kind = .pastEnd
            result.detail = "write2file\(point.fileNumber) ends at \(p.end.offset)"
            return result
        }
        // Nothing of the recorded file seen before the point.
        if point.offset == 0 {
            if let p = previous {
                result.kind = .nextFileStart
                result.equivalent = ResumePoint(after: p.end)
                if p.kind == .damage { result.kind = .insideDamage }
            } else if point.fileNumber == 0 || next?.item?.stored == recorded {
                result.kind = .binlogStart
            } else {
                result.kind = .nextFileStart
                result.equivalent = next?.item?.stored
            }
            return result
        }
        if let next, next.start.fileNumber == point.fileNumber {
            result.kind = .insideDamage
            result.detail = "before the first record of write2file\(point.fileNumber)"
            return result
        }
        result.kind = .pastEnd
        result.detail = "write2file\(point.fileNumber) holds no record"
        return result
    }
}
