import ArgumentParser

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--jobs N`: how many threads decode a binlog (`dump`: segments of its files; `check`, `diff`,
/// `rewrite`: its files). Shared by every verb that reads a binlog; the output never depends on it.
struct JobsOption: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Decode on this many threads at once (default: the number of cores): dump cuts each file into segments of about 2 MiB, the other verbs take a file per thread; 1 decodes everything in order on one thread. The output is the same either way.",
        valueName: "n"))
    var jobs: Int?

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
    }

    /// The number of threads to use: `--jobs`, else the cores online.
    var count: Int { jobs ?? max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}
