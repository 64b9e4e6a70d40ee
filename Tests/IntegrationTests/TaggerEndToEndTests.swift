import ChildProcesses
import DropledgerCore
import Foundation
import Testing

/// The tagger on a real veth with real sockets: packets to each customer's prefix
/// are tagged by XDP, dropped for two reasons, and counted under that customer in
/// /metrics; a live change of the prefixes re-attributes without a gap; untag
/// leaves nothing behind.
@Suite(.serialized, .needsTagger, .enabled(if: Privilege.kernelTestsEnabled, "needs root (set DROPLEDGER_SKIP_ROOT_TESTS=1 to skip)"))
struct TaggerEndToEndTests {
    static let closedPort: UInt16 = 9         // nothing listens: NO_SOCKET
    static let firewalledPort: UInt16 = 7777  // an nftables rule drops it: NETFILTER_DROP

    @Test(arguments: ["native", "generic"])
    func attributesRealTrafficAndFollowsLiveChanges(mode: String) throws {
        let network = try TaggerNetwork(tag: String(mode.prefix(3)))
        try network.dropUDP(port: Self.firewalledPort)
        let exporter = try ExporterProcess(arguments: ["--filter.netns", network.netnsPath])
        let taggerProgramsBefore = try KernelObjects.programs(named: "tag_customer")

        let first = try network.dropledger(["tag", "--interface", network.dev, "--xdp-mode", mode,
                                            "--prefix", "10.214.1.0/24=101", "--prefix", "10.214.2.0/24=202",
                                            "--prefix", "10.214.3.0/24=18446744073709551615"])
        #expect(first.status == 0, "tag: \(first.stderr)")
        #expect(first.stdout.contains("tagged \(network.dev) (\(mode) XDP) with 3 prefixes"))
        let attached = try network.xdpPrograms()
        #expect(attached.map(\.name) == ["tag_customer"])
        // Attaching native XDP to a veth can drop a stray packet of its own (seen: one NOT_SPECIFIED);
        // count from what is there once it has settled.
        Thread.sleep(forTimeInterval: 1)
        let baseline = try exporter.series()

        try network.sendUDP(to: "10.214.1.1", port: Self.closedPort, count: 130)
        try network.sendUDP(to: "10.214.2.1", port: Self.closedPort, count: 70)
        try network.sendUDP(to: "10.214.2.1", port: Self.firewalledPort, count: 40)
        try network.sendUDP(to: "10.214.3.1", port: Self.firewalledPort, count: 25)
        try network.sendUDP(to: network.receiverAddress, port: Self.closedPort, count: 30)  // no prefix: untagged
        var expected: [String: UInt64] = [
            "101/NO_SOCKET": 130, "202/NO_SOCKET": 70, "202/NETFILTER_DROP": 40,
            "18446744073709551615/NETFILTER_DROP": 25, "none/NO_SOCKET": 30,
        ].merging(baseline, uniquingKeysWith: +)
        let firstSeries = try exporter.settledSeries(expected: expected)
        #expect(firstSeries == expected)
        #expect(try network.taggerCounters() == [0: 265, 1: 30, 2: 0, 3: 0, 4: 0])
        // Tagged after the exporter started: every packet counts, per customer.
        let tagged: [String: UInt64] = ["101": 130, "202": 110, "18446744073709551615": 25]
        #expect(try exporter.taggedPackets() == tagged)

        // A different mapping, applied live: the same program keeps running meanwhile.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dl-prefixes-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try """
            # customer moves, nested prefix, one removed
            10.214.0.0/16   505   # everything else in the lab
            10.214.1.0/24   303
            """.write(to: file, atomically: true, encoding: .utf8)
        // Traffic to 10.214.1.1 during the change is attributed to the old or the new customer, never to none.
        let during = 400
        let background = try ChildProcess(["ip", "netns", "exec", network.sender, "bash", "-c",
                                           "for ((i = 0; i < \(during); i++)); do printf x >/dev/udp/10.214.1.1/\(Self.closedPort); done"])
        let second = try network.dropledger(["tag", "--interface", network.dev, "--xdp-mode", mode, "--prefixes", file.path])
        background.waitUntilExit()
        #expect(second.status == 0, "re-tag: \(second.stderr)")
        #expect(second.stdout.contains("2 prefixes added, 0 changed, 3 removed") || second.stdout.contains("1 prefixes added, 1 changed, 2 removed"),
                "\(second.stdout)")
        #expect(try network.xdpPrograms().count == 1, "still attached, never detached")

        // Wait for the background datagrams, then split them between old and new customer.
        let deadline = Date.deadline(15)
        var series = try exporter.series()
        func moved() -> UInt64 { (series["101/NO_SOCKET"] ?? 0) - 130 + (series["303/NO_SOCKET"] ?? 0) }
        while moved() < UInt64(during), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
            series = try exporter.series()
        }
        #expect(moved() == UInt64(during))
        #expect(series["none/NO_SOCKET"] == 30 + (baseline["none/NO_SOCKET"] ?? 0), "no packet went untagged during the change")
        expected["101/NO_SOCKET"] = series["101/NO_SOCKET"]
        expected["303/NO_SOCKET"] = series["303/NO_SOCKET"]

        try network.sendUDP(to: "10.214.1.1", port: Self.closedPort, count: 50)
        try network.sendUDP(to: "10.214.2.1", port: Self.firewalledPort, count: 60)
        try network.sendUDP(to: network.receiverAddress, port: Self.closedPort, count: 20)
        expected["303/NO_SOCKET", default: 0] += 50
        expected["505/NETFILTER_DROP", default: 0] += 60
        expected["505/NO_SOCKET", default: 0] += 20
        expected = expected.filter { $0.value > 0 }
        let finalSeries = try exporter.settledSeries(expected: expected)
        #expect(finalSeries == expected)
        // 202 lost its prefix but keeps its count; 101 and 303 split the traffic of the change as the drops did.
        var taggedAfter = tagged
        taggedAfter["101"] = expected["101/NO_SOCKET"]
        taggedAfter["303"] = expected["303/NO_SOCKET"]
        taggedAfter["505"] = 80
        #expect(try exporter.taggedPackets() == taggedAfter)

        // untag: no link, no program, no pin left.
        let untag = try network.dropledger(["untag", "--interface", network.dev])
        #expect(untag.status == 0, "untag: \(untag.stderr)")
        #expect(try network.xdpPrograms().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: network.pinDirectory))
        #expect(try KernelObjects.programs(named: "tag_customer", settlingTo: taggerProgramsBefore) == taggerProgramsBefore)
        let links = try Command.run(["bpftool", "-j", "link", "show"])
        #expect(!links.contains("\"prog_id\":\(attached.first?.id ?? -1),"), "links: \(links)")
    }

    @Test func attachmentOutlivesTheCommand() throws {
        let network = try TaggerNetwork(tag: "pin", customerNets: [1])
        let tag = try network.dropledger(["tag", "--interface", network.dev, "--prefix", "10.214.1.0/24=7"])
        #expect(tag.status == 0, "\(tag.stderr)")
        // The command has exited: the pinned link keeps the program attached and counting.
        try network.sendUDP(to: "10.214.1.1", port: Self.closedPort, count: 10)
        #expect(try network.xdpPrograms().map(\.name) == ["tag_customer"])
        #expect(try network.taggerCounters()[0] == 10)
        for name in ["link", "program", "prefixes_v4", "prefixes_v6", "counters", "customer_slots", "traffic", "attachment"] {
            #expect(FileManager.default.fileExists(atPath: "\(network.pinDirectory)/\(name)"), "\(name)")
        }
    }

    @Test func serveTagsWhileRunningAndUntagsOnExit() throws {
        let network = try TaggerNetwork(tag: "srv", customerNets: [1])
        try network.dropUDP(port: Self.firewalledPort)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dl-prefixes-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try "10.214.1.0/24 4711\n".write(to: file, atomically: true, encoding: .utf8)
        // serve runs in the receiver's namespace, where the interface is (nsenter keeps /sys/fs/bpf).
        let exporter = try ExporterProcess(
            arguments: ["--filter.netns", network.netnsPath, "--tag", network.dev, "--prefixes", file.path, "--xdp-mode", "generic"],
            launcher: ["nsenter", "--net=\(network.netnsPath)"])
        // serve attaches the tagger right after it starts counting: wait for it, or the
        // first datagrams would pass untagged.
        let deadline = Date.deadline(10)
        while !exporter.log().contains("tagging \(network.dev)") && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(try network.xdpPrograms().map(\.name) == ["tag_customer"])
        try network.sendUDP(to: "10.214.1.1", port: Self.closedPort, count: 90)
        try network.sendUDP(to: "10.214.1.1", port: Self.firewalledPort, count: 45)
        // The exporter shares the receiver's namespace, so the test's own scrapes over
        // loopback add drops there (none/NOT_SPECIFIED): compare the tagged customer's series.
        let expected: [String: UInt64] = ["4711/NO_SOCKET": 90, "4711/NETFILTER_DROP": 45]
        #expect(try exporter.settledSeries(expected: expected, keep: { $0.hasPrefix("4711/") }) == expected)
        let metrics = try exporter.metrics()
        #expect(metrics["dropledger_tagger_packets_total{interface=\"\(network.dev)\",result=\"tagged\"}"] == 135)
        // The tagger serve attached counted every datagram for its customer, all of them dropped.
        #expect(metrics["dropledger_tagged_packets_total{customer=\"4711\"}"] == 135)
        let detail = try JSONSerialization.jsonObject(with: Data(try exporter.get("/api/v1/customers/4711").body.utf8)) as? [String: Any]
        #expect(detail?["loss_ratio"] as? Double == 1.0, "\(String(describing: detail))")
        #expect(exporter.stop() == 0, "\(exporter.log())")
        #expect(try network.xdpPrograms().isEmpty, "serve untags on exit")
        #expect(!FileManager.default.fileExists(atPath: network.pinDirectory))
    }
}
