/// A point in time as unix milliseconds (UTC). Used for reference times, expiries and
/// creation times; never read from the wall clock by this module.
public struct UnixTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var milliseconds: Int64

    /// - Parameter milliseconds: unix time in milliseconds.
    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    /// - Parameter seconds: unix time in whole seconds (saturates instead of overflowing).
    public init(seconds: Int64) {
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        self.milliseconds = overflow ? (seconds < 0 ? .min : .max) : product
    }

    /// Whole unix seconds, rounded toward negative infinity.
    public var seconds: Int64 {
        milliseconds >= 0 ? milliseconds / 1000 : -((-(milliseconds + 1)) / 1000) - 1
    }

    public static func < (lhs: UnixTime, rhs: UnixTime) -> Bool { lhs.milliseconds < rhs.milliseconds }

    public var description: String { "\(milliseconds) ms" }
}

/// The granularity at which a Pika release compares a stored time with its clock.
public enum TimeGranularity: Hashable, Sendable {
    /// Whole seconds (3.x, 3.5 and 4.0.0 compare `etime_s < now_s`).
    case seconds
    /// Milliseconds (4.0.1 compares `etime_ms < now_ms`, after converting second values).
    case milliseconds
}

/// An absolute expiry time as stored in a snapshot.
public struct Expiry: Hashable, Sendable, CustomStringConvertible {
    /// When the key expires.
    public var time: UnixTime
    /// How the writer's Pika release compares `time` with its clock.
    public var granularity: TimeGranularity

    public init(time: UnixTime, granularity: TimeGranularity) {
        self.time = time
        self.granularity = granularity
    }

    /// Pika's staleness test (`etime != 0 && etime < now`) evaluated at `reference`.
    /// - Parameter reference: the time to judge at (a binlog entry's or the snapshot's time).
    /// - Returns: `true` if a Pika reading at `reference` treats the key as expired.
    public func hasPassed(at reference: UnixTime) -> Bool {
        switch granularity {
        case .seconds: return time.seconds < reference.seconds
        case .milliseconds: return time.milliseconds < reference.milliseconds
        }
    }

    public var description: String {
        granularity == .seconds ? "\(time.seconds) s" : "\(time.milliseconds) ms"
    }
}

/// A key's time to live, like Redis' TTL: no key, no expiry, or an expiry.
public enum Expiration: Hashable, Sendable {
    /// The key does not exist (at the reference time).
    case noSuchKey
    /// The key exists and has no expiry.
    case persistent
    /// The key exists and expires at the given time.
    case expires(Expiry)
}
