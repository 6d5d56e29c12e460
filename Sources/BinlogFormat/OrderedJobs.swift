#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs one job per index (one binlog file each) on worker threads and hands each job's pieces
/// (chunks of encoded output, batches of decoded records) to one consuming thread strictly in
/// index order: every piece of job 0, then job 0's outcome, then job 1's pieces, and so on. What
/// the consumer sees is what one thread doing the jobs one after the other would have produced.
///
/// Memory is bounded: a job waits while `depth` of its pieces are not yet taken, and a worker
/// starts job `i` only when `i <= taken + jobs` (at most `jobs + 1` jobs hold pieces). When the
/// consumer stops (``stop()``, or the value is released), the workers' next `emit` returns false,
/// no further job starts, and the workers are joined.
public final class OrderedJobs<Piece: Sendable, Outcome: Sendable>: @unchecked Sendable {
    /// What the consumer takes next.
    public enum Next {
        /// The next piece of job `index`.
        case piece(index: Int, Piece)
        /// Job `index` is over: every piece of it was taken.
        case outcome(index: Int, Outcome)
        /// Every job is over.
        case end
    }

    private let monitor = Monitor()
    // Per job in flight, in slot `index % window`: only jobs `current ..< current + window` are
    // ever started and not yet taken, so the state does not grow with the number of jobs.
    private var pending: [[Piece]]
    private var outcomes: [Outcome?]
    /// Jobs whose pieces nobody wants any more (``cancel(_:)``), as ranges not yet passed.
    private var cancelled: [Range<Int>] = []
    private var nextClaim = 0
    /// The job the consumer takes from.
    private var current = 0
    private var stopped = false
    /// Threads asleep in ``next()`` / ``put(_:_:)``: wake-ups are sent only when someone waits.
    private var consumerWaiting = false
    private var producersWaiting = 0
    private let count: Int
    private let window: Int
    private let depth: Int
    private var threads: [Thread] = []

    /// Starts the workers.
    /// - Parameters:
    ///   - count: the jobs, `0..<count`.
    ///   - jobs: worker threads (at least 1; no more than `count` are started).
    ///   - depth: pieces a job may have waiting before its `emit` blocks.
    ///   - work: runs job `index` on a worker; calls `emit` with each piece, in order, and stops
    ///     early when `emit` returns false; returns the job's outcome.
    public init(
        count: Int, jobs: Int, depth: Int,
        work: @escaping @Sendable (_ index: Int, _ emit: (consuming Piece) -> Bool) -> Outcome
    ) {
        self.count = count
        self.window = max(1, jobs) + 1
        self.depth = max(1, depth)
        pending = Array(repeating: [], count: window)
        outcomes = Array(repeating: nil, count: window)
        for _ in 0..<min(max(1, jobs), count) {
            threads.append(Thread { [self] in workLoop(work) })
        }
    }

    deinit {
        stop()
    }

    /// The next piece or outcome, in job order (waits for it). Only one thread may call this.
    public func next() -> Next {
        monitor.lock()
        defer { monitor.unlock() }
        guard current < count else { return .end }
        let index = current
        let slot = index % window
        while pending[slot].isEmpty && outcomes[slot] == nil {
            consumerWaiting = true
            monitor.wait()
            consumerWaiting = false
        }
        if !pending[slot].isEmpty {
            let piece = pending[slot].removeFirst()
            // A full job's worker sleeps until half its pieces are taken: fewer wake-ups.
            if producersWaiting > 0 && pending[slot].count <= depth / 2 { monitor.broadcast() }
            return .piece(index: index, piece)
        }
        let outcome = outcomes[slot].take()!
        current += 1
        cancelled.removeAll { $0.upperBound <= current }
        monitor.broadcast()
        return .outcome(index: index, outcome)
    }

    /// Drops the waiting pieces of `jobs` and makes their `emit` return false from now on; each
    /// still hands its outcome to ``next()`` in turn (the consumer discards what it cancelled).
    public func cancel(_ jobs: Range<Int>) {
        monitor.lock()
        let jobs = jobs.clamped(to: current..<count)
        if !jobs.isEmpty {
            cancelled.append(jobs)
            // Only jobs in flight have a slot; a later job's slot is still an earlier job's.
            for i in jobs.clamped(to: current..<(current + window)) { pending[i % window].removeAll() }
        }
        monitor.broadcast()
        monitor.unlock()
    }

    /// Stops the workers (their `emit` returns false, no job starts) and waits for them.
    public func stop() {
        monitor.lock()
        stopped = true
        for i in pending.indices { pending[i].removeAll() }
        monitor.broadcast()
        monitor.unlock()
        for t in threads { t.join() }
        threads.removeAll()
    }

    private func workLoop(_ work: (Int, (consuming Piece) -> Bool) -> Outcome) {
        while true {
            monitor.lock()
            while !stopped && nextClaim < count && nextClaim >= current + window { monitor.wait() }
            if stopped || nextClaim >= count {
                monitor.unlock()
                return
            }
            let index = nextClaim
            nextClaim += 1
            monitor.unlock()
            let outcome = work(index) { piece in put(index, piece) }
            monitor.lock()
            outcomes[index % window] = outcome
            monitor.broadcast()
            monitor.unlock()
        }
    }

    private func put(_ index: Int, _ piece: consuming Piece) -> Bool {
        monitor.lock()
        defer { monitor.unlock() }
        let slot = index % window
        if pending[slot].count >= depth {
            producersWaiting += 1
            while !stopped && !isCancelled(index) && pending[slot].count > depth / 2 { monitor.wait() }
            producersWaiting -= 1
        }
        if stopped || isCancelled(index) { return false }
        pending[slot].append(piece)
        if consumerWaiting { monitor.broadcast() }
        return true
    }
}

extension OrderedJobs {
    /// Whether job `index` was cancelled (the monitor held).
    private func isCancelled(_ index: Int) -> Bool {
        !cancelled.isEmpty && cancelled.contains { $0.contains(index) }
    }
}

/// A mutex with one condition variable (the jobs', the decode-ahead pools' and dump's chunk pool's).
public final class Monitor: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }
    public func wait() { pthread_cond_wait(condition, mutex) }
    public func broadcast() { pthread_cond_broadcast(condition) }
}

/// A joinable POSIX thread running a closure.
final class Thread {
    #if canImport(Darwin)
    private var handle: pthread_t? = nil
    #else
    private var handle = pthread_t()
    #endif
    private var joined = false

    private final class Body {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    init(_ body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        let status = pthread_create(&handle, nil, { context in
            Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().body()
            return nil
        }, context)
        precondition(status == 0, "pthread_create failed: \(status)")
    }

    func join() {
        guard !joined else { return }
        joined = true
        #if canImport(Darwin)
        pthread_join(handle!, nil)
        #else
        pthread_join(handle, nil)
        #endif
    }
}
