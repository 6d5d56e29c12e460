@testable import BinlogFormat
import Testing

/// `BinlogDirectory` on a binlog a server is writing: the listing and the manifest are read at
/// different moments, and the server may roll to new files in between. What it does, step by step,
/// with the server's rolls scripted: listings are file numbers, a manifest is the number it names.
@Suite struct LiveListingTests {
    /// Scripted reads: each relist and reread takes the next answer (nil: unreadable).
    final class Server {
        var listings: [[UInt32]?]
        var manifests: [UInt32?]
        var relists = 0
        var rereads: [UInt32] = []
        init(listings: [[UInt32]?], manifests: [UInt32?]) {
            self.listings = listings
            self.manifests = manifests
        }

        func catchUp(from listing: [UInt32], manifest: UInt32?) -> ([UInt32], UInt32?) {
            BinlogDirectory.catchUp(
                listing: listing, manifest: manifest, newest: { $0.last }, named: { $0 },
                relist: {
                    self.relists += 1
                    return self.listings.isEmpty ? nil : self.listings.removeFirst()
                },
                reread: { newest in
                    self.rereads.append(newest)
                    return self.manifests.isEmpty ? nil : self.manifests.removeFirst()
                })
        }
    }

    @Test func aManifestThatIsNotAheadIsTakenAsItIs() {
        let server = Server(listings: [[0, 1, 2, 3]], manifests: [3])
        let (listing, manifest) = server.catchUp(from: [0, 1, 2], manifest: 2)
        #expect(listing == [0, 1, 2])
        #expect(manifest == 2)
        #expect(server.relists == 0)
    }

    /// Listed 0–2, then the server rolls to 3 and writes the manifest; listed again (0–3), the
    /// server has rolled once more and the manifest read again names 4; the third look agrees.
    @Test func twoRollsBetweenTheReadsAreCaughtUp() {
        let server = Server(listings: [[0, 1, 2, 3], [0, 1, 2, 3, 4]], manifests: [4, 4])
        let (listing, manifest) = server.catchUp(from: [0, 1, 2], manifest: 3)
        #expect(listing == [0, 1, 2, 3, 4])
        #expect(manifest == 4)
        #expect(server.relists == 2)
        #expect(server.rereads == [3, 4], "the manifest is read again for the newest file listed")
    }

    /// The manifest names a file that is not there and the listing does not grow: it stays ahead,
    /// for the caller to report.
    @Test func aManifestThatStaysAheadIsKept() {
        let server = Server(listings: [[0, 1, 2], [0, 1, 2]], manifests: [])
        let (listing, manifest) = server.catchUp(from: [0, 1, 2], manifest: 5)
        #expect(listing == [0, 1, 2])
        #expect(manifest == 5)
        #expect(server.relists == 1)
        #expect(server.rereads.isEmpty)
    }

    /// A server rolling faster than the reads: eight looks at most, then the last of each.
    @Test func atMostEightLooks() {
        let listings: [[UInt32]?] = (3..<20).map { Array(0...UInt32($0)) }
        let manifests: [UInt32?] = (4..<21).map { UInt32($0) }
        let server = Server(listings: listings, manifests: manifests)
        let (listing, manifest) = server.catchUp(from: [0, 1, 2], manifest: 3)
        #expect(server.relists == 8)
        #expect(listing.last == 10)
        #expect(manifest == 11)
    }

    /// The listing cannot be read again, or the manifest cannot: what was read last is used.
    @Test func unreadableSecondLooks() {
        let noListing = Server(listings: [nil], manifests: [])
        let first = noListing.catchUp(from: [0, 1, 2], manifest: 3)
        #expect(first.0 == [0, 1, 2])
        #expect(first.1 == 3)

        let noManifest = Server(listings: [[0, 1, 2, 3]], manifests: [nil])
        let second = noManifest.catchUp(from: [0, 1, 2], manifest: 4)
        #expect(second.0 == [0, 1, 2, 3], "the newer listing is kept")
        #expect(second.1 == 4)
        #expect(noManifest.rereads == [3])
    }
}
