import Foundation
import PikaTestSupport
import Testing

/// The spawner the real-server suites start Pika, redis-server and binlogtool with.
@Suite struct ChildProcessTests {
    /// A child holds only its standard streams: nothing else this process has open, here a pipe
    /// opened without close-on-exec (a Pika that kept the write end of another test's pipe made
    /// that test's reader wait for ever).
    @Test func aChildInheritsOnlyItsStandardStreams() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer {
            close(ends[0])
            close(ends[1])
        }
        #expect(fcntl(ends[1], F_GETFD) & FD_CLOEXEC == 0, "the pipe would be inherited by a plain spawn")
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("fds").path
        // `ls` lists its own descriptors: the three streams and the one it reads the listing with.
        let child = try ChildProcess("/bin/ls", ["-1", "/proc/self/fd"], output: out, errorOutput: dir.appendingPathComponent("err").path)
        #expect(try child.waitOrKill(seconds: 30) == .exited(0))
        let listed = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").compactMap { Int32($0) }
        #expect(listed.sorted() == [0, 1, 2, 3], "descriptors of the child: \(listed)")
    }
}
