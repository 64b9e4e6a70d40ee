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
    static let hosts = 3, rounds = 40

    /// Per round and host: 101 sends 30 (15 to a closed port: loses half), 202 sends 10,
    /// all delivered (loses nothing), 303 sends 1 to a closed port (loses all, but too
    /// little traffic to alert), and 4 datagrams to an untagged address (customer none).
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
                                              ruleFiles: [DeployFiles.path("deploy/prometheus/recording-rules.yml"), alerts.path])
        defer { prometheus.stop() }

        // Every host's sender, in parallel: `rounds` rounds of fixed counts, half a second apart.
        let p = Self.perRound
        let round = [
            "for ((i = 0; i < \(p.lossy); i++)); do printf x >/dev/udp/10.214.1.1/\(Self.closedPort); done",
            "for ((i = 0; i < \(p.delivered); i++)); do printf x >/dev/udp/10.214.1.1/\(Self.openPort); done",
            "for ((i = 0; i < \(p.clean); i++)); do printf x >/dev/udp/10.214.2.1/\(Self.openPort); done",
            "for ((i = 0; i < \(p.small); i++)); do printf x >/dev/udp/10.214.3.1/\(Self.closedPort); done",
            "for ((i = 0; i < \(p.untagged); i++)); do printf x >/dev/udp/10.214.0.1/\(Self.closedPort); done",
        ].joined(separator: "; ")
        let senders = try networks.map { network in
            try ChildProcess(["ip", "netns", "exec", network.sender, "bash", "-c",
                              "for ((r = 0; r < \(Self.rounds); r++)); do \(round); sleep 0.5; done"])
        }
        for sender in senders { #expect(sender.waitUntilExit() == .exited(0)) }

        // Each host counted exactly its own traffic.
        let r = UInt64(Self.rounds)
        let tagged: [String: UInt64] = ["101": r * UInt64(p.lossy + p.delivered), "202": r * UInt64(p.clean), "303": r * UInt64(p.small)]
        let drops: [String: UInt64] = ["101/NO_SOCKET": r * UInt64(p.lossy), "303/NO_SOCKET": r * UInt64(p.small),
                                       "none/NO_SOCKET": r * UInt64(p.untagged)]
        for (host, exporter) in exporters.enumerated() {
            #expect(try exporter.settledSeries(expected: drops) == drops, "host \(host)")
            #expect(try exporter.taggedPackets() == tagged, "host \(host)")
        }

        // Prometheus sees the sum of the hosts, once every target has been scraped since.
        let hosts = Double(Self.hosts)
        func fleet(_ expression: String) throws -> [String: Double] {
            Dictionary(try prometheus.vector(expression).map { ($0.labels["customer"] ?? "", $0.value) }, uniquingKeysWith: +)
        }
        let expectedTagged = tagged.mapValues { Double($0) * hosts }
        let deadline = Date.deadline(30)
        while Date() < deadline, try fleet("sum by (customer) (dropledger_tagged_packets_total)") != expectedTagged {
            Thread.sleep(forTimeInterval: 0.5)
        }
        #expect(try fleet("sum by (customer) (dropledger_tagged_packets_total)") == expectedTagged)
        #expect(try fleet(#"sum by (customer) (dropledger_drops_total{reason="NO_SOCKET"})"#)
                == ["101": Double(drops["101/NO_SOCKET"]!) * hosts, "303": Double(drops["303/NO_SOCKET"]!) * hosts,
                    "none": Double(drops["none/NO_SOCKET"]!) * hosts])
        #expect(try prometheus.vector("count(up == 1)").first?.value == hosts)

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
        // Ratios of rates: rate() starts each series at its first scrape, which may fall
        // inside a round, so these are near the sent shares, not equal to them.
        let loss = try fleet("customer:dropledger_loss:ratio_rate5m")
        #expect(abs((loss["101"] ?? 0) - 0.5) < 0.1, "\(loss)")
        #expect(loss["202"] == 0, "202 has traffic and no drops: \(loss)")
        #expect((loss["303"] ?? 0) > 0.5, "\(loss)")
        let jobLoss = try prometheus.vector("job:dropledger_loss:ratio_rate5m").first?.value ?? -1
        let fleetDrops = Double(p.lossy + p.small), fleetTagged = Double(p.lossy + p.delivered + p.clean + p.small)
        #expect(abs(jobLoss - fleetDrops / fleetTagged) < 0.1 * fleetDrops / fleetTagged, "\(jobLoss)")

        // Every dashboard query has data from the fleet.
        for query in try Dashboards.queries(customer: "101") {
            #expect(try Self.hasData(prometheus, query), "\(query.file) panel \(query.panel) has no data: \(query.expression)")
        }

        // The alert: firing for 101, for no one else.
        let alertDeadline = Date.deadline(60)
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
        let summary = lookup(try prometheus.api("/api/v1/alerts"), "alerts") as? [[String: Any]] ?? []
        let text = summary.compactMap { lookup($0, "annotations.summary") as? String }.joined(separator: "\n")
        #expect(text.contains("acme-video"), "the alert names the customer: \(text)")

        for exporter in exporters { #expect(exporter.stop() == 0, "\(exporter.log())") }
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

    static func hasData(_ prometheus: PrometheusServer, _ query: Dashboards.Query) throws -> Bool {
        let until = Date.deadline(10)
        repeat {
            if query.instant {
                let (type, result) = try prometheus.query(query.expression)
                if type == "scalar" || type == "string" || !((result as? [Any]) ?? []).isEmpty { return true }
            } else if !(try prometheus.queryRange(query.expression, seconds: 20)).isEmpty {
                return true
            }
            Thread.sleep(forTimeInterval: 1)
        } while Date() < until
        return false
    }
}
