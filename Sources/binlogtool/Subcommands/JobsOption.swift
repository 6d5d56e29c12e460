import ArgumentParser

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--jobs N`: how many binlog files are decoded at once. Shared by every verb that reads a
/// binlog; the output never depends on it.
struct JobsOption: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Decode up to this many binlog files at once, one per thread (default: the number of cores); 1 decodes them one after the other on one thread. The output is the same either way.",
        valueName: "n"))
    var jobs: Int?

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
    }

    /// The number of threads to use: `--jobs`, else the cores online.
    var count: Int { jobs ?? max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}
