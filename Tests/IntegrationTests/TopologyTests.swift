import ChildProcesses
import Foundation
import Testing

/// Attribution across the kernel's paths (issue 15): tagged traffic that reaches its
/// drop through a tunnel the host decapsulates is still counted for the customer its
/// outer packet was tagged for, exactly, and never for another.
///
/// Each test builds two namespaces: a sender VTEP and a receiver VTEP joined by a veth
/// underlay. dropledger's tagger runs on the receiver's underlay (XDP, before the
/// tunnel), tagging by the outer destination address; the inner packets go to a
/// closed UDP port and are dropped as NO_SOCKET after decapsulation.
@Suite(.serialized, .needsTagger, .enabled(if: Privilege.kernelTestsEnabled, "needs root (set DROPLEDGER_SKIP_ROOT_TESTS=1 to skip)"))
struct TopologyTests {
    /// Sender `s`, receiver `r`, underlay `u0` (receiver) / `u1` (sender) with IPv4
    /// 10.215.0.1/.2 and IPv6 fd00:215::1/::2, a tunnel device on each side.
    final class TunnelNetwork {
        let receiver: String
        let sender: String
        var netnsPath: String { "/run/netns/\(receiver)" }

        init(tag: String) throws {
            let id = "\(getpid() % 100000)-\(tag)"
            receiver = "dlu-\(id)-r"
            sender = "dlu-\(id)-s"
            do {
                try setUp()
            } catch {
                tearDown()
                throw error
            }
        }

        deinit { tearDown() }

        private func setUp() throws {
            for ns in [receiver, sender] { try TestNetwork.addQuietNamespace(ns) }
            try Command.run(["ip", "link", "add", "u0", "netns", receiver, "type", "veth", "peer", "name", "u1", "netns", sender])
            for (ns, dev, v4, v6) in [(receiver, "u0", "10.215.0.1", "fd00:215::1"), (sender, "u1", "10.215.0.2", "fd00:215::2")] {
                try TestNetwork.script(ns, """
                    sysctl -qw net.ipv6.conf.\(dev).disable_ipv6=0
                    ip addr add \(v4)/24 dev \(dev)
                    ip addr add \(v6)/64 dev \(dev) nodad
                    ip link set \(dev) up
                    """)
            }
            let receiverMAC = try TestNetwork.mac(receiver, "u0"), senderMAC = try TestNetwork.mac(sender, "u1")
            try TestNetwork.script(receiver, """
                ip neigh replace 10.215.0.2 lladdr \(senderMAC) dev u0 nud permanent
                ip neigh replace fd00:215::2 lladdr \(senderMAC) dev u0 nud permanent
                """)
            try TestNetwork.script(sender, """
                ip neigh replace 10.215.0.1 lladdr \(receiverMAC) dev u1 nud permanent
                ip neigh replace fd00:215::1 lladdr \(receiverMAC) dev u1 nud permanent
                """)
        }

        /// An Ethernet tunnel (`ip link add NAME type ...` arguments per side, e.g. VXLAN)
        /// carrying `inner`.1 (receiver) and `inner`.2 (sender), with static neighbours.
        func addEthernetTunnel(name: String, receiverArgs: [String], senderArgs: [String], inner: String) throws {
            try exec(receiver, ["ip", "link", "add", name] + receiverArgs)
            try exec(sender, ["ip", "link", "add", name] + senderArgs)
            for (ns, host) in [(receiver, 1), (sender, 2)] {
                try TestNetwork.script(ns, "ip addr add \(inner).\(host)/24 dev \(name)\nip link set \(name) up")
            }
            let receiverMAC = try TestNetwork.mac(receiver, name)
            try exec(sender, ["ip", "neigh", "replace", "\(inner).1", "lladdr", receiverMAC, "dev", name, "nud", "permanent"])
        }

        /// VXLAN over the IPv4 underlay (`vx4`, inner 10.216.0.0/24) and the IPv6 one
        /// (`vx6`, inner 10.217.0.0/24) with these VNIs; an exporter counting the
        /// receiver's drops, and the tagger tagging the receiver's underlay addresses
        /// for these customers.
        func vxlanOverBothUnderlays(vni: (v4: Int, v6: Int), customers: (v4: UInt64, v6: UInt64)) throws -> ExporterProcess {
            try addEthernetTunnel(
                name: "vx4", receiverArgs: ["type", "vxlan", "id", "\(vni.v4)", "local", "10.215.0.1", "remote", "10.215.0.2", "dstport", "4789", "dev", "u0"],
                senderArgs: ["type", "vxlan", "id", "\(vni.v4)", "local", "10.215.0.2", "remote", "10.215.0.1", "dstport", "4789", "dev", "u1"],
                inner: "10.216.0")
            try addEthernetTunnel(
                name: "vx6", receiverArgs: ["type", "vxlan", "id", "\(vni.v6)", "local", "fd00:215::1", "remote", "fd00:215::2", "dstport", "4790", "dev", "u0"],
                senderArgs: ["type", "vxlan", "id", "\(vni.v6)", "local", "fd00:215::2", "remote", "fd00:215::1", "dstport", "4790", "dev", "u1"],
                inner: "10.217.0")
            let exporter = try ExporterProcess(arguments: ["--filter.netns", netnsPath])
            try tag(["10.215.0.1/32=\(customers.v4)", "fd00:215::1/128=\(customers.v6)"])
            Thread.sleep(forTimeInterval: 0.5)
            return exporter
        }

        @discardableResult
        func exec(_ ns: String, _ arguments: [String]) throws -> String {
            try Command.run(["ip", "netns", "exec", ns] + arguments)
        }

        /// `dropledger tag` on the receiver's underlay (nsenter: the host's mount namespace).
        func tag(_ prefixes: [String]) throws {
            let result = try Command.capture(["nsenter", "--net=\(netnsPath)", Binaries.dropledger, "tag", "--interface", "u0"]
                                             + prefixes.flatMap { ["--prefix", $0] })
            guard result.status == 0 else { throw Command.Failure(command: ["dropledger", "tag"], status: result.status, output: result.stderr) }
        }

        /// `count` one-byte datagrams from the sender to `address:port`, each from a new socket.
        func sendUDP(to address: String, port: UInt16, count: Int) throws {
            try TestNetwork.script(sender, "for ((i = 0; i < \(count); i++)); do printf x >/dev/udp/\(address)/\(port); done")
        }

        func tearDown() {
            _ = try? Command.capture(["nsenter", "--net=\(netnsPath)", Binaries.dropledger, "untag", "--interface", "u0"])
            for ns in [receiver, sender] { _ = try? Command.capture(["ip", "netns", "del", ns]) }
            _ = try? Command.capture([Binaries.dropledger, "untag", "--interface", "u0"])
        }
    }

    static let closedPort: UInt16 = 9

    /// VXLAN over an IPv4 and an IPv6 underlay, decapsulated on the host: before the
    /// recovery every one of these drops was read as `invalid` (the VXLAN header sits
    /// where the area should be).
    @Test func vxlanDecapsulatedDropsAreAttributed() throws {
        let network = try TunnelNetwork(tag: "vx")
        let exporter = try network.vxlanOverBothUnderlays(vni: (42, 43), customers: (7001, 7002))
        let baseline = try exporter.series()

        try network.sendUDP(to: "10.216.0.1", port: Self.closedPort, count: 300)  // through VXLAN over IPv4
        try network.sendUDP(to: "10.217.0.1", port: Self.closedPort, count: 200)  // through VXLAN over IPv6
        try network.sendUDP(to: "10.215.0.1", port: Self.closedPort, count: 50)   // plain, on the underlay
        let expected = ["7001/NO_SOCKET": UInt64(300 + 50), "7002/NO_SOCKET": 200]
        let series = try exporter.settledSeries(expected: expected.merging(baseline, uniquingKeysWith: +),
                                                keep: { $0.hasSuffix("/NO_SOCKET") })
        #expect(series.filter { $0.key.hasPrefix("700") } == expected, "\(series)")
        // Nothing read as another customer, and nothing left as invalid.
        #expect(series.keys.allSatisfy { $0.hasPrefix("7001/") || $0.hasPrefix("7002/") || $0.hasPrefix("none/") },
                "\(series)")
    }

    /// The bytes before a decapsulated VXLAN frame are the outer UDP and VXLAN headers.
    /// With a one-byte customer (a 12-byte area), VNI 257 (`00 01 01`) and an outer UDP
    /// length from 1280 to 1535, they walk as a valid, unsealed area naming customer 0:
    /// `05 ll cc cc | 08 00 00 00 | 00 01 01 00` (TL 5, a flag of type 0, then type 1 with
    /// the value 00). The frame is in place as far as the MAC and network headers go, so
    /// only the tunnel walk can tell: the drops are the tagged customer's, never 0's.
    @Test func vxlanHeadersThatParseAreNotACustomer() throws {
        let network = try TunnelNetwork(tag: "vxp")
        let exporter = try network.vxlanOverBothUnderlays(vni: (257, 257), customers: (42, 43))
        let baseline = try exporter.series()

        // 1300-byte datagrams: outer UDP length 8 + 8 + 14 + 20 + 8 + 1300 = 1358 (05 4e).
        for address in ["10.216.0.1", "10.217.0.1"] {
            try TestNetwork.script(network.sender, "for ((i = 0; i < 100; i++)); do head -c 1300 /dev/zero >/dev/udp/\(address)/\(Self.closedPort); done")
        }
        let expected = ["42/NO_SOCKET": UInt64(100), "43/NO_SOCKET": 100]
        let series = try exporter.settledSeries(expected: expected.merging(baseline, uniquingKeysWith: +),
                                                keep: { $0.hasSuffix("/NO_SOCKET") })
        #expect(series.filter { $0.key.hasPrefix("4") } == expected, "\(series)")
        #expect(series.keys.allSatisfy { $0.hasPrefix("42/") || $0.hasPrefix("43/") || $0.hasPrefix("none/") },
                "never customer 0, nor invalid: \(series)")
    }

    /// A TSO burst dropped whole on output (in postrouting, where the skb has its device
    /// and is not yet cut into segments) counts as
    /// the packets it holds: exactly the data segments TCP sent (TcpOutSegs less the SYN
    /// and the handshake's ACK), though the drop rule saw fewer skbs.
    @Test func anAggregateCountsAsItsSegments() throws {
        let network = try TestNetwork(tag: "gso")
        try network.exec(network.receiver, ["nft", "-f", "-"], input: """
            table inet dlgso {
              chain postrouting {
                type filter hook postrouting priority 0; policy accept;
                tcp dport 5001 meta length > 100 counter drop
              }
            }
            """)
        let exporter = try ExporterProcess(arguments: ["--filter.netns", network.netnsPath])
        let baseline = try exporter.series()
        let listener = try ChildProcess(["ip", "netns", "exec", network.peer, "python3", "-c", """
            import socket, time
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("\(network.peerAddress)", 5001)); s.listen(1); c, _ = s.accept(); time.sleep(5)
            """])
        defer { listener.terminate(); _ = listener.waitUntilExit() }
        Thread.sleep(forTimeInterval: 0.5)
        // In the receiver: connect, write 64 KiB (the first flight goes out as TSO skbs,
        // dropped by the rule), count the segments TCP sent before its first retransmit,
        // then abort the connection so that it sends no more.
        let sent = try network.exec(network.receiver, ["python3", "-c", """
            import socket, struct, time
            def out_segs():
                lines = [l.split() for l in open("/proc/net/snmp") if l.startswith("Tcp:")]
                return int(lines[1][lines[0].index("OutSegs")])
            before = out_segs()
            s = socket.create_connection(("\(network.peerAddress)", 5001))
            s.sendall(b"x" * 65536)
            time.sleep(0.6)
            sent = out_segs() - before - 2
            # Abort (RST, a segment without data): no retransmission after the count.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
            print(sent)
            """]).trimmingCharacters(in: .whitespacesAndNewlines)
        let segments = try #require(UInt64(sent))
        #expect(segments >= 2, "TCP sent \(segments) data segments")
        let expected = ["none/NETFILTER_DROP": segments + (baseline["none/NETFILTER_DROP"] ?? 0)]
        let series = try exporter.settledSeries(expected: expected, keep: { $0 == "none/NETFILTER_DROP" })
        #expect(series == expected)
        // The rule dropped fewer skbs than that: aggregates did reach it.
        let ruleset = try network.exec(network.receiver, ["nft", "list", "table", "inet", "dlgso"])
        let skbs = try #require(ruleset.firstMatch(of: /counter packets (\d+)/).flatMap { UInt64($0.output.1) })
        #expect(skbs < segments, "the rule dropped \(skbs) skbs for \(segments) segments: no aggregate to count")
    }

    /// Forwarded into a tunnel: the router tags on ingress, routes into VXLAN, and the
    /// encapsulated packet is dropped on the underlay. The outer headers were pushed
    /// over the area, so the drop must not count for any customer: `invalid`, and
    /// counted in dropledger_overwritten_areas_total.
    @Test func forwardedIntoATunnelIsNeverMisattributed() throws {
        let network = try RouterNetwork(tag: "fwt", farSubnet: "10.223.0")
        try TestNetwork.script(network.router, """
            ip link add vxf type vxlan id 50 local 10.223.0.1 remote 10.223.0.2 dstport 4789 dev r1
            ip addr add 10.224.0.1/24 dev vxf; ip link set vxf up
            ip neigh replace 10.224.0.2 lladdr 02:00:00:00:00:02 dev vxf nud permanent
            ip route add 10.222.0.0/24 via 10.224.0.2
            nft -f - <<'NFT'
            table inet dlfwt {
              chain postrouting {
                type filter hook postrouting priority 0; policy accept;
                oifname "r1" udp dport 4789 counter drop
              }
            }
            NFT
            """)
        let exporter = try ExporterProcess(arguments: ["--filter.netns", network.routerPath])
        try network.tag(["10.222.0.0/24=8001", "10.221.0.1/32=8002"])
        Thread.sleep(forTimeInterval: 0.5)
        let baseline = try exporter.series()

        try TestNetwork.script(network.client, "for ((i = 0; i < 150; i++)); do printf x >/dev/udp/10.222.0.9/9; done")  // into the tunnel
        try TestNetwork.script(network.client, "for ((i = 0; i < 100; i++)); do printf x >/dev/udp/10.221.0.1/9; done")  // to the router itself
        let expected = ["invalid/NETFILTER_DROP": UInt64(150), "8002/NO_SOCKET": 100]
            .merging(baseline.filter { !$0.key.hasPrefix("none/") }, uniquingKeysWith: +)
        let series = try exporter.settledSeries(expected: expected, keep: { !$0.hasPrefix("none/") })
        #expect(series == expected, "8001 must get nothing: \(series)")
        #expect(try exporter.metrics()["dropledger_overwritten_areas_total"] == 150)
    }
}
