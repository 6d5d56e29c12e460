import BinlogFormat
import Dispatch

/// A ``BinlogOutput`` that hands the writing to another thread: the bytes of each ``write(_:)``
/// are copied and written (and each finished file `fsync`ed) by a serial queue while the caller
/// goes on computing the next ones. On a 2-core machine the kernel's page-cache copy and the
/// `fsync`s overlap the rewrite instead of adding to it.
///
/// At most ``inFlight`` chunks wait at a time (memory stays flat). Calls reach the wrapped output
/// in the order they were made; the first error is kept and thrown by the next call (and by
/// ``commit(manifest:)``, which waits for everything before it).
public final class BackgroundBinlogOutput: BinlogOutput, @unchecked Sendable {
    /// Chunks queued but not yet written, at most.
    public static let inFlight = 8

    private let inner: any BinlogOutput
    private let queue = DispatchQueue(label: "binlogtool.rewrite.output")
    private let slots = DispatchSemaphore(value: BackgroundBinlogOutput.inFlight)
    private let lock = DispatchSemaphore(value: 1)
    private var failure: BinlogWriteError? = nil

    /// - Parameter inner: the output written to, only ever from the background queue.
    public init(_ inner: any BinlogOutput) {
        self.inner = inner
    }

    private var firstError: BinlogWriteError? {
        lock.wait()
        defer { lock.signal() }
        return failure
    }

    private func record(_ error: BinlogWriteError) {
        lock.wait()
        if failure == nil { failure = error }
        lock.signal()
    }

    /// Runs `body` on the queue unless an earlier call failed.
    private func enqueue(_ body: @escaping @Sendable (any BinlogOutput) throws(BinlogWriteError) -> Void) {
        queue.async { [self] in
            guard firstError == nil else { return }
            do throws(BinlogWriteError) { try body(self.inner) } catch { record(error) }
        }
    }

    private func rethrow() throws(BinlogWriteError) {
        if let e = firstError { throw e }
    }

    public func beginFile(_ fileNumber: FileNumber) throws(BinlogWriteError) {
        try rethrow()
        enqueue { (o) throws(BinlogWriteError) in try o.beginFile(fileNumber) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(BinlogWriteError) {
        try rethrow()
        let copy = [UInt8](bytes)
        slots.wait()
        queue.async { [self] in
            defer { slots.signal() }  // also for a chunk skipped after an error
            guard firstError == nil else { return }
            do throws(BinlogWriteError) {
                try copy.withUnsafeBytes { (b) throws(BinlogWriteError) in try self.inner.write(b) }
            } catch {
                record(error)
            }
        }
    }

    public func endFile() throws(BinlogWriteError) {
        try rethrow()
        enqueue { (o) throws(BinlogWriteError) in try o.endFile() }
    }

    public func commit(manifest: UnsafeRawBufferPointer) throws(BinlogWriteError) {
        let copy = [UInt8](manifest)
        enqueue { (o) throws(BinlogWriteError) in
            try copy.withUnsafeBytes { (b) throws(BinlogWriteError) in try o.commit(manifest: b) }
        }
        queue.sync {}
        try rethrow()
    }

    public func abandon() {
        queue.sync { self.inner.abandon() }
    }

    public func displayPath(of fileNumber: FileNumber) -> String { inner.displayPath(of: fileNumber) }
}

extension Array where Element == UInt8 {
    /// Calls `body` with the bytes, keeping typed throws.
    fileprivate func withUnsafeBytes(
        _ body: (UnsafeRawBufferPointer) throws(BinlogWriteError) -> Void
    ) throws(BinlogWriteError) {
        let result: Result<Void, BinlogWriteError> = self.withUnsafeBytes { (b: UnsafeRawBufferPointer) in
            do throws(BinlogWriteError) { try body(b); return .success(()) } catch { return .failure(error) }
        }
        try result.get()
    }
}
