import ChildProcesses
import Foundation
import Testing

/// Attribution along the host kernel's own paths (issue 15): VLAN tags in the frame,
/// macvlan, GRO, IPv4 fragments, forwarding (forward chain, TTL expiry, an egress
/// queue), and TC programs that move the packet's head. Each test tags real traffic
/// with dropledger's tagger, drops it at a known place, and asserts the exact count per
/// customer, `none` and `invalid`: never a drop for a customer it was not tagged for.
/// (Paths this host's kernel lacks modules for run in the kernel matrix's guests.)
@Suite(.serialized, .needsTagger, .needsFrameInjection, .enabled(if: Privilege.kernelTestsEnabled, "needs root (set DROPLEDGER_SKIP_ROOT_TESTS=1 to skip)"))
struct HostPathTests {
    /// A TestNetwork with the exporter watching the receiver and the tagger on its `dl0`.
    final class Lab {
        let network: TestNetwork
        let exporter: ExporterProcess
        var receiver: String { network.receiver }
        var peer: String { network.peer }

        init(tag: String, prefixes: [String]) throws {
            network = try TestNetwork(tag: tag)
            try network.exec(network.peer, ["ip", "neigh", "replace", network.receiverAddress, "lladdr", try TestNetwork.mac(network.receiver, "dl0"),
                                             "dev", "dl1", "nud", "permanent"])
            exporter = try ExporterProcess(arguments: ["--filter.netns", network.netnsPath])
            let tag = try Command.capture(["nsenter", "--net=\(network.netnsPath)", Binaries.dropledger, "tag", "--interface", "dl0"]
                                          + prefixes.flatMap { ["--prefix", $0] })
            guard tag.status == 0 else { throw Command.Failure(command: ["dropledger", "tag"], status: tag.status, output: tag.stderr) }
        }

        deinit {
            _ = try? Command.capture(["nsenter", "--net=\(network.netnsPath)", Binaries.dropledger, "untag", "--interface", "dl0"])
        }

        /// `count` one-byte datagrams from the peer to `address:port`.
        func sendUDP(to address: String, port: UInt16, count: Int) throws {
            try TestNetwork.script(peer, "for ((i = 0; i < \(count); i++)); do printf x >/dev/udp/\(address)/\(port); done")
        }

        /// `count` copies of an Ethernet frame written on the peer's `dl1` with a packet
        /// socket: IPv4/UDP from the peer to `address:port`, with the VLAN tags given
        /// (`TPID:VID`, outermost first) between the MAC addresses and the type.
        func sendFrames(destinationMAC: String, to address: String, port: UInt16, tags: [String] = [], count: Int) throws {
            try network.exec(peer, ["python3", "-c", Self.frameSender, destinationMAC, network.peerAddress, address, String(port),
                                    String(count), tags.joined(separator: ",")])
        }

        static let frameSender = """
            import socket, struct, sys
            dmac, src, dst, port, count, tags = sys.argv[1:7]
            payload = b"x"
            udp = struct.pack("!HHHH", 40000, int(port), 8 + len(payload), 0) + payload
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0x4000, 64, 17, 0, socket.inet_aton(src), socket.inet_aton(dst))
            s = sum(struct.unpack("!10H", ip)); s = (s & 0xffff) + (s >> 16); s = (s & 0xffff) + (s >> 16)
            ip = ip[:10] + struct.pack("!H", ~s & 0xffff) + ip[12:]
            eth = bytes.fromhex(dmac.replace(":", "")) + bytes.fromhex("020000000001")
            for tag in filter(None, tags.split(",")):
                tpid, vid = tag.split(":"); eth += struct.pack("!HH", int(tpid, 16), int(vid))
            frame = eth + struct.pack("!H", 0x0800) + ip + udp
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); sock.bind(("dl1", 0))
            for _ in range(int(count)): sock.send(frame)
            """

        /// The drop series that are not `none` (what the tests send is all tagged; the
        /// namespaces' own untagged noise is `none`), once they equal `expected`.
        func tagged(expected: [String: UInt64]) throws -> [String: UInt64] {
            try exporter.settledSeries(expected: expected, keep: { !$0.hasPrefix("none/") })
        }

        func nstat(_ name: String) throws -> UInt64 { try network.nstat()[name] ?? 0 }
    }

    /// In-band 802.1Q (VID 0, priority tagging) and QinQ frames: the core receive path
    /// strips the tags and moves the metadata area with the MAC header. A VID with no
    /// VLAN device is dropped as OTHERHOST, QinQ's inner tag as UNHANDLED_PROTO: all of
    /// it the tagged customer's.
    @Test func inBandVLANTagsKeepTheirCustomer() throws {
        let lab = try Lab(tag: "vlan", prefixes: ["10.213.0.1/32=5150"])
        let mac = try TestNetwork.mac(lab.receiver, "dl0")
        try lab.sendFrames(destinationMAC: mac, to: "10.213.0.1", port: 9, tags: ["8100:0"], count: 100)
        try lab.sendFrames(destinationMAC: mac, to: "10.213.0.1", port: 9, tags: ["88a8:5", "8100:0"], count: 70)
        try lab.sendFrames(destinationMAC: mac, to: "10.213.0.1", port: 9, tags: ["8100:7"], count: 30)
        let expected = ["5150/NO_SOCKET": UInt64(100), "5150/UNHANDLED_PROTO": 70, "5150/OTHERHOST": 30]
        #expect(try lab.tagged(expected: expected) == expected)
        #expect(try lab.nstat("UdpNoPorts") == 100)
    }

    /// macvlan devices on the tagged device, in bridge and private mode: the frame is
    /// handed to the macvlan device as it is, area included.
    @Test func macvlanKeepsTheCustomer() throws {
        let lab = try Lab(tag: "mvl", prefixes: ["10.213.0.5/32=5151", "10.213.0.6/32=5152"])
        try TestNetwork.script(lab.receiver, """
            ip link add mv0 link dl0 type macvlan mode bridge
            ip link add mv1 link dl0 type macvlan mode private
            ip addr add 10.213.0.5/32 dev mv0; ip addr add 10.213.0.6/32 dev mv1
            ip link set mv0 up; ip link set mv1 up
            """)
        for (dev, address) in [("mv0", "10.213.0.5"), ("mv1", "10.213.0.6")] {
            try lab.sendFrames(destinationMAC: try TestNetwork.mac(lab.receiver, dev), to: address, port: 9, count: 100)
        }
        let expected = ["5151/NO_SOCKET": UInt64(100), "5152/NO_SOCKET": 100]
        #expect(try lab.tagged(expected: expected) == expected)
    }

    /// A TCP stream coalesced by GRO on receive and dropped by an input rule: each
    /// aggregate counts as the segments it holds. The tagger saw every segment on the
    /// wire; those that reached TCP (the handshake, the reset) are TcpInSegs: the rest
    /// were dropped, and that is the count, though the rule saw fewer skbs.
    @Test func aGROAggregateCountsAsTheSegmentsOnTheWire() throws {
        let lab = try Lab(tag: "gro", prefixes: ["10.213.0.1/32=5150"])
        try TestNetwork.script(lab.receiver, """
            ethtool -K dl0 gro on
            nft -f - <<'NFT'
            table inet dlgro {
              chain input {
                type filter hook input priority 0; policy accept;
                tcp dport 5002 meta length > 100 counter drop
              }
            }
            NFT
            """)
        let listener = try ChildProcess(["ip", "netns", "exec", lab.receiver, "python3", "-c", """
            import socket, time
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("10.213.0.1", 5002)); s.listen(1); c, _ = s.accept(); time.sleep(4)
            """])
        defer { listener.terminate(); _ = listener.waitUntilExit() }
        Thread.sleep(forTimeInterval: 0.5)
        let inBefore = try lab.nstat("TcpInSegs")
        try lab.network.exec(lab.peer, ["python3", "-c", """
            import socket, struct, time
            s = socket.create_connection(("10.213.0.1", 5002))
            s.sendall(b"x" * 60000)
            time.sleep(0.6)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
            """])
        Thread.sleep(forTimeInterval: 0.3)
        let wire = try #require(try lab.exporter.metrics()[#"dropledger_tagger_packets_total{interface="dl0",result="tagged"}"#])
        let reachedTCP = try lab.nstat("TcpInSegs") - inBefore
        let dropped = UInt64(wire) - reachedTCP
        #expect(dropped >= 10, "the first flight alone is 10 segments")
        let expected = ["5150/NETFILTER_DROP": dropped]
        #expect(try lab.tagged(expected: expected) == expected)
        let ruleset = try lab.network.exec(lab.receiver, ["nft", "list", "table", "inet", "dlgro"])
        let skbs = try #require(ruleset.firstMatch(of: /counter packets (\d+)/).flatMap { UInt64($0.output.1) })
        #expect(skbs < dropped, "the rule dropped \(skbs) skbs for \(dropped) segments: GRO aggregated nothing")
    }

    /// IPv4 fragments. Reassembled and then dropped: one drop per datagram, its bytes the
    /// whole datagram's (as the kernel's UdpNoPorts counts it). Dropped one by one before
    /// reassembly (a prerouting rule, no conntrack): one drop per fragment. All of them
    /// counted for the customer, whose prefix every fragment matches.
    @Test func fragmentsKeepTheirCustomer() throws {
        let lab = try Lab(tag: "frag", prefixes: ["10.213.0.1/32=5150", "10.213.0.8/32=5153"])
        try TestNetwork.script(lab.receiver, """
            ip addr add 10.213.0.8/32 dev dl0
            nft -f - <<'NFT'
            table ip dlfrag {
              chain prerouting {
                type filter hook prerouting priority -300; policy accept;
                ip daddr 10.213.0.8 ip frag-off & 0x3fff != 0 counter drop
              }
            }
            NFT
            """)
        try TestNetwork.script(lab.peer, "ip neigh replace 10.213.0.8 lladdr \(try TestNetwork.mac(lab.receiver, "dl0")) dev dl1 nud permanent")
        // 3000 bytes of payload over a 1500-byte MTU: three fragments per datagram.
        try lab.network.exec(lab.peer, ["python3", "-c", """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            for _ in range(20): s.sendto(b"x" * 3000, ("10.213.0.1", 9))
            for _ in range(10): s.sendto(b"x" * 3000, ("10.213.0.8", 9))
            """])
        let expected = ["5150/NO_SOCKET": UInt64(20), "5153/NETFILTER_DROP": 30]
        #expect(try lab.tagged(expected: expected) == expected)
        let bytes = try lab.exporter.series("dropledger_dropped_bytes_total")["5150/NO_SOCKET"]
        #expect(bytes == 20 * (8 + 3000), "the datagram's bytes where it was dropped, its UDP header on: \(String(describing: bytes))")
        #expect(try lab.nstat("IpReasmOKs") == 20)
        #expect(try lab.nstat("UdpNoPorts") == 20)
    }

    /// TC ingress programs that move the head (bpf_skb_adjust_room, as encapsulating
    /// and decapsulating programs do) leave the area behind on kernels before 6.19, and
    /// old header bytes where it was read: for a short and the longest ID, no drop may
    /// count for a customer; each is `invalid` and in dropledger_overwritten_areas_total
    /// (or `none`, where only zeroed room is left). Moves of more bytes than the area
    /// holds but fewer than it and an Ethernet header are a known limit (README). A
    /// program that pushes and pops a VLAN tag through the skb's tag field moves nothing,
    /// and its drops stay attributed, though earlier packets left old headers in the buffers.
    @Test func aTCProgramThatMovedTheHeadNeverMisattributes() throws {
        let object = Binaries.packageRoot.appendingPathComponent(".build/bpf/move_head.bpf.o").path
        try #require(FileManager.default.fileExists(atPath: object), "make bpf builds \(object)")
        let lab = try Lab(tag: "tcm", prefixes: ["10.213.0.1/32=5150", "10.213.0.7/32=18446744073709551615"])
        try TestNetwork.script(lab.receiver, "ip addr add 10.213.0.7/32 dev dl0; tc qdisc add dev dl0 clsact")
        try TestNetwork.script(lab.peer, "ip neigh replace 10.213.0.7 lladdr \(try TestNetwork.mac(lab.receiver, "dl0")) dev dl1 nud permanent")
        var expected: [String: UInt64] = [:]
        for section in ["push_pop_70", "push_pop_4", "push_pop_8", "vlan_push_pop"] {
            try lab.network.exec(lab.receiver, ["tc", "filter", "replace", "dev", "dl0", "ingress", "pref", "1", "handle", "1",
                                                "bpf", "da", "obj", object, "sec", "tc/\(section)"])
            try lab.sendUDP(to: "10.213.0.1", port: 9, count: 50)
            try lab.sendUDP(to: "10.213.0.7", port: 9, count: 50)
            if section == "push_pop_70" {
                // Both areas now lie in the room the push zeroed: read as empty, `none`,
                // which no customer gets. (It also leaves old Ethernet headers in the
                // buffers' headroom for the next rounds.)
            } else if section == "vlan_push_pop" {
                expected["5150/NO_SOCKET", default: 0] += 50
                expected["18446744073709551615/NO_SOCKET", default: 0] += 50
            } else {
                expected["invalid/NO_SOCKET", default: 0] += 100
            }
            let got = try lab.tagged(expected: expected)
            #expect(got == expected, "after \(section): \(got)")
        }
        let overwritten = try lab.exporter.metrics()["dropledger_overwritten_areas_total"]
        #expect(overwritten == 200, "\(String(describing: overwritten))")
    }

    /// A TC ingress program that moves the head of packets the router then forwards. The
    /// kernel clears the TC ingress mark on transmit, and the new Ethernet header writes
    /// two zeros at the end of the moved bytes, which looked like the tagger's guard: the
    /// ID read could be another customer's. The seal's check refuses such bytes: every
    /// drop at the full egress queue is `invalid` (or `none`), none for a customer.
    @Test func aTCMoveBeforeForwardingNeverMisattributes() throws {
        let object = Binaries.packageRoot.appendingPathComponent(".build/bpf/move_head.bpf.o").path
        try #require(FileManager.default.fileExists(atPath: object), "make bpf builds \(object)")
        let network = try RouterNetwork(tag: "tcf", farSubnet: "10.222.0")
        let exporter = try ExporterProcess(arguments: ["--filter.netns", network.routerPath])
        try network.tag(["10.222.0.0/24=8001", "10.222.0.7/32=18446744073709551615"])
        try TestNetwork.script(network.router, "ip neigh replace 10.222.0.7 lladdr \(try TestNetwork.mac(network.far, "e1")) dev r1 nud permanent")
        // One datagram each through first (the far side drops them, outside the router's namespace)
        // so that the neighbour cache writes every later header; then every packet overflows.
        try TestNetwork.script(network.client, "printf x >/dev/udp/10.222.0.2/9; printf x >/dev/udp/10.222.0.7/9")
        try TestNetwork.script(network.router, "tc qdisc replace dev r1 root pfifo limit 0; tc qdisc add dev r0 clsact")
        for section in ["push_pop_4", "push_pop_8"] {
            try TestNetwork.script(network.router, "tc filter replace dev r0 ingress pref 1 handle 1 bpf da obj \(object) sec tc/\(section)")
            try TestNetwork.script(network.client, """
                for ((i = 0; i < 40; i++)); do printf x >/dev/udp/10.222.0.2/9; printf x >/dev/udp/10.222.0.7/9; done
                """)
        }
        let queueDrops: ([String: UInt64]) -> [String: UInt64] = { $0.filter { $0.key.hasSuffix("/QDISC_DROP") } }
        let deadline = Date.deadline(20)
        while Date() < deadline, try queueDrops(exporter.series()).values.reduce(0, +) < 160 { Thread.sleep(forTimeInterval: 0.1) }
        Thread.sleep(forTimeInterval: 1.5)
        let got = try queueDrops(exporter.series())
        #expect(got.values.reduce(0, +) == 160, "\(got)")
        #expect(got.keys.allSatisfy { $0 == "invalid/QDISC_DROP" || $0 == "none/QDISC_DROP" }, "for a customer: \(got)")
    }

    /// Forwarded through a router namespace, tagged on the router's ingress: dropped in
    /// the forward chain, for an expired TTL, and by a full egress queue (after the
    /// router wrote the packet's new Ethernet header over the end of the area). The
    /// tagger's seal keeps the egress drops attributed; an area without one (injected)
    /// whose last bytes were overwritten is `invalid`, never another ID.
    @Test func forwardedDropsKeepTheirCustomer() throws {
        let network = try RouterNetwork(tag: "fwd", farSubnet: "10.222.0")
        try TestNetwork.script(network.router, """
            nft -f - <<'NFT'
            table inet dlfwd {
              chain forward {
                type filter hook forward priority 0; policy accept;
                udp dport 7000 counter drop
              }
            }
            NFT
            """)
        let exporter = try ExporterProcess(arguments: ["--filter.netns", network.routerPath])
        try network.tag(["10.222.0.0/24=8001"])
        Thread.sleep(forTimeInterval: 0.5)
        let keep: (String) -> Bool = { !$0.hasPrefix("none/") }
        let baseline = try exporter.series().filter { keep($0.key) }
        var expected = baseline

        try TestNetwork.script(network.client, "for ((i = 0; i < 100; i++)); do printf x >/dev/udp/10.222.0.2/7000; done")  // forward chain
        try Command.run(["ip", "netns", "exec", network.client, "python3", "-c", """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 1)
            for _ in range(60): s.sendto(b"x", ("10.222.0.2", 9))
            """])  // TTL expires in the router
        // One datagram through first (the far side drops it, outside the router's
        // namespace) so that the neighbour cache writes every later header.
        try TestNetwork.script(network.client, "printf x >/dev/udp/10.222.0.2/9")
        try TestNetwork.script(network.router, "tc qdisc replace dev r1 root pfifo limit 0")  // every packet overflows the queue
        try TestNetwork.script(network.client, "for ((i = 0; i < 40; i++)); do printf x >/dev/udp/10.222.0.2/9; done")
        expected["8001/NETFILTER_DROP", default: 0] += 100
        expected["8001/IP_INHDR", default: 0] += 60
        expected["8001/QDISC_DROP", default: 0] += 40
        #expect(try exporter.settledSeries(expected: expected, keep: keep) == expected)

        // An area without the tagger's seal, ending in the ID (8002, 2 bytes: 01 02 1f 42)
        // the header overwrote.
        try Command.run(["ip", "netns", "exec", network.router, Binaries.inject, "--interface", "r0", "--dst", "10.222.0.2",
                         "--src", "10.221.0.2", "--meta", "0400000001021f42", "--count", "30"])
        expected["invalid/QDISC_DROP", default: 0] += 30
        #expect(try exporter.settledSeries(expected: expected, keep: keep) == expected, "8002 nor any other ID")
        #expect(try exporter.metrics()["dropledger_overwritten_areas_total"] == 30)
    }
}
