import ChildProcesses
import DropledgerCore
import Foundation
import Testing

/// Samples of dropped packets (issue 17) on the real kernel: frames with known headers
/// are dropped in a namespace of the test's own, for five reasons, and the API's JSON,
/// its pcap-ng (read by the real tshark), `watch` and `capture` must show exactly those
/// headers. Untagged (`none`): the host may refuse XDP metadata; SampleAttributionTests
/// does the same with customers where the tagger runs.
@Suite(.serialized, .enabled(if: Privilege.kernelTestsEnabled, "needs root (set DROPLEDGER_SKIP_ROOT_TESTS=1 to skip)"))
struct SampleTests {
    @Test func decodesDroppedHeadersInJSONPcapngWatchAndCapture() throws {
        let lab = try SampleLab(tag: "smp")
        let exporter = try ExporterProcess(arguments: ["--filter.netns", lab.network.netnsPath, "--samples.rate", "1000"])
        defer { exporter.stop() }
        let url = "http://127.0.0.1:\(exporter.port)"
        let files = FileManager.default.temporaryDirectory.appendingPathComponent("dropledger-samples-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: files) }

        // `watch` follows from before the drops; it says so on stderr once it does.
        let watchOut = files.appendingPathComponent("watch.out"), watchErr = files.appendingPathComponent("watch.err")
        FileManager.default.createFile(atPath: watchOut.path, contents: nil)
        FileManager.default.createFile(atPath: watchErr.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: watchOut), errHandle = try FileHandle(forWritingTo: watchErr)
        let watch = try ChildProcess([Binaries.dropledger, "watch", "--url", url, "--customer", "none", "--interval", "0.2"],
                                     stdout: outHandle.fileDescriptor, stderr: errHandle.fileDescriptor)
        try outHandle.close()
        try errHandle.close()
        defer { watch.terminate(); _ = watch.waitUntilExit() }
        try waitFor("watch to start", seconds: 10) { (try? String(contentsOf: watchErr, encoding: .utf8))?.contains("watching") == true }

        let frames = lab.frames()
        try lab.send(frames)
        let samples = try lab.waitForSamples(exporter, count: frames.count)
        #expect(samples.count == frames.count, "\(samples)")

        // JSON: newest first, each exactly the frame sent (its headers; no payload kept).
        for (frame, sample) in zip(frames.reversed(), samples) {
            frame.check(sample, customer: "none")
        }

        // pcap-ng, as tshark reads it: oldest first, with the comment.
        let pcapng = files.appendingPathComponent("samples.pcapng").path
        try Command.run(["curl", "-sSf", "-o", pcapng, url + "/api/v1/customers/none/samples.pcapng"])
        try SampleLab.checkWithTshark(pcapng, frames: frames, customer: "none")

        // watch: one line each, as they came.
        try waitFor("watch to print \(frames.count) lines", seconds: 10) {
            (try? String(contentsOf: watchOut, encoding: .utf8))?.split(separator: "\n").count ?? 0 >= frames.count
        }
        let lines = try String(contentsOf: watchOut, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count == frames.count, "\(lines)")
        for (frame, line, sample) in zip3(frames, lines, samples.reversed()) {
            // The time first (varies), then the rest exactly.
            #expect(line.split(separator: " ", maxSplits: 1).last.map(String.init)
                    == frame.watchLine(customer: "none", function: sample["function"] as? String), "\(line)")
        }

        // capture: the kept samples, then stops at --count.
        let captured = files.appendingPathComponent("capture.pcapng").path
        let output = try Command.capture([Binaries.dropledger, "capture", "--customer", "none", "-w", captured,
                                          "--count", String(frames.count), "--url", url]).stderr
        #expect(output.contains("\(frames.count) packets written to \(captured)"), "\(output)")
        try SampleLab.checkWithTshark(captured, frames: frames, customer: "none")

        // Addresses never reach /metrics; the counters of samples do.
        let metrics = try exporter.metricsText()
        #expect(!metrics.contains("10.213.0.2") && !metrics.contains("fd00:213"))
        #expect(try exporter.metrics()["dropledger_samples_total"] == Double(frames.count))
        #expect(try exporter.metrics()["dropledger_samples_lost_total"] == 0)

        // The customer's detail says where its sampled drops came from.
        let detail = try SampleLab.json(exporter.get("/api/v1/customers/none").body)
        let sources = try #require(detail["top_sources"] as? [String: Any])
        #expect(sources["samples"] as? Int == frames.count)
        let prefixes = (sources["prefixes"] as? [[String: Any]] ?? []).map { "\($0["prefix"]!)=\($0["samples"]!)" }
        #expect(prefixes == ["10.213.0.0/24=4", "fd00:213::/48=1"], "\(sources)")
        let ports = (sources["destination_ports"] as? [[String: Any]] ?? []).map { "\($0["protocol"]!)/\($0["port"]!)=\($0["samples"]!)" }
        #expect(ports == ["udp/9999=3", "tcp/80=1"], "\(sources)")

        // Filters and bad requests.
        let byReason = try SampleLab.json(exporter.get("/api/v1/customers/none/samples?reason=NETFILTER_DROP").body)
        #expect((byReason["samples"] as? [[String: Any]])?.count == 1)
        let limited = try SampleLab.json(exporter.get("/api/v1/customers/none/samples?limit=2").body)
        #expect((limited["samples"] as? [[String: Any]])?.map { $0["reason"] as? String } == ["TC_INGRESS", "NO_SOCKET"])
        let unknown = try exporter.get("/api/v1/customers/none/samples?reason=NOT_A_REASON")
        #expect(unknown.status == 400 && unknown.body.contains("unknown reason 'NOT_A_REASON'"), "\(unknown.body)")
        let badAfter = try exporter.get("/api/v1/samples?after=-1")
        #expect(badAfter.status == 400 && badAfter.body.contains("after must be"), "\(badAfter.body)")
    }

    /// Two CPUs dropping as fast as they can, and a trickle of another reason: the
    /// samples stay within the per-CPU bound, the trickle still gets its share, and
    /// every drop is counted.
    @Test func aTwoCoreStormStaysWithinTheRateAndCountsStayExact() throws {
        let lab = try SampleLab(tag: "sst")
        let exporter = try ExporterProcess(arguments: ["--filter.netns", lab.network.netnsPath])  // the default rate, 20
        defer { exporter.stop() }
        let rate = 20.0, cpus = Double(ProcessInfo.processInfo.activeProcessorCount)
        let udpBefore = try lab.network.nstat()["UdpNoPorts"] ?? 0

        let seconds = 3.0
        let started = Date()
        // The storm: UDP to a closed port on the namespace's loopback from every CPU.
        let storm = try (0..<Int(cpus)).map { cpu in
            try ChildProcess(["ip", "netns", "exec", lab.network.receiver, "taskset", "-c", String(cpu), "python3", "-c", """
                import socket, time
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                end = time.monotonic() + \(seconds)
                while time.monotonic() < end:
                    for _ in range(1000): s.sendto(b'x', ('127.0.0.1', 9999))
                """])
        }
        // The trickle: ICMP echo requests the firewall drops, 20 a second.
        let echo = PacketBuilder.ethernet(destination: lab.receiverMAC, type: 0x0800, payload: PacketBuilder.ipv4(
            source: SampleLab.peer4, destination: SampleLab.receiver4, protocol: 1,
            payload: PacketBuilder.icmpEchoRequest(identifier: 7, sequence: 1)))
        let trickle = Int(seconds * 20)
        try lab.send(Array(repeating: SampleFrame(name: "echo", frame: echo, reason: "NETFILTER_DROP"), count: trickle), gap: 0.05)
        for process in storm { #expect(process.waitUntilExit().code == 0) }
        let elapsed = Date().timeIntervalSince(started)

        let stormDrops = (try lab.network.nstat()["UdpNoPorts"] ?? 0) - udpBefore
        try waitFor("the drops to be counted", seconds: 15) {
            try exporter.series()["none/NO_SOCKET"] == stormDrops && exporter.series()["none/NETFILTER_DROP"] == UInt64(trickle)
        }
        #expect(stormDrops > 10_000, "a storm of \(stormDrops) drops is too small to test the bound")
        Thread.sleep(forTimeInterval: 0.5)  // the last samples' poll

        let all = try SampleLab.json(exporter.get("/api/v1/samples?limit=100000").body)["samples"] as? [[String: Any]] ?? []
        let stormSamples = all.filter { $0["reason"] as? String == "NO_SOCKET" }.count
        let trickleSamples = all.filter { $0["reason"] as? String == "NETFILTER_DROP" }.count
        // Per CPU: a second's budget at the start, then `rate` a second; one reason at most a quarter.
        #expect(Double(all.count) <= cpus * rate * (elapsed + 1), "\(all.count) samples in \(elapsed) s")
        #expect(Double(stormSamples) <= cpus * (rate / 4 * elapsed + 1), "\(stormSamples) storm samples in \(elapsed) s")
        #expect(stormSamples >= 2, "the storm was sampled \(stormSamples) times")
        // The trickle (20/s on whichever CPU) is not hidden by the storm: it gets its own quarter.
        #expect(Double(trickleSamples) >= rate / 4 * seconds / 2, "the trickle got \(trickleSamples) samples")
        #expect(try exporter.metrics()["dropledger_samples_lost_total"] == 0)
        #expect(try exporter.metrics()["dropledger_samples_total"] == Double(all.count))
    }

    /// `--samples.payload`: the bytes after the headers are kept too.
    @Test func payloadIsKeptOnlyWhenAllowed() throws {
        let lab = try SampleLab(tag: "spl")
        let exporter = try ExporterProcess(arguments: ["--filter.netns", lab.network.netnsPath, "--samples.payload"])
        defer { exporter.stop() }
        let udp = lab.frames()[0]
        try lab.send([udp])
        let sample = try #require(try lab.waitForSamples(exporter, count: 1).first)
        #expect(sample["bytes"] as? String == PacketBuilder.hex(udp.frame))
        #expect((sample["headers"] as? [String: Any])?["undecoded"] as? String == PacketBuilder.hex(Array("abcd".utf8)))
    }

    /// `--samples.rate 0`: the API says sampling is off, and the loaded program has no
    /// sampling code left in it (the verifier removed it as dead), unlike the default.
    @Test func rateZeroSamplesNothingAndLeavesNoCodeInTheProgram() throws {
        let lab = try SampleLab(tag: "sz")
        for (rate, sampling) in [("0", false), ("20", true)] {
            let before = Set(try KernelObjects.programs(named: "on_kfree_skb"))
            let exporter = try ExporterProcess(arguments: ["--filter.netns", lab.network.netnsPath, "--samples.rate", rate])
            defer { exporter.stop() }
            let program = try #require(Set(try KernelObjects.programs(named: "on_kfree_skb")).subtracting(before).first)
            let code = try Command.run(["bpftool", "prog", "dump", "xlated", "id", String(program)])
            #expect(code.contains("bpf_ringbuf_reserve") == sampling, "rate \(rate)")

            try lab.send([lab.frames()[0]])
            try waitFor("the drop to be counted", seconds: 10) { try exporter.series()["none/NO_SOCKET"] == 1 }
            let answer = try exporter.get("/api/v1/samples")
            if sampling {
                try waitFor("the sample", seconds: 5) {
                    (try SampleLab.json(exporter.get("/api/v1/samples").body)["samples"] as? [Any])?.count == 1
                }
            } else {
                #expect(answer.status == 404 && answer.body.contains("sampling is off (--samples.rate 0)"), "\(answer.body)")
                #expect(try exporter.get("/api/v1/customers/none/samples.pcapng").status == 404)
                #expect(try exporter.metrics()["dropledger_samples_total"] == nil)
            }
        }
    }
}

/// A frame the tests drop, and what its sample must say.
struct SampleFrame {
    let name: String
    let frame: [UInt8]
    let reason: String
    var function: String? = nil
    /// The decoded headers' one-line summary and TCP flags.
    var summary = ""
    var tcpFlags: String? = nil
    /// Bytes through the end of the transport header: what a sample keeps.
    var headerLength = 0
    /// Fields of the JSON `headers` and the values they must have, as key paths.
    var fields: [(String, String)] = []

    func check(_ sample: [String: Any], customer: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(sample["customer"] as? String == customer, "\(name)", sourceLocation: sourceLocation)
        #expect(sample["reason"] as? String == reason, "\(name): \(sample)", sourceLocation: sourceLocation)
        if let function { #expect(sample["function"] as? String == function, "\(name): \(sample)", sourceLocation: sourceLocation) }
        #expect(sample["interface"] as? String == "dl0", "\(name)", sourceLocation: sourceLocation)
        #expect(sample["link"] as? String == "ethernet", "\(name)", sourceLocation: sourceLocation)
        #expect(sample["length"] as? Int == frame.count, "\(name): \(sample)", sourceLocation: sourceLocation)
        #expect(sample["summary"] as? String == summary, "\(name): \(sample)", sourceLocation: sourceLocation)
        #expect(sample["tcp_flags"] as? String == tcpFlags, "\(name): \(sample)", sourceLocation: sourceLocation)
        #expect(sample["bytes"] as? String == PacketBuilder.hex(Array(frame.prefix(headerLength))), "\(name): \(sample)",
                sourceLocation: sourceLocation)
        let headers = sample["headers"] as? [String: Any] ?? [:]
        #expect(headers["undecoded"] as? String == "", "\(name): the payload is not kept, not even as hex", sourceLocation: sourceLocation)
        for (path, value) in fields {
            #expect(SampleLab.value(headers, path) == value, "\(name): headers.\(path) in \(headers)", sourceLocation: sourceLocation)
        }
    }

    /// `function`: where the kernel dropped it, when the test does not pin it down (it varies between kernels).
    func watchLine(customer: String, function dropped: String?) -> String {
        "\(customer) \(reason) \(function ?? dropped ?? "?") dl0 \(summary)\(tcpFlags.map { " [\($0)]" } ?? "") len \(frame.count)"
    }
}

/// The test network of TestNetwork with IPv6 on the receiving device, a firewall rule
/// that drops ICMP echo requests, and frames with known headers sent from the peer.
struct SampleLab {
    let network: TestNetwork
    let receiverMAC: [UInt8]
    static let receiver4: [UInt8] = [10, 213, 0, 1], peer4: [UInt8] = [10, 213, 0, 2]
    static let receiver6: [UInt8] = [0xfd, 0, 0x02, 0x13] + [UInt8](repeating: 0, count: 11) + [1]
    static let peer6: [UInt8] = [0xfd, 0, 0x02, 0x13] + [UInt8](repeating: 0, count: 11) + [2]

    /// Drops every 802.1Q-tagged frame at TC ingress, while its tag is still held out of the frame.
    static let tcDrop = Binaries.packageRoot.appendingPathComponent(".build/bpf/tc_drop.bpf.o").path

    init(tag: String) throws {
        network = try TestNetwork(tag: tag)
        let peerMAC = try TestNetwork.mac(network.peer, "dl1")
        try TestNetwork.script(network.receiver, """
            sysctl -qw net.ipv6.conf.dl0.accept_dad=0 net.ipv6.conf.dl0.disable_ipv6=0
            ip -6 addr add fd00:213::1/64 dev dl0 nodad
            ip -6 neigh replace fd00:213::2 lladdr \(peerMAC) dev dl0 nud permanent
            nft add table inet dlsamples
            nft add chain inet dlsamples input '{ type filter hook input priority 0; policy accept; }'
            nft add rule inet dlsamples input icmp type echo-request drop
            tc qdisc add dev dl0 clsact
            tc filter add dev dl0 ingress protocol 802.1Q bpf direct-action obj \(Self.tcDrop) sec tc
            """)
        receiverMAC = TaggerFrames.bytes(Substring(try TestNetwork.mac(network.receiver, "dl0").replacingOccurrences(of: ":", with: "")))
    }

    /// IPv4 UDP, TCP SYN, ICMP, IPv6 UDP and 802.1Q-tagged IPv4 UDP, each dropped for its reason.
    func frames() -> [SampleFrame] {
        let r4 = Self.receiver4, p4 = Self.peer4, r6 = Self.receiver6, p6 = Self.peer6
        let payload = Array("abcd".utf8)
        return [
            SampleFrame(
                name: "IPv4 UDP to a closed port",
                frame: PacketBuilder.ethernet(destination: receiverMAC, type: 0x0800, payload: PacketBuilder.ipv4(
                    source: p4, destination: r4, protocol: 17,
                    payload: PacketBuilder.udp(source: p4, destination: r4, sourcePort: 40001, destinationPort: 9999, payload: payload))),
                reason: "NO_SOCKET", function: "__udp4_lib_rcv", summary: "udp 10.213.0.2:40001 > 10.213.0.1:9999",
                headerLength: 14 + 20 + 8,
                fields: [("ip.version", "4"), ("ip.source", "10.213.0.2"), ("ip.destination", "10.213.0.1"), ("ip.protocol", "17"),
                         ("udp.source_port", "40001"), ("udp.destination_port", "9999")]),
            SampleFrame(
                name: "IPv4 TCP SYN to a closed port",
                frame: PacketBuilder.ethernet(destination: receiverMAC, type: 0x0800, payload: PacketBuilder.ipv4(
                    source: p4, destination: r4, protocol: 6,
                    payload: PacketBuilder.tcpSYN(source: p4, destination: r4, sourcePort: 40002, destinationPort: 80, sequence: 1000))),
                reason: "NO_SOCKET", function: "tcp_v4_rcv", summary: "tcp 10.213.0.2:40002 > 10.213.0.1:80", tcpFlags: "SYN",
                headerLength: 14 + 20 + 20,
                fields: [("ip.source", "10.213.0.2"), ("ip.protocol", "6"), ("tcp.source_port", "40002"),
                         ("tcp.destination_port", "80"), ("tcp.flags", "SYN"), ("tcp.seq", "1000")]),
            SampleFrame(
                name: "ICMP echo request the firewall drops",
                frame: PacketBuilder.ethernet(destination: receiverMAC, type: 0x0800, payload: PacketBuilder.ipv4(
                    source: p4, destination: r4, protocol: 1, payload: PacketBuilder.icmpEchoRequest(identifier: 7, sequence: 1))),
                reason: "NETFILTER_DROP", summary: "icmp 10.213.0.2 > 10.213.0.1 echo-request",
                headerLength: 14 + 20 + 8,
                fields: [("ip.protocol", "1"), ("icmp.type", "8"), ("icmp.code", "0"), ("icmp.name", "echo-request")]),
            SampleFrame(
                name: "IPv6 UDP to a closed port",
                frame: PacketBuilder.ethernet(destination: receiverMAC, type: 0x86dd, payload: PacketBuilder.ipv6(
                    source: p6, destination: r6, nextHeader: 17,
                    payload: PacketBuilder.udp(source: p6, destination: r6, sourcePort: 40004, destinationPort: 9999, payload: payload))),
                reason: "NO_SOCKET", function: "__udp6_lib_rcv", summary: "udp [fd00:213::2]:40004 > [fd00:213::1]:9999",
                headerLength: 14 + 40 + 8,
                fields: [("ip.version", "6"), ("ip.source", "fd00:213::2"), ("ip.destination", "fd00:213::1"),
                         ("udp.destination_port", "9999")]),
            SampleFrame(
                name: "802.1Q-tagged IPv4 UDP dropped at TC ingress",
                frame: PacketBuilder.ethernet(destination: receiverMAC, vlan: 100, type: 0x0800, payload: PacketBuilder.ipv4(
                    source: p4, destination: r4, protocol: 17,
                    payload: PacketBuilder.udp(source: p4, destination: r4, sourcePort: 40005, destinationPort: 9999, payload: payload))),
                reason: "TC_INGRESS", summary: "vlan 100 udp 10.213.0.2:40005 > 10.213.0.1:9999", headerLength: 14 + 4 + 20 + 8,
                fields: [("vlans.0.id", "100"), ("vlans.0.tpid", "0x8100"), ("ip.source", "10.213.0.2"), ("udp.source_port", "40005")]),
        ]
    }

    /// Sends the frames from the peer's side of the veth, `gap` seconds apart.
    func send(_ frames: [SampleFrame], gap: Double = 0.05) throws {
        let script = """
            import socket, sys, time
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            s.bind(('dl1', 0))
            for frame in sys.argv[1:]:
                s.send(bytes.fromhex(frame))
                time.sleep(\(gap))
            """
        try network.exec(network.peer, ["python3", "-c", script] + frames.map { PacketBuilder.hex($0.frame) })
    }

    /// The samples of `customer`, newest first, once there are `count`.
    func waitForSamples(_ exporter: ExporterProcess, customer: String = "none", count: Int) throws -> [[String: Any]] {
        var samples: [[String: Any]] = []
        try waitFor("\(count) samples of \(customer)", seconds: 15) {
            samples = try Self.json(exporter.get("/api/v1/customers/\(customer)/samples").body)["samples"] as? [[String: Any]] ?? []
            return samples.count >= count
        }
        return samples
    }

    /// tshark's reading of a capture: per packet, oldest first, the fields that must match.
    static func checkWithTshark(_ path: String, frames: [SampleFrame], customer: String,
                                sourceLocation: SourceLocation = #_sourceLocation) throws {
        let fields = ["frame.len", "frame.cap_len", "ip.src", "ipv6.src", "udp.dstport", "tcp.dstport", "tcp.flags.syn",
                      "icmp.type", "vlan.id", "frame.comment"]
        let text = try Command.run(["tshark", "-r", path, "-T", "fields", "-E", "separator=|"] + fields.flatMap { ["-e", $0] })
        let rows = text.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.count == frames.count, "\(text)", sourceLocation: sourceLocation)
        for (frame, row) in zip(frames, rows) {
            let got = Dictionary(uniqueKeysWithValues: zip(fields, row))
            #expect(got["frame.len"] == String(frame.frame.count), "\(frame.name): \(got)", sourceLocation: sourceLocation)
            #expect(got["frame.cap_len"] == String(frame.headerLength), "\(frame.name): \(got)", sourceLocation: sourceLocation)
            let comment = got["frame.comment"] ?? ""
            #expect(comment.hasPrefix("dropledger: customer \(customer)") && comment.contains("reason \(frame.reason)")
                    && comment.contains("interface dl0"), "\(frame.name): \(comment)", sourceLocation: sourceLocation)
            let summary = frame.summary
            let proto = summary.split(separator: " ").first { ["udp", "tcp", "icmp"].contains($0) }
            if summary.contains("10.213.0.2") { #expect(got["ip.src"] == "10.213.0.2", "\(frame.name): \(got)", sourceLocation: sourceLocation) }
            if summary.contains("fd00:213::2") { #expect(got["ipv6.src"] == "fd00:213::2", "\(frame.name): \(got)", sourceLocation: sourceLocation) }
            if proto == "udp" { #expect(got["udp.dstport"] == "9999", "\(frame.name): \(got)", sourceLocation: sourceLocation) }
            if proto == "tcp" {
                #expect(got["tcp.dstport"] == "80" && got["tcp.flags.syn"].map { $0 == "1" || $0 == "True" } == true,
                        "\(frame.name): \(got)", sourceLocation: sourceLocation)
            }
            if proto == "icmp" { #expect(got["icmp.type"] == "8", "\(frame.name): \(got)", sourceLocation: sourceLocation) }
            if frame.fields.contains(where: { $0.0 == "vlans.0.id" }) {
                #expect(got["vlan.id"] == "100", "\(frame.name): \(got)", sourceLocation: sourceLocation)
            }
        }
    }

    static func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }

    /// A value in decoded JSON by a dotted path (array indexes as numbers), as text.
    static func value(_ object: Any, _ path: String) -> String? {
        var current: Any? = object
        for part in path.split(separator: ".") {
            if let index = Int(part), let array = current as? [Any] {
                current = index < array.count ? array[index] : nil
            } else {
                current = (current as? [String: Any])?[String(part)]
            }
        }
        switch current {
        case let array as [Any]: return array.map { "\($0)" }.joined(separator: ",")
        case let number as NSNumber: return number.stringValue
        case let value?: return "\(value)"
        case nil: return nil
        }
    }
}

func zip3<A, B, C>(_ a: [A], _ b: [B], _ c: [C]) -> [(A, B, C)] {
    zip(a, zip(b, c)).map { ($0, $1.0, $1.1) }
}

/// Polls `condition` until it holds or `seconds` pass (then the test fails with `what`).
func waitFor(_ what: String, seconds: Double, sourceLocation: SourceLocation = #_sourceLocation,
             _ condition: () throws -> Bool) throws {
    let deadline = Date.deadline(seconds)
    while Date() < deadline {
        if try condition() { return }
        Thread.sleep(forTimeInterval: 0.05)
    }
    Issue.record("timed out after \(seconds) s waiting for \(what)", sourceLocation: sourceLocation)
    throw CancellationError()
}
