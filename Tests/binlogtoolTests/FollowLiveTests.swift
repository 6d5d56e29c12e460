import Foundation
import PikaTestSupport
import RedisTestSupport
import Testing

/// `dump --follow` against a real Pika 3.5.0 master under a write load (issue 14, point 3): every
/// item the master logs is printed once, in order, across file rolls, the live file's zero-filled
/// tail is never damage, SIGINT ends it with the summary, and what it printed equals a `dump` of
/// the same files once the server has stopped.
@Suite(.serialized) struct FollowLiveTests {
    @Test func followPrintsEveryItemOnceInOrderAndAgreesWithADumpAfterTheServerStops() async throws {
        let dir = try CLI.temporaryDirectory()
        // 32 KiB binlog files: the load below rolls the binlog several times.
        let server = try await PikaServer(
            name: "master", root: dir.appendingPathComponent("pika"), configuration: .init(binlogFileSize: 32768))
        defer { server.stop() }
        let log = server.binlogDirectory.path

        let out = dir.appendingPathComponent("follow.out")
        let follow = try ChildProcess(
            CLI.executable.path, ["dump", log, "--follow"], output: out.path,
            errorOutput: dir.appendingPathComponent("follow.err").path, environment: ProcessInfo.processInfo.environment)
        defer { follow.kill() }

        // The load: strings (some of 40 000 bytes, over a block and over the 32 KiB files, so the
        // binlog rolls), counters, lists, hashes; each command logs one item.
        var commands: [String] = []
        for i in 0..<1200 {
            let size = i % 97 == 0 ? 40_000 : 20 + i % 300
            commands.append("SET key:\(i) \(String(repeating: Character(UnicodeScalar(UInt8(97 + i % 26))), count: size))")
            if i % 5 == 0 { commands.append("INCR counter:\(i % 7)") }
            if i % 11 == 0 { commands.append("RPUSH list:\(i % 3) e\(i)") }
            if i % 13 == 0 { commands.append("HSET hash:\(i % 4) f\(i) v\(i)") }
        }
        // In three batches while the follower runs.
        let third = commands.count / 3
        for batch in [commands[..<third], commands[third..<(2 * third)], commands[(2 * third)...]] {
            let connection = try server.connect()
            for command in batch {
                let reply = try connection.call(command.split(separator: " ").map { Array($0.utf8) })
                if case .error(let e) = reply { Issue.record("\(command.prefix(40)): \(e)") }
            }
        }
        let n = commands.count

        // Bounded wait until the follower printed every item, then SIGINT.
        var lines: [Substring] = []
        var deadline = Deadline(seconds: 60, interval: 0.1)
        while deadline.more() {
            lines = try String(contentsOf: out, encoding: .utf8).split(separator: "\n")
            if lines.count >= n { break }
            await deadline.sleep()
        }
        #expect(lines.count == n, "the follower printed \(lines.count) of \(n) items")
        #expect(try follow.interrupt(seconds: 30) == .exited(0))
        let err = try String(contentsOf: dir.appendingPathComponent("follow.err"), encoding: .utf8)
        #expect(err.contains("until SIGINT: \(n) items, logic ids 1..\(n), 0:0.."), "\(err)")

        let followed = try String(contentsOf: out, encoding: .utf8).split(separator: "\n")
        // Once each, in order: logic ids 1…n, no damage, no padding (the live tail is not written yet).
        #expect(followed.count == n)
        #expect(followed.map { String($0.split(separator: " ")[1]) } == (1...n).map { "id=\($0)" })
        #expect(!followed.contains { $0.contains(" DAMAGE ") || $0.contains(" padding ") })

        await server.shutDown()
        let files = try FileManager.default.contentsOfDirectory(atPath: log).filter { $0.hasPrefix("write2file") }
        #expect(files.count >= 8, "the binlog rolled: \(files.sorted())")
        let dump = try CLI.run(["dump", log])
        #expect(dump.status == 0)
        #expect(dump.lines.filter { !$0.contains(" padding ") } == followed)
    }
}
