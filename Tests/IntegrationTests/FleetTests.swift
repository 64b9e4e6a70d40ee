import ChildProcesses
import Foundation
import Testing

/// A fleet in one machine: three "hosts", each a lab namespace with the tagger on its
/// interface and its own exporter filtering that namespace (so each counts only its
/// own drops and its own tagger's traffic), scraped by one real Prometheus with the
/// repository's rules. Totals and the fleet recording rules sum exactly across the
/// hosts, every dashboard query has data, and the loss-ratio alert fires for the
/// customer made to lose half its traffic and stays quiet for the others.
@Suite(.serialized, .needsTagger, .enabled(if: Privilege.kernelTestsEnabled, "needs root (set DROPLEDGER_SKIP_ROOT_TESTS=1 to skip)"))
struct FleetTests {
    static let openPort: UInt16 = 4000, closedPort: UInt16 = 9
    static let hosts = 3

    /// Per round (at most 2 a second) and host: 101 sends 30 (15 to a closed port: loses
    /// half), 202 sends 10, all delivered (loses nothing), 303 sends 1 to a closed port
    /// (loses all, but at most 6 packets/s over the fleet: under the alert's 10), and 4
    /// datagrams to an untagged address (customer none).
    static let perRound = (lossy: 15, delivered: 15, clean: 10, small: 1, untagged: 4)

    @Test func prometheusSumsTheFleetExactlyAndTheLossAlertFiresForTheLossyCustomerOnly() throws {
        let names = FileManager.default.temporaryDirectory.appendingPathComponent("dl-fleet-names-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: names) }
        try "101 acme-video\n202 globex-shop\n303 initech-api\n".write(to: names, atomically: true, encoding: .utf8)

        var networks: [TaggerNetwork] = []
        var exporters: [ExporterProcess] = []
        var receivers: [ChildProcess] = []
        defer { receivers.forEach { $0.terminate() } }
        for host in 0..<Self.hosts {
            let network = try TaggerNetwork(tag: "fl\(host)")
            networks.append(network)
            exporters.append(try ExporterProcess(arguments: ["--filter.netns", network.netnsPath, "--customers", names.path]))
            let tag = try network.dropledger(["tag", "--interface", network.dev, "--xdp-mode", "generic", "--prefix", "10.214.1.0/24=101",
                                              "--prefix", "10.214.2.0/24=202", "--prefix", "10.214.3.0/24=303"])
            #expect(tag.status == 0, "tag: \(tag.stderr)")
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("dl-fleet-recv-\(UUID().uuidString)")
            receivers.append(try network.startUDPReceiver(port: Self.openPort, output: output))
        }

        // The repository's rules, the loss alert's 10 minutes shortened to 15 s so the test can see it fire.
        let alerts = FileManager.default.temporaryDirectory.appendingPathComponent("dl-fleet-alerts-\(UUID().uuidString).yml")
        defer { try? FileManager.default.removeItem(at: alerts) }
        let alertText = try DeployFiles.text("deploy/prometheus/alerting-rules.yml")
        let shortened = try Self.shorteningFor(of: "DropledgerCustomerLossRatioHigh", in: alertText, to: "15s")
        try shortened.write(to: alerts, atomically: true, encoding: .utf8)
        let prometheus = try PrometheusServer(targets: exporters.map { "127.0.0.1:\($0.port)" },
                                              ruleFiles: [DeployFiles.path("deploy/prometheus/recording-rules.yml"), alerts.path],
                                              scrapeInterval: "2s")
        defer { prometheus.stop() }

        func fleet(_ expression: String) throws -> [String: Double] {
            Dictionary(try prometheus.vector(expression).map { ($0.labels["customer"] ?? "", $0.value) }, uniquingKeysWith: +)
        }

        // Every host sends, in rounds half a second apart, until stopped; then it
        // says how many datagrams it sent where (the exact totals to expect).
        let p = Self.perRound
        let counts = try networks.map { _ in
            FileManager.default.temporaryDirectory.appendingPathComponent("dl-fleet-sent-\(UUID().uuidString)")
        }
        defer { counts.forEach { try? FileManager.default.removeItem(at: $0) } }
        let senders = try zip(networks, counts).map { network, output in
            try Self.startSender(network, output: output, round: [
                ("10.214.1.1", Self.closedPort, p.lossy), ("10.214.1.1", Self.openPort, p.delivered),
                ("10.214.2.1", Self.openPort, p.clean), ("10.214.3.1", Self.closedPort, p.small),
                ("10.214.0.1", Self.closedPort, p.untagged),
            ])
        }
        defer { senders.forEach { $0.terminate() } }

        // While the traffic runs: the alert fires for 101 and for no one else...
        let alertDeadline = Date.deadline(90)
        var firing: [String] = []
        repeat {
            firing = try prometheus.vector(#"ALERTS{alertname="DropledgerCustomerLossRatioHigh",alertstate="firing"}"#)
                .compactMap { $0.labels["customer"] }
            if !firing.isEmpty { break }
            Thread.sleep(forTimeInterval: 1)
        } while Date() < alertDeadline
        #expect(firing == ["101"])
        let pendingOrFiring = try prometheus.vector(#"ALERTS{alertname="DropledgerCustomerLossRatioHigh"}"#).compactMap { $0.labels["customer"] }
        #expect(Set(pendingOrFiring) == ["101"], "202 loses nothing, 303 sends too little: \(pendingOrFiring)")
        let active = lookup(try prometheus.api("/api/v1/alerts"), "alerts") as? [[String: Any]] ?? []
        let summaries = active.compactMap { lookup($0, "annotations.summary") as? String }.joined(separator: "\n")
        #expect(summaries.contains("acme-video"), "the alert names the customer: \(summaries)")

        // ... the loss ratios are near the shares sent (ratios of rates: rate() starts each
        // series at its first scrape, which may fall inside a round) ...
        let loss = try fleet("customer:dropledger_loss:ratio_rate5m")
        #expect(abs((loss["101"] ?? 0) - 0.5) < 0.1, "\(loss)")
        #expect(loss["202"] == 0, "202 has traffic and no drops: \(loss)")
        #expect((loss["303"] ?? 0) > 0.5, "\(loss)")
        let jobLoss = try prometheus.vector("job:dropledger_loss:ratio_rate5m").first?.value ?? -1
        let fleetShare = Double(p.lossy + p.small) / Double(p.lossy + p.delivered + p.clean + p.small)
        #expect(abs(jobLoss - fleetShare) < 0.1 * fleetShare, "\(jobLoss) vs \(fleetShare)")

        // ... and every dashboard query has data from the fleet.
        for query in try Dashboards.queries(customer: "101") {
            #expect(try prometheus.hasData(query), "\(query.file) panel \(query.panel) has no data: \(query.expression)")
        }

        // Stopped: each host counted exactly its own traffic...
        var sent: [[String: UInt64]] = []
        for (sender, output) in zip(senders, counts) {
            sender.terminate()
            _ = sender.waitUntilExit()
            sent.append(try Self.sentCounts(output))
        }
        func target(_ address: String, _ port: UInt16) -> String { "\(address):\(port)" }
        var fleetTagged: [String: UInt64] = [:], fleetDrops: [String: UInt64] = [:]
        for (host, exporter) in exporters.enumerated() {
            let s = sent[host]
            func n(_ address: String, _ port: UInt16) -> UInt64 { s[target(address, port)] ?? 0 }
            let tagged: [String: UInt64] = [
                "101": n("10.214.1.1", Self.closedPort) + n("10.214.1.1", Self.openPort),
                "202": n("10.214.2.1", Self.openPort), "303": n("10.214.3.1", Self.closedPort),
            ]
            let drops: [String: UInt64] = ["101/NO_SOCKET": n("10.214.1.1", Self.closedPort),
                                           "303/NO_SOCKET": n("10.214.3.1", Self.closedPort),
                                           "none/NO_SOCKET": n("10.214.0.1", Self.closedPort)]
            #expect(tagged.values.allSatisfy { $0 > 0 } && drops.values.allSatisfy { $0 > 0 }, "host \(host) sent \(s)")
            #expect(try exporter.settledSeries(expected: drops) == drops, "host \(host)")
            var seen = try exporter.taggedPackets()
            let deadline = Date.deadline(10)
            while seen != tagged, Date() < deadline {
                Thread.sleep(forTimeInterval: 0.3)
                seen = try exporter.taggedPackets()
            }
            #expect(seen == tagged, "host \(host)")
            fleetTagged.merge(tagged, uniquingKeysWith: +)
            fleetDrops.merge(drops.map { (String($0.key.split(separator: "/")[0]), $0.value) }, uniquingKeysWith: +)
        }

        // ... and Prometheus sees the sum of the hosts, once every target has been scraped since.
        let expectedTagged = fleetTagged.mapValues { Double($0) }
        let deadline = Date.deadline(30)
        while Date() < deadline, try fleet("sum by (customer) (dropledger_tagged_packets_total)") != expectedTagged {
            Thread.sleep(forTimeInterval: 0.5)
        }
        let raw = try prometheus.vector("dropledger_tagged_packets_total or up or scrape_duration_seconds")
            .map { "\($0.labels["__name__"] ?? "") \($0.labels["instance"] ?? "") \($0.labels["customer"] ?? "") \($0.value)" }
        #expect(try fleet("sum by (customer) (dropledger_tagged_packets_total)") == expectedTagged, "per host: \(raw)")
        let fleetNoSocket = try fleet(#"sum by (customer) (dropledger_drops_total{reason="NO_SOCKET"})"#)
        #expect(fleetNoSocket == fleetDrops.mapValues { Double($0) }, "\(fleetNoSocket) vs \(fleetDrops)")
        #expect(try prometheus.vector("count(up == 1)").first?.value == Double(Self.hosts))

        // The fleet recording rules are the sums of what each host contributes: each host's
        // rate at the very evaluation that recorded the rule (a scrape landing in between can
        // move a rate, so a few evaluations are tried).
        for (rule, metric) in [("customer:dropledger_tagged_packets:rate5m", "dropledger_tagged_packets_total"),
                               ("customer:dropledger_drops:rate5m", "dropledger_drops_total")] {
            var recorded: [String: Double] = [:], summed: [String: Double] = [:]
            for _ in 0..<10 {
                guard let at = try prometheus.vector("max(timestamp(\(rule)))").first?.value else { break }
                recorded = Dictionary(try Self.vector(prometheus, rule, at: at).map { ($0.labels["customer"] ?? "", $0.value) },
                                      uniquingKeysWith: +)
                summed = [:]
                for sample in try Self.vector(prometheus, "rate(\(metric)[5m])", at: at) {
                    summed[sample.labels["customer"] ?? "", default: 0] += sample.value
                }
                if Self.equal(recorded, summed) { break }
                Thread.sleep(forTimeInterval: 1)
            }
            #expect(Self.equal(recorded, summed), "\(rule): \(recorded) vs the hosts' \(summed)")
            #expect(Set(recorded.keys).isSuperset(of: ["101", "303"]), "\(rule): \(recorded)")
        }

        for exporter in exporters { #expect(exporter.stop() == 0, "\(exporter.log())") }
    }

    /// A sender in the host's sender namespace: rounds of `round` (address, port, count)
    /// half a second apart, until SIGTERM ends the round it is in; then it writes
    /// `address:port count` per target to `output`.
    static func startSender(_ network: TaggerNetwork, output: URL, round: [(String, UInt16, Int)]) throws -> ChildProcess {
        let targets = round.map { "(\"\($0.0)\", \($0.1), \($0.2))" }.joined(separator: ", ")
        let script = """
            import signal, socket, time
            targets = [\(targets)]
            sent = {}
            stop = False
            def done(*_):
                global stop
                stop = True
            signal.signal(signal.SIGTERM, done)
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            while not stop:
                for address, port, count in targets:
                    for _ in range(count):
                        s.sendto(b"x", (address, port))
                        sent[(address, port)] = sent.get((address, port), 0) + 1
                time.sleep(0.5)
            with open("\(output.path)", "w") as f:
                for (address, port), n in sorted(sent.items()):
                    f.write(f"{address}:{port} {n}\\n")
            """
        return try ChildProcess(["ip", "netns", "exec", network.sender, "python3", "-c", script])
    }

    static func sentCounts(_ output: URL) throws -> [String: UInt64] {
        var counts: [String: UInt64] = [:]
        for line in try String(contentsOf: output, encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let n = UInt64(parts[1]) { counts[String(parts[0])] = n }
        }
        return counts
    }

    /// The rules text with `for:` of `alert` set to `duration`.
    static func shorteningFor(of alert: String, in rules: String, to duration: String) throws -> String {
        var lines = rules.components(separatedBy: "\n")
        guard let start = lines.firstIndex(where: { $0.contains("alert: \(alert)") }),
              let line = lines[start...].firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("for:") }) else {
            throw Command.Failure(command: ["shorten", alert], status: 1, output: "no for: in \(alert)")
        }
        lines[line] = lines[line].replacingOccurrences(of: #"for: \S+"#, with: "for: \(duration)", options: .regularExpression)
        return lines.joined(separator: "\n")
    }

    /// An instant query evaluated at `time` (Unix seconds).
    static func vector(_ prometheus: PrometheusServer, _ expression: String, at time: Double) throws -> [(labels: [String: String], value: Double)] {
        let data = try prometheus.api("/api/v1/query", [("query", expression), ("time", String(time))]) as? [String: Any]
        return (data?["result"] as? [[String: Any]] ?? []).map { sample in
            ((sample["metric"] as? [String: String]) ?? [:], Double((sample["value"] as? [Any])?.last as? String ?? "") ?? .nan)
        }
    }

    static func equal(_ a: [String: Double], _ b: [String: Double]) -> Bool {
        Set(a.keys) == Set(b.keys) && a.allSatisfy { abs($0.value - b[$0.key]!) <= 1e-9 * max(1, abs($0.value)) }
    }
}
