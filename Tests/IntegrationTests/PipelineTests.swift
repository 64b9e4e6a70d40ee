import DropledgerCore
import Foundation
import Testing

/// The whole pipeline on the real kernel: frames with metadata of every shape are
/// dropped for two reasons in a namespace of the test's own, and /metrics must show
/// exactly what was dropped, as the kernel's own counters confirm.
@Suite(.serialized, .needsFrameInjection, .enabled(if: Privilege.kernelTestsEnabled, "needs root (set DROPLEDGER_SKIP_ROOT_TESTS=1 to skip)"))
struct PipelineTests {
    static let closedPort: UInt16 = 9        // nothing listens: NO_SOCKET
    static let firewalledPort: UInt16 = 7777 // an nftables rule drops it: NETFILTER_DROP
    static let payload = 18                  // dropledger-inject's default UDP payload

    /// One metadata shape per row: the area's bytes and the customer label it must count under.
    static func shapes() throws -> [(name: String, area: [UInt8], label: String)] {
        func area(_ build: (inout MetadataAreaWriter) throws -> Void) throws -> [UInt8] {
            var writer = MetadataAreaWriter()
            try build(&writer)
            return writer.bytes
        }
        return [
            ("valid", try area { try $0.push(type: 1, value: [0x10, 0x92]) }, "4242"),
            ("repeated entries, newest wins", try area {
                try $0.push(type: 1, value: [0x04, 0x57])
                try $0.push(type: 1, value: [0x08, 0xae])
            }, "2222"),
            ("customer not newest", try area {
                try $0.push(type: 1, value: [0x0d, 0x05])
                try $0.push(type: 7, value: [1, 2, 3])
                try $0.push(type: 11)
            }, "3333"),
            ("8-byte ID", try area { try $0.push(type: 1, value: [UInt8](repeating: 0xff, count: 8)) }, "18446744073709551615"),
            ("no metadata", [], "none"),
            ("no customer entry", try area { try $0.push(type: 7, value: [42]) }, "none"),
            ("TL beyond the area", [0xff, 0, 0, 0], "invalid"),
            ("value overruns the area", [0x03, 0x01, 0x05, 0x2a], "invalid"),
            ("9-byte customer value", try area { try $0.push(type: 1, value: [UInt8](repeating: 1, count: 9)) }, "invalid"),
        ]
    }

    @Test func countsEveryDropExactlyPerCustomerAndReason() throws {
        let network = try TestNetwork(tag: "pipe")
        try network.dropUDP(port: Self.firewalledPort)
        let programsBefore = try KernelObjects.programs(named: "on_kfree_skb")
        let exporter = try ExporterProcess(arguments: ["--filter.netns", network.netnsPath])
        let udpBefore = try network.nstat()["UdpNoPorts"] ?? 0

        var expected: [String: UInt64] = [:]
        var expectedBytes: [String: UInt64] = [:]
        var closed: UInt64 = 0, firewalled: UInt64 = 0
        for (index, shape) in try Self.shapes().enumerated() {
            // Distinct counts per shape, so a mix-up between shapes cannot cancel out.
            let toClosed = 1000 + 37 * index, toFirewall = 100 + 11 * index
            try network.inject(metadata: shape.area, count: toClosed, port: Self.closedPort)
            try network.inject(metadata: shape.area, count: toFirewall, port: Self.firewalledPort)
            expected["\(shape.label)/NO_SOCKET", default: 0] += UInt64(toClosed)
            expected["\(shape.label)/NETFILTER_DROP", default: 0] += UInt64(toFirewall)
            // skb->len where each drops: UDP has pulled the IP header, the input hook has not.
            expectedBytes["\(shape.label)/NO_SOCKET", default: 0] += UInt64(toClosed * (8 + Self.payload))
            expectedBytes["\(shape.label)/NETFILTER_DROP", default: 0] += UInt64(toFirewall * (20 + 8 + Self.payload))
            closed += UInt64(toClosed)
            firewalled += UInt64(toFirewall)
        }

        #expect(try exporter.settledSeries(expected: expected) == expected)
        #expect(try exporter.series("dropledger_dropped_bytes_total") == expectedBytes)
        // The kernel's own counters agree.
        #expect((try network.nstat()["UdpNoPorts"] ?? 0) - udpBefore == closed)
        #expect(try network.nftDropped() == firewalled)
        let metrics = try exporter.metrics()
        #expect(metrics["dropledger_events_total"] == Double(closed + firewalled))
        #expect(metrics["dropledger_ring_overflow_total"] == 0)
        #expect(metrics["dropledger_unrecorded_drops_total"] == 0)

        // What Prometheus would scrape passes its own linter.
        let lint = try Command.capture(["promtool", "check", "metrics"], input: try exporter.metricsText())
        #expect(lint.status == 0, "promtool: \(lint.stdout)\(lint.stderr)")

        #expect(exporter.stop() == 0, "exporter log:\n\(exporter.log())")
        #expect(try KernelObjects.programs(named: "on_kfree_skb", settlingTo: programsBefore) == programsBefore)
        #expect(exporter.log().contains("nothing of dropledger is left in the kernel"))
    }

    @Test func honoursACustomCustomerType() throws {
        let network = try TestNetwork(tag: "type")
        let exporter = try ExporterProcess(arguments: ["--filter.netns", network.netnsPath, "--customer-tlv-type", "42"])
        var writer = MetadataAreaWriter()
        try writer.push(type: 42, value: [0x00, 0x00, 0x10, 0xe1])
        try writer.push(type: 1, value: [0x63])  // the default type: ignored here
        try network.inject(metadata: writer.bytes, count: 777, port: Self.closedPort)
        let expected: [String: UInt64] = ["4321/NO_SOCKET": 777]
        #expect(try exporter.settledSeries(expected: expected) == expected)
    }

    @Test func keepsCountsWhenRingsOverflow() throws {
        // The smallest ring holds 64 events: batches of 256 drops in a row overflow it, and
        // the in-kernel fallback map must still count every drop under its customer.
        let network = try TestNetwork(tag: "ovfl")
        let exporter = try ExporterProcess(arguments: ["--filter.netns", network.netnsPath, "--ring-size", "4KiB"])
        var writer = MetadataAreaWriter()
        try writer.push(type: 1, value: [0x01, 0x00])
        try network.inject(metadata: writer.bytes, count: 200_000, port: Self.closedPort, batchSize: 256)
        let expected: [String: UInt64] = ["256/NO_SOCKET": 200_000]
        #expect(try exporter.settledSeries(expected: expected) == expected)
        let metrics = try exporter.metrics()
        let events = metrics["dropledger_events_total"] ?? -1
        let overflow = metrics["dropledger_ring_overflow_total"] ?? -1
        // At most 64 of each batch of 256 fit: the ring's consumer cannot run within a batch.
        #expect(overflow >= Double(200_000 / 256 * 192), "a 64-event ring took more of each batch of 256 (overflow \(overflow))")
        #expect(events + overflow == 200_000)
    }
}

enum KernelObjects {
    /// The kernel frees a detached program asynchronously (after an RCU grace period):
    /// waits up to 30 s (an emulated guest is slow) for the list to become `expected`.
    static func programs(named name: String, settlingTo expected: [Int]) throws -> [Int] {
        let deadline = Date.deadline(30)
        var ids = try programs(named: name)
        while ids != expected && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
            ids = try programs(named: name)
        }
        return ids
    }

    /// IDs of loaded BPF programs with this name. The exporter's `on_kfree_skb` loads as
    /// `on_kfree_skb_copy` on kernels before 6.17, which the kernel keeps as its first 15
    /// characters (bpftool shows the whole name from BTF): all count.
    static func programs(named name: String) throws -> [Int] {
        let json = try Command.run(["bpftool", "-j", "prog", "show"])
        let list = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] ?? []
        let names = name == "on_kfree_skb" ? [name, "on_kfree_skb_co", "on_kfree_skb_copy"] : [name]
        return list.filter { names.contains($0["name"] as? String ?? "") }.compactMap { $0["id"] as? Int }.sorted()
    }
}
