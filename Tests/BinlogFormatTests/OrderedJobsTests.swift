import BinlogFormat
import Testing

/// `OrderedJobs`: jobs run on worker threads, their pieces and outcomes reach one consumer in job
/// order whatever the threads do; cancelled jobs deliver nothing more; stopping joins the workers.
@Suite struct OrderedJobsTests {
    /// Job i emits pieces (i, 0) … (i, i % 7) and returns i; what the consumer saw, in order.
    static func runAll(count: Int, jobs: Int, depth: Int) -> [String] {
        let run = OrderedJobs<[Int], Int>(count: count, jobs: jobs, depth: depth) { index, emit in
            for k in 0...(index % 7) where !emit([index, k]) { break }
            return index
        }
        var seen: [String] = []
        while true {
            switch run.next() {
            case .piece(let index, let piece): seen.append("\(index):\(piece[0]).\(piece[1])")
            case .outcome(let index, let outcome): seen.append("\(index)=\(outcome)")
            case .end: return seen
            }
        }
    }

    static func expected(count: Int) -> [String] {
        (0..<count).flatMap { i in (0...(i % 7)).map { "\(i):\(i).\($0)" } + ["\(i)=\(i)"] }
    }

    @Test(arguments: [1, 2, 4, 8])
    func piecesAndOutcomesInJobOrder(_ jobs: Int) {
        for depth in [1, 2, 4] {
            #expect(Self.runAll(count: 300, jobs: jobs, depth: depth) == Self.expected(count: 300), "jobs \(jobs) depth \(depth)")
        }
    }

    /// A hundred thousand jobs: the state kept per job in flight, not per job.
    @Test func manyJobs() {
        let seen = Self.runAll(count: 100_000, jobs: 3, depth: 2)
        #expect(seen.count == Self.expected(count: 100_000).count)
        #expect(seen == Self.expected(count: 100_000))
    }

    /// At job 9's outcome the consumer cancels jobs 10 ..< 30: none of their pieces arrives after
    /// that, their outcomes still come in turn, and every later job delivers all of its pieces.
    @Test(arguments: [2, 4, 8])
    func cancelledJobsDeliverNothingMore(_ jobs: Int) {
        let run = OrderedJobs<Int, Int>(count: 60, jobs: jobs, depth: 2) { index, emit in
            var sent = 0
            for k in 0..<20 {
                guard emit(k) else { break }
                sent += 1
            }
            return sent
        }
        var pieces = [Int: [Int]]()
        var outcomes: [Int] = []
        var cancelledAt: Int? = nil
        loop: while true {
            switch run.next() {
            case .piece(let index, let k):
                #expect(cancelledAt == nil || !(10..<30).contains(index), "piece of cancelled job \(index)")
                pieces[index, default: []].append(k)
            case .outcome(let index, let sent):
                outcomes.append(index)
                if index == 9 {
                    run.cancel(10..<30)
                    cancelledAt = index
                }
                if index < 10 || index >= 30 { #expect(sent == 20, "job \(index) emitted everything") }
            case .end:
                break loop
            }
        }
        #expect(outcomes == Array(0..<60))
        for i in Array(0..<10) + Array(30..<60) { #expect(pieces[i] == Array(0..<20), "job \(i)") }
        #expect((10..<30).allSatisfy { pieces[$0] == nil })
    }

    /// The consumer stops after a few pieces: the workers' emits return false and stop() joins them.
    @Test func stoppingEarlyJoinsTheWorkers() {
        for _ in 0..<20 {
            let run = OrderedJobs<Int, Int>(count: 50, jobs: 4, depth: 1) { index, emit in
                var k = 0
                while emit(k) { k += 1 }
                return k
            }
            if case .piece(let index, let k) = run.next() {
                #expect(index == 0 && k == 0)
            } else {
                Issue.record("the first thing is job 0's first piece")
            }
            run.stop()
        }
    }
}
