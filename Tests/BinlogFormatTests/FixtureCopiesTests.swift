import Foundation
import TestSupport
import Testing

/// The fixture locator (``PikaFixtures``) takes the committed copy first: that is only sound while
/// every committed file is the same bytes as the shared copy of it.
@Suite struct FixtureCopiesTests {
    @Test func committedFixturesAreTheSharedBytes() throws {
        let committed = PikaFixtures.committed.path
        let shared = PikaFixtures.shared.path
        let walker = try #require(FileManager.default.enumerator(atPath: committed))
        var compared = 0
        while let relative = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let other = shared + "/" + relative
            guard FileManager.default.fileExists(atPath: other, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            #expect(FileManager.default.contentsEqual(atPath: committed + "/" + relative, andPath: other), "\(relative)")
            compared += 1
        }
        // Both copies hold the v3.5.0 and v4.0.1 binlogs, dumps and listings.
        #expect(compared > 100)
    }

    @Test func aDirectoryTheRepositoryHoldsOnlyInPartComesFromTheSharedCopy() {
        // The crash case's 4 MiB live file is left out of the repository.
        #expect(PikaFixtures.missingFromCommitted("crash/binlog/log_db0") == ["crash/binlog/log_db0/write2file1"])
        #expect(PikaFixtures.path("crash/binlog/log_db0") == PikaFixtures.shared.path + "/crash/binlog/log_db0")
        #expect(PikaFixtures.path("basic/binlog/log_db0") == PikaFixtures.committed.path + "/basic/binlog/log_db0")
    }
}
