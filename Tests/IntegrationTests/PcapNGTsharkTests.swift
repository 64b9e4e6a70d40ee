import DropledgerCore
import Foundation
import Testing

/// The pcap-ng files `PcapNGWriter` makes, read by the real tshark (Debian's, from
/// deps/debian-packages.txt): every packet where it was put, with its interface, comment,
/// lengths and timestamp, and the headers tshark decodes agreeing with PacketHeaders.
@Suite struct PcapNGTsharkTests {
    struct Sample {
        let packet: PcapNGPacket
        /// tshark's fields for it, in `fields` order; "" where a field is absent.
        let expected: [String]
    }

    static let fields = ["frame.interface_name", "frame.comment", "frame.len", "frame.cap_len", "frame.time_epoch", "vlan.id",
                         "ip.src", "ipv6.src", "udp.dstport", "tcp.flags.syn", "icmp.type", "icmpv6.type"]

    static let second: UInt64 = 1_700_000_000_000_000_000

    static let samples: [Sample] = [
        // Ethernet, IPv4 UDP 40000 > 9: a 1500-byte packet of which 46 bytes were kept.
        Sample(packet: PcapNGPacket(interface: "eth0", link: .ethernet, timestampNanoseconds: second + 123_456_789, originalLength: 1500,
                                    bytes: TaggerFrames.ipv4(source: [10, 0, 0, 1], destination: [10, 0, 0, 2]),
                                    comment: "NO_SOCKET udp"),
               expected: ["eth0", "NO_SOCKET udp", "1500", "46", "1700000000.123456789", "", "10.0.0.1", "", "9", "", "", ""]),
        // 802.1Q VLAN 100, IPv4 TCP SYN 50000 > 80.
        Sample(packet: PcapNGPacket(interface: "eth0", link: .ethernet, timestampNanoseconds: second + 1, originalLength: 58,
                                    bytes: TaggerFrames.ethernet(type: 0x0800, tags: [0x8100])
                                        + TaggerFrames.bytes("4500002800010000400600000a0000030a000004")
                                        + TaggerFrames.bytes("c350005000000001000000005002faf000000000"),
                                    comment: "TCP_INVALID_SEQUENCE syn"),
               expected: ["eth0", "TCP_INVALID_SEQUENCE syn", "58", "58", "1700000000.000000001", "100", "10.0.0.3", "", "", "1", "", ""]),
        // Raw IP (a tunnel): IPv6 UDP 40000 > 9, on an interface of its own.
        Sample(packet: PcapNGPacket(interface: "tun0", link: .rawIP, timestampNanoseconds: second + 2_000_000_000, originalLength: 0,
                                    bytes: Array(TaggerFrames.ipv6(source: ipv6(1), destination: ipv6(2)).dropFirst(14)),
                                    comment: "raw ipv6"),
               expected: ["tun0", "raw ipv6", "52", "52", "1700000002.000000000", "", "", "2001:db8::1", "9", "", "", ""]),
        // Ethernet on another interface, IPv4 ICMP echo request; a comment in UTF-8.
        Sample(packet: PcapNGPacket(interface: "eth1", link: .ethernet, timestampNanoseconds: second, originalLength: 98,
                                    bytes: TaggerFrames.ethernet(type: 0x0800, tags: [])
                                        + TaggerFrames.bytes("4500005400010000400100000a0000050a000006")
                                        + TaggerFrames.bytes("0800f7ff0001000161626364"),
                                    comment: "ping → dropped ü"),
               expected: ["eth1", "ping → dropped ü", "98", "46", "1700000000.000000000", "", "10.0.0.5", "", "", "", "8", ""]),
        // Raw IP ICMPv6 echo request, no comment.
        Sample(packet: PcapNGPacket(interface: "tun0", link: .rawIP, timestampNanoseconds: second + 3, originalLength: 48,
                                    bytes: TaggerFrames.bytes("6000000000083a40") + ipv6(7) + ipv6(8) + TaggerFrames.bytes("8000000000070001")),
               expected: ["tun0", "", "48", "48", "1700000000.000000003", "", "", "2001:db8::7", "", "", "", "128"]),
    ]

    /// 2001:db8::`last`.
    static func ipv6(_ last: UInt8) -> [UInt8] { [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [last] }

    @Test func tsharkReadsEveryPacketAsWritten() throws {
        let found = try Command.capture(["sh", "-c", "command -v tshark"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(!found.isEmpty, "tshark is not installed: `make deps` installs it (deps/debian-packages.txt)")

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dropledger-pcapng-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("samples.pcapng").path
        // Written a packet at a time, as a stream would be.
        var writer = PcapNGWriter()
        let bytes = Self.samples.flatMap { writer.append($0.packet) }
        #expect(FileManager.default.createFile(atPath: file, contents: Data(bytes)))

        let result = try Command.capture(["tshark", "-r", file, "-T", "fields", "-E", "separator=|", "-E", "occurrence=f"]
                                         + Self.fields.flatMap { ["-e", $0] })
        let warnings = result.stderr.split(separator: "\n").filter { !$0.hasPrefix("Running as user") }
        #expect(result.status == 0 && warnings.isEmpty, "tshark exited \(result.status): \(result.stderr)")
        let rows = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            .map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        try #require(rows.count == Self.samples.count, "tshark read \(rows.count) packets: \(result.stdout)")
        for (index, (row, sample)) in zip(rows, Self.samples).enumerated() {
            #expect(row == sample.expected, "packet \(index + 1): \(zip(Self.fields, row).map { "\($0)=\($1)" })")
            // The decoder sees what tshark sees.
            let decoded = PacketHeaders.decode(sample.packet.bytes, link: sample.packet.link)
            #expect(decoded.ip?.source == [row[6], row[7]].first { !$0.isEmpty }, "packet \(index + 1): \(decoded.summary)")
            #expect(decoded.vlans.first.map { String($0.id) } ?? "" == row[5])
            #expect(decoded.udp.map { String($0.destinationPort) } ?? "" == row[8])
            #expect(decoded.icmp.map { String($0.type) } ?? "" == [row[10], row[11]].joined())
        }
    }
}
