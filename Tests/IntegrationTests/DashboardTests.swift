import Foundation
import Testing

/// The Grafana dashboards of dashboards/: importable as they are, and every panel's query
/// returns data from a real Prometheus scraping `dropledger demo`.
enum Dashboards {
    static let files = ["dashboards/overview.json", "dashboards/customer.json"]

    struct Query {
        let file: String
        let panel: String
        let expression: String
        let instant: Bool
    }

    /// Panels, rows' panels included.
    static func panels(_ dashboard: [String: Any]) -> [[String: Any]] {
        let top = dashboard["panels"] as? [[String: Any]] ?? []
        return top + top.flatMap { panels($0) }
    }

    /// Every target of every panel, with Grafana's variables replaced as a dashboard
    /// showing customer `customer` of job `dropledger` would replace them.
    static func queries(customer: String) throws -> [Query] {
        var queries: [Query] = []
        for file in files {
            let dashboard = try DeployFiles.json(file)
            for panel in panels(dashboard) {
                for target in panel["targets"] as? [[String: Any]] ?? [] {
                    guard let expression = target["expr"] as? String else { continue }
                    let substituted = expression
                        .replacingOccurrences(of: "$__rate_interval", with: "15s")
                        .replacingOccurrences(of: "$__range", with: "1m")
                        .replacingOccurrences(of: "$__interval", with: "5s")
                        .replacingOccurrences(of: "$customer", with: customer)
                        .replacingOccurrences(of: "$job", with: "dropledger")
                    queries.append(Query(file: file, panel: "\(panel["title"] as? String ?? "?") [\(target["refId"] as? String ?? "?")]",
                                         expression: substituted, instant: target["instant"] as? Bool ?? false))
                }
            }
        }
        return queries
    }
}

extension PrometheusServer {
    /// Non-empty data for a panel's query, retried for a few seconds (a scrape or
    /// evaluation may be in flight).
    func hasData(_ query: Dashboards.Query) throws -> Bool {
        let until = Date.deadline(10)
        repeat {
            if query.instant {
                let (type, result) = try self.query(query.expression)
                if type == "scalar" || type == "string" || !((result as? [Any]) ?? []).isEmpty { return true }
            } else if !(try queryRange(query.expression, seconds: 20)).isEmpty {
                return true
            }
            Thread.sleep(forTimeInterval: 1)
        } while Date() < until
        return false
    }
}

@Suite struct DashboardFileTests {
    @Test(arguments: Dashboards.files)
    func importsCleanly(file: String) throws {
        let dashboard = try DeployFiles.json(file)
        let inputs = dashboard["__inputs"] as? [[String: Any]] ?? []
        #expect(inputs.contains { $0["name"] as? String == "DS_PROMETHEUS" && $0["pluginId"] as? String == "prometheus" })
        #expect((dashboard["schemaVersion"] as? Int ?? 0) >= 39)
        #expect(dashboard["uid"] as? String != nil)
        #expect(dashboard["id"] == nil || dashboard["id"] is NSNull, "an exported dashboard has no numeric id")

        // No hard-coded datasource: every datasource reference is the DS_PROMETHEUS input.
        func datasourceUIDs(_ value: Any) -> [String] {
            if let object = value as? [String: Any] {
                var found: [String] = []
                for (key, child) in object {
                    if key == "datasource", let reference = child as? [String: Any],
                       reference["type"] as? String != "grafana" {
                        found.append(reference["uid"] as? String ?? "<none>")
                    } else if key == "datasource", let name = child as? String {
                        found.append(name)
                    }
                    found += datasourceUIDs(child)
                }
                return found
            }
            return (value as? [Any] ?? []).flatMap(datasourceUIDs)
        }
        let uids = datasourceUIDs(dashboard)
        #expect(!uids.isEmpty)
        #expect(Set(uids) == ["${DS_PROMETHEUS}"])

        let panels = Dashboards.panels(dashboard)
        #expect(panels.count >= 6)
        #expect(Set(panels.compactMap { $0["id"] as? Int }).count == panels.count, "panel ids are unique")
        for panel in panels {
            let title = panel["title"] as? String ?? "?"
            #expect((panel["description"] as? String ?? "").count > 20, "panel \(title) has a description")
            #expect(!(panel["targets"] as? [Any] ?? []).isEmpty, "panel \(title) has a query")
            #expect(lookup(panel, "gridPos.w") != nil, "panel \(title) has a position")
        }
    }

    @Test func customerDashboardHasItsVariable() throws {
        let dashboard = try DeployFiles.json("dashboards/customer.json")
        let variables = lookup(dashboard, "templating.list") as? [[String: Any]] ?? []
        let customer = try #require(variables.first { $0["name"] as? String == "customer" })
        #expect(customer["type"] as? String == "query")
        #expect(lookup(customer, "query.query") as? String == "label_values(dropledger_drops_total, customer)")
        #expect(customer["definition"] as? String == "label_values(dropledger_drops_total, customer)")
        for query in try Dashboards.queries(customer: "101") where query.file.hasSuffix("customer.json") {
            #expect(query.expression.contains("customer=\"101\""), "\(query.panel) selects the customer")
        }
    }

    @Test func everyVariableIsReplaced() throws {
        for query in try Dashboards.queries(customer: "101") {
            #expect(!query.expression.contains("$"), "\(query.file) \(query.panel): \(query.expression)")
        }
    }
}

@Suite(.serialized, .needsTagger, .enabled(if: Privilege.kernelTestsEnabled, "needs root (set DROPLEDGER_SKIP_ROOT_TESTS=1 to skip)"))
struct DashboardPrometheusTests {
    /// The demo lab's drops, scraped every second by a real Prometheus with the repository's
    /// rules loaded: every dashboard query, every recording rule and every variable has data,
    /// and every rule evaluates without error.
    @Test func everyPanelQueryReturnsDataFromTheDemo() throws {
        let demo = try ExporterProcess(subcommand: "demo", arguments: ["--duration", "90"])
        defer { demo.stop() }
        let rules = ["deploy/prometheus/recording-rules.yml", "deploy/prometheus/alerting-rules.yml"].map(DeployFiles.path)
        let prometheus = try PrometheusServer(targets: ["127.0.0.1:\(demo.port)"], ruleFiles: rules)
        defer { prometheus.stop() }

        // Wait for the chained recording rules, then a little more history for the range queries.
        let deadline = Date.deadline(45)
        while Date() < deadline, try prometheus.vector(#"customer:dropledger_drops:rate5m_avg1d{customer="101"}"#).isEmpty {
            Thread.sleep(forTimeInterval: 0.5)
        }
        Thread.sleep(forTimeInterval: 8)

        func hasData(_ query: Dashboards.Query) throws -> Bool { try prometheus.hasData(query) }

        let queries = try Dashboards.queries(customer: "101")
        #expect(queries.count >= 25)
        for query in queries {
            #expect(try hasData(query), "\(query.file) panel \(query.panel) has no data: \(query.expression)")
        }
        // The other customers of the lab too (the Customer dashboard).
        for customer in ["202", "303"] {
            for query in try Dashboards.queries(customer: customer) where query.file.hasSuffix("customer.json") {
                #expect(try hasData(query), "customer \(customer), panel \(query.panel): \(query.expression)")
            }
        }

        // Every recording rule's output.
        let records = try DeployFiles.text("deploy/prometheus/recording-rules.yml")
            .matches(of: /record: (\S+)/).map { String($0.output.1) }
        #expect(records.count >= 8)
        for record in records {
            #expect(try !prometheus.vector(record).isEmpty, "recording rule \(record) has no data")
        }
        // Attribution follows the traffic: 101 sends the most, 303 the least.
        let rates = Dictionary(try prometheus.vector("customer:dropledger_drops:rate5m").map { ($0.labels["customer"] ?? "", $0.value) },
                               uniquingKeysWith: +)
        #expect((rates["101"] ?? 0) > (rates["303"] ?? 0), "\(rates)")
        #expect(try prometheus.vector(#"reason:dropledger_drops:rate5m{reason="NETFILTER_DROP"}"#).first?.value ?? 0 > 0)

        // The variables' values.
        let customers = try prometheus.api("/api/v1/label/customer/values", [("match[]", "dropledger_drops_total")]) as? [String] ?? []
        #expect(Set(["101", "202", "303"]).isSubset(of: Set(customers)), "\(customers)")
        let jobs = try prometheus.api("/api/v1/label/job/values", [("match[]", "dropledger_build_info")]) as? [String] ?? []
        #expect(jobs == ["dropledger"])

        // Every rule, alerts included, evaluates against real data without error; none fires.
        // The demo drops most of its customers' traffic on purpose, so the loss-ratio alert
        // may be pending; its 10 minutes never pass in the demo's 90 seconds.
        let groups = lookup(try prometheus.api("/api/v1/rules"), "groups") as? [[String: Any]] ?? []
        #expect(groups.count == 2)
        for rule in groups.flatMap({ $0["rules"] as? [[String: Any]] ?? [] }) {
            #expect(rule["health"] as? String == "ok", "\(rule["name"] ?? "?"): \(rule["lastError"] ?? "")")
            if rule["type"] as? String == "alerting" {
                let quiet: Set<String> = rule["name"] as? String == "DropledgerCustomerLossRatioHigh" ? ["inactive", "pending"] : ["inactive"]
                #expect(quiet.contains(rule["state"] as? String ?? "?"), "\(rule["name"] ?? "?") is \(rule["state"] ?? "?")")
            }
        }
        #expect(prometheus.log().isEmpty || !prometheus.log().contains("level=error"), "\(prometheus.log())")

        #expect(demo.stop() == 0, "demo log:\n\(demo.log())")
        #expect(demo.log().contains("The lab is removed."))
    }
}
