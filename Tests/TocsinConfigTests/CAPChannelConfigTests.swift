import Foundation
import Testing
import TocsinConfig
import TocsinCore

/// A `cap` channel's targets become its recipients, so each is its own delivery.
struct CAPChannelConfigTests {
    @Test(arguments: [
        ("    url: https://alertes.example.org/cap\n    feed_dir: feed\n", ["post", "feed"]),
        ("    url: https://alertes.example.org/cap\n", ["post"]),
        ("    feed_dir: feed\n", ["feed"]),
    ])
    func targetsBecomeRecipients(keys: String, recipients: [String]) throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let (configuration, diagnostics) = try folder.load(config: Samples.config(channels: "  cap:\n    type: cap\n" + keys))
        let cap = try #require(configuration?.channels["cap"], "\(diagnostics.listing)")
        #expect(cap.type.isPerRecipient)
        #expect(cap.recipients == recipients)
    }

    @Test func theFeedFolderResolvesAgainstTheConfigFolder() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let (configuration, diagnostics) = try folder.load(config: Samples.config(channels: "  cap:\n    type: cap\n    feed_dir: public/cap\n"))
        #expect(configuration?.channels["cap"]?.settings["feed_dir"] == folder.file("public/cap"), "\(diagnostics.listing)")
    }

    @Test func aCAPChannelNeedsATarget() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let (configuration, diagnostics) = try folder.load(config: Samples.config(channels: "  cap:\n    type: cap\n"))
        #expect(configuration == nil)
        #expect(diagnostics.errors.contains { $0.message.contains("needs 'url' or 'feed_dir'") }, "\(diagnostics.listing)")
    }
}
