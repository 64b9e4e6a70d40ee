import ChildProcesses
import DropledgerCore
import Foundation
import Testing

/// Tagged traffic and loss ratios end to end: real datagrams through the tagger on a
/// veth, part delivered to a socket and part dropped, against what was sent, in
/// /metrics, the JSON API, `show` and `top`; and the names of `--customers FILE`,
/// reread on SIGHUP.
@Suite(.serialized, .needsTagger, .enabled(if: Privilege.kernelTestsEnabled, "needs root (set DROPLEDGER_SKIP_ROOT_TESTS=1 to skip)"))
struct LossRatioTests {
    static let openPort: UInt16 = 4000, closedPort: UInt16 = 9
    /// A one-byte UDP datagram as the tagger sees it: Ethernet 14 + IPv4 20 + UDP 8 + 1.
    static let frameBytes: UInt64 = 43

    func json(_ exporter: ExporterProcess, _ path: String) throws -> [String: Any] {
        let answer = try exporter.get(path)
        #expect(answer.status == 200, "\(path): \(answer.body)")
        return try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any] ?? [:]
    }

    @Test func taggedCountsAndLossRatiosAreWhatWasSentAndDropped() throws {
        let network = try TaggerNetwork(tag: "loss", customerNets: [1, 2])
        let names = FileManager.default.temporaryDirectory.appendingPathComponent("dl-customers-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: names) }
        try "# test customers\n101 acme-video\n202   globex shop   # spaces in names\n".write(to: names, atomically: true, encoding: .utf8)
        let exporter = try ExporterProcess(arguments: ["--filter.netns", network.netnsPath, "--customers", names.path])
        let tag = try network.dropledger(["tag", "--interface", network.dev, "--xdp-mode", "generic",
                                          "--prefix", "10.214.1.0/24=101", "--prefix", "10.214.2.0/24=202"])
        #expect(tag.status == 0, "tag: \(tag.stderr)")
        let delivered = FileManager.default.temporaryDirectory.appendingPathComponent("dl-delivered-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: delivered) }
        let receiver = try network.startUDPReceiver(port: Self.openPort, output: delivered)
        defer { receiver.terminate() }

        // 101: 120 delivered, 40 dropped; 202: 30 delivered, 90 dropped.
        try network.sendUDP(to: "10.214.1.1", port: Self.openPort, count: 120)
        try network.sendUDP(to: "10.214.1.1", port: Self.closedPort, count: 40)
        try network.sendUDP(to: "10.214.2.1", port: Self.openPort, count: 30)
        try network.sendUDP(to: "10.214.2.1", port: Self.closedPort, count: 90)
        let drops: [String: UInt64] = ["101/NO_SOCKET": 40, "202/NO_SOCKET": 90]
        #expect(try exporter.settledSeries(expected: drops) == drops)
        // The windows, once the seconds of the traffic have ended in them (before anything slow).
        let deadline = Date.deadline(25)
        var ratios: [String: Any] = [:]
        repeat {
            ratios = try json(exporter, "/api/v1/customers/202")["loss_ratios"] as? [String: Any] ?? [:]
            if ratios["5m"] as? Double == 0.75, ratios["1m"] as? Double == 0.75 { break }
            Thread.sleep(forTimeInterval: 0.5)
        } while Date() < deadline
        #expect(ratios["5m"] as? Double == 90.0 / 120.0, "\(ratios)")
        #expect(ratios["1m"] as? Double == 90.0 / 120.0, "\(ratios)")
        receiver.terminate()
        _ = receiver.waitUntilExit()
        let got = (try? String(contentsOf: delivered, encoding: .utf8)) ?? ""
        #expect(got.split(separator: "\n").last == "150", "the socket got the rest: \(got)")

        // /metrics: tagged per customer, exactly what was sent; names for the named customers.
        let metrics = try exporter.metrics()
        #expect(metrics[#"dropledger_tagged_packets_total{customer="101"}"#] == 160)
        #expect(metrics[#"dropledger_tagged_packets_total{customer="202"}"#] == 120)
        #expect(metrics[#"dropledger_tagged_bytes_total{customer="101"}"#] == Double(160 * Self.frameBytes))
        #expect(metrics[#"dropledger_tagged_bytes_total{customer="202"}"#] == Double(120 * Self.frameBytes))
        #expect(metrics.keys.filter { $0.hasPrefix("dropledger_tagged_packets_total") }.count == 2, "no other series: \(metrics.keys.sorted())")
        #expect(metrics[#"dropledger_customer_info{customer="101",name="acme-video"}"#] == 1)
        #expect(metrics[#"dropledger_customer_info{customer="202",name="globex shop"}"#] == 1)
        let lint = try Command.capture(["promtool", "check", "metrics"], input: try exporter.metricsText())
        #expect(lint.status == 0, "promtool: \(lint.stdout)\(lint.stderr)")

        // The API, since the start.
        let customer = try json(exporter, "/api/v1/customers/101")
        #expect(customer["name"] as? String == "acme-video")
        #expect(customer["tagged_packets"] as? Int == 160)
        #expect(customer["tagged_bytes"] as? Int == Int(160 * Self.frameBytes))
        #expect(customer["loss_ratio"] as? Double == 40.0 / 160.0)

        let list = try json(exporter, "/api/v1/customers?sort=loss")
        let rows = list["customers"] as? [[String: Any]] ?? []
        #expect(rows.map { $0["customer"] as? String } == ["202", "101"])
        #expect(rows.map { $0["loss_ratio"] as? Double } == [0.75, 0.25])
        #expect(rows.map { $0["name"] as? String } == ["globex shop", "acme-video"])
        #expect(rows.first?["tagged_packets"] as? Int == 120)
        let reasons = try json(exporter, "/api/v1/reasons")["reasons"] as? [[String: Any]] ?? []
        #expect(reasons.first?["description"] as? String == ReasonDescriptions.description(of: "NO_SOCKET"))

        // show and top, as a person reads them.
        let show = try Command.capture([Binaries.dropledger, "show", "202", "--url", "http://127.0.0.1:\(exporter.port)"])
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.contains("customer 202 (globex shop): 90 drops"), "\(show.stdout)")
        #expect(show.stdout.contains("tagged: 120 packets, \(120 * Self.frameBytes) bytes; loss 75.00% since the exporter started"),
                "\(show.stdout)")
        let screen = try topScreen(exporter, sort: "loss")
        let lines = screen.split(separator: "\n")
        let at202 = lines.firstIndex { $0.hasPrefix("202 ") }, at101 = lines.firstIndex { $0.hasPrefix("101 ") }
        #expect(at202 != nil && at101 != nil && at202! < at101!, "by loss: \(screen)")
        #expect(screen.contains("by loss"), "\(screen)")
        if let at202, let at101 {
            #expect(lines[at202].contains("globex shop") && lines[at202].contains("75.00%"), "\(screen)")
            #expect(lines[at101].contains("acme-video") && lines[at101].contains("25.00%"), "\(screen)")
        }
        #expect(exporter.stop() == 0, "\(exporter.log())")
    }

    @Test func namesAreRereadOnSIGHUPAndABadFileKeepsThem() throws {
        let network = try TaggerNetwork(tag: "hup", customerNets: [1])
        let names = FileManager.default.temporaryDirectory.appendingPathComponent("dl-customers-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: names) }
        try "7 before\n".write(to: names, atomically: true, encoding: .utf8)
        let exporter = try ExporterProcess(arguments: ["--filter.netns", network.netnsPath, "--customers", names.path])
        let tag = try network.dropledger(["tag", "--interface", network.dev, "--xdp-mode", "generic", "--prefix", "10.214.1.0/24=7"])
        #expect(tag.status == 0, "tag: \(tag.stderr)")
        try network.sendUDP(to: "10.214.1.1", port: Self.closedPort, count: 10)
        _ = try exporter.settledSeries(expected: ["7/NO_SOCKET": 10])
        #expect(try exporter.metrics()[#"dropledger_customer_info{customer="7",name="before"}"#] == 1)

        func named(_ expected: String) throws -> Bool {
            let deadline = Date.deadline(10)
            while Date() < deadline {
                if try json(exporter, "/api/v1/customers/7")["name"] as? String == expected { return true }
                Thread.sleep(forTimeInterval: 0.1)
            }
            return false
        }
        try "7 after\n".write(to: names, atomically: true, encoding: .utf8)
        exporter.process.kill(SIGHUP)
        #expect(try named("after"))
        #expect(try exporter.metrics()[#"dropledger_customer_info{customer="7",name="after"}"#] == 1)

        try "7 after\nseven broken\n".write(to: names, atomically: true, encoding: .utf8)
        exporter.process.kill(SIGHUP)
        let deadline = Date.deadline(10)
        while !exporter.log().contains("\(names.path):2:"), Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        #expect(exporter.log().contains("\(names.path):2: 'seven' is not a customer ID"), "\(exporter.log())")
        #expect(try named("after"), "a bad file keeps the names")
        #expect(exporter.stop() == 0, "SIGHUP does not stop it: \(exporter.log())")
    }

    /// `dropledger top --sort SORT` in a tmux pane, once it shows customers.
    func topScreen(_ exporter: ExporterProcess, sort: String) throws -> String {
        let pane = try TmuxPane("\(Binaries.dropledger) top --sort \(sort) --interval 0.3 --url http://127.0.0.1:\(exporter.port); sleep 30",
                                columns: 160)
        return try pane.screen(tries: 40) { $0.contains("101 ") && $0.contains("202 ") }
    }
}
