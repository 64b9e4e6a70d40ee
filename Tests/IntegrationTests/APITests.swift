import DropledgerCore
import Foundation
import Testing

/// The JSON API against a real exporter with real drops: exact numbers in every
/// field, sort orders, filters, the text format, every error status, rates, and
/// the eviction cap.
@Suite(.serialized, .needsFrameInjection, .enabled(if: Privilege.kernelTestsEnabled, "needs root (set DROPLEDGER_SKIP_ROOT_TESTS=1 to skip)"))
struct APITests {
    static let closed: UInt16 = 9, firewalled: UInt16 = 7777
    static let udpBytes: UInt64 = 26, firewalledBytes: UInt64 = 46  // skb->len where each drops

    static func area(_ id: UInt64) throws -> [UInt8] {
        var writer = MetadataAreaWriter()
        try writer.push(type: 1, value: MetadataTLV.customerValue(id))
        return writer.bytes
    }

    func json(_ exporter: ExporterProcess, _ path: String) throws -> (status: Int, body: [String: Any]) {
        let answer = try exporter.get(path)
        let object = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any] ?? [:]
        return (answer.status, object)
    }

    @Test func answersExactlyWhatWasDropped() throws {
        let network = try TestNetwork(tag: "api")
        try network.dropUDP(port: Self.firewalled)
        let exporter = try ExporterProcess(arguments: ["--filter.netns", network.netnsPath])
        try network.inject(metadata: Self.area(4242), count: 3000, port: Self.closed)
        try network.inject(metadata: Self.area(4242), count: 500, port: Self.firewalled)
        try network.inject(metadata: Self.area(17), count: 5000, port: Self.closed)
        try network.inject(metadata: [], count: 800, port: Self.closed)
        try network.inject(metadata: [0xff, 0, 0, 0], count: 100, port: Self.closed)
        _ = try exporter.settledSeries(expected: ["4242/NO_SOCKET": 3000, "4242/NETFILTER_DROP": 500, "17/NO_SOCKET": 5000,
                                                  "none/NO_SOCKET": 800, "invalid/NO_SOCKET": 100])

        // The list, by drops.
        let list = try json(exporter, "/api/v1/customers")
        #expect(list.status == 200)
        let customers = list.body["customers"] as? [[String: Any]] ?? []
        #expect(customers.map { $0["customer"] as? String } == ["17", "4242", "none", "invalid"])
        #expect(customers.map { $0["drops"] as? Int } == [5000, 3500, 800, 100])
        #expect(customers.map { $0["bytes"] as? Int } == [5000 * 26, 3000 * 26 + 500 * 46, 800 * 26, 100 * 26])
        let top4242 = customers[1]["top_reasons"] as? [[String: Any]] ?? []
        #expect(top4242.map { $0["reason"] as? String } == ["NO_SOCKET", "NETFILTER_DROP"])
        #expect(top4242.map { $0["drops"] as? Int } == [3000, 500])
        #expect(list.body["tracked_customers"] as? Int == 4)
        #expect(list.body["evicted_customers"] as? Int == 0)
        #expect(list.body["sort"] as? String == "drops")

        // Filters.
        let limited = try json(exporter, "/api/v1/customers?limit=2").body["customers"] as? [[String: Any]] ?? []
        #expect(limited.map { $0["customer"] as? String } == ["17", "4242"])
        let filtered = try json(exporter, "/api/v1/customers?reason=NETFILTER_DROP").body
        #expect((filtered["customers"] as? [[String: Any]])?.map { $0["customer"] as? String } == ["4242"])
        #expect((filtered["customers"] as? [[String: Any]])?.first?["drops"] as? Int == 500)
        #expect((filtered["customers"] as? [[String: Any]])?.first?["bytes"] as? Int == 500 * 46)
        #expect(filtered["reason"] as? String == "NETFILTER_DROP")

        // One customer, every field.
        let detail = try json(exporter, "/api/v1/customers/4242")
        #expect(detail.status == 200)
        #expect(detail.body["customer"] as? String == "4242")
        #expect(detail.body["drops"] as? Int == 3500)
        #expect(detail.body["bytes"] as? Int == 3000 * 26 + 500 * 46)
        #expect(detail.body["evicted"] as? Bool == false)
        let first = try #require(detail.body["first_seen"] as? String), last = try #require(detail.body["last_seen"] as? String)
        #expect(first.hasSuffix("Z") && last.hasSuffix("Z") && first <= last, "\(first) \(last)")
        let reasons = detail.body["reasons"] as? [[String: Any]] ?? []
        #expect(reasons.map { $0["reason"] as? String } == ["NO_SOCKET", "NETFILTER_DROP"])
        #expect(reasons.map { $0["drops"] as? Int } == [3000, 500])
        #expect(reasons.map { $0["bytes"] as? Int } == [3000 * 26, 500 * 46])
        let devices = detail.body["devices"] as? [[String: Any]] ?? []
        #expect(devices.count == 1)
        #expect(devices.first?["interface"] as? String == network.dev)
        #expect(devices.first?["netns_name"] as? String == network.receiver)
        #expect(devices.first?["netns"] as? Int == Int(try netnsInode(network.netnsPath)))
        #expect(devices.first?["drops"] as? Int == 3500)
        let functions = detail.body["functions"] as? [[String: Any]] ?? []
        #expect(functions.reduce(0) { $0 + ($1["drops"] as? Int ?? 0) } == 3500)
        #expect(functions.first(where: { $0["function"] as? String == "__udp4_lib_rcv" })?["drops"] as? Int == 3000,
                "functions: \(functions)")
        #expect(functions.first(where: { $0["function"] as? String == "nft_do_chain" })?["drops"] as? Int == 500)
        let rates = detail.body["rates"] as? [String: Double] ?? [:]
        #expect(Set(rates.keys) == ["10s", "1m", "5m"])

        // none and invalid are addressable like customers.
        #expect(try json(exporter, "/api/v1/customers/none").body["drops"] as? Int == 800)
        #expect(try json(exporter, "/api/v1/customers/invalid").body["drops"] as? Int == 100)

        // Reasons with their top customers.
        let byReason = try json(exporter, "/api/v1/reasons").body["reasons"] as? [[String: Any]] ?? []
        #expect(byReason.map { $0["reason"] as? String } == ["NO_SOCKET", "NETFILTER_DROP"])
        #expect(byReason.map { $0["drops"] as? Int } == [8900, 500])
        let noSocketTop = byReason.first?["top_customers"] as? [[String: Any]] ?? []
        #expect(noSocketTop.map { $0["customer"] as? String } == ["17", "4242", "none", "invalid"])
        #expect(noSocketTop.map { $0["drops"] as? Int } == [5000, 3000, 800, 100])

        // Text for humans: Accept header or ?format=text.
        let table = try exporter.get("/api/v1/customers?format=text")
        #expect(table.headers["content-type"] == "text/plain; charset=utf-8")
        let lines = table.body.split(separator: "\n")
        #expect(lines.dropFirst().first?.split(separator: " ", omittingEmptySubsequences: true).prefix(4) == ["CUSTOMER", "NAME", "DROPS", "BYTES"])
        #expect(lines.contains { $0.hasPrefix("4242 ") && $0.contains("  3500  ") })
        let detailText = try exporter.get("/api/v1/customers/4242", headers: ["Accept": "text/plain"])
        #expect(detailText.body.hasPrefix("customer 4242: 3500 drops, \(3000 * 26 + 500 * 46) bytes\n"))
        #expect(detailText.body.contains("__udp4_lib_rcv"))

        // dropledger show prints the same.
        let show = try Command.capture([Binaries.dropledger, "show", "4242", "--url", "http://127.0.0.1:\(exporter.port)"])
        #expect(show.status == 0)
        #expect(show.stdout == detailText.body.replacingOccurrences(of: "\r\n", with: "\n") || show.stdout.hasPrefix("customer 4242: 3500 drops"))
        let missing = try Command.capture([Binaries.dropledger, "show", "999", "--url", "http://127.0.0.1:\(exporter.port)"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("404") && missing.stderr.contains("customer 999 has no drops"), "\(missing.stderr)")
    }

    @Test(arguments: [
        ("/api/v1/customers/abc", 400, "is not a customer"),
        ("/api/v1/customers/-1", 400, "is not a customer"),
        ("/api/v1/customers/18446744073709551616", 400, "is not a customer"),
        ("/api/v1/customers?limit=0", 400, "limit must be"),
        ("/api/v1/customers?limit=ten", 400, "limit must be"),
        ("/api/v1/customers?sort=bytes", 400, "sort must be drops, rate or loss"),
        ("/api/v1/customers?reason=NO_SUCH_REASON", 400, "unknown reason"),
        ("/api/v1/customers?color=red", 400, "unknown query parameter 'color'"),
        ("/api/v1/customers?limit=1&limit=2", 400, "given twice"),
        ("/api/v1/customers?format=xml", 400, "format must be json or text"),
        ("/api/v1/customers/12345", 404, "customer 12345 has no drops"),
        ("/api/v1/nope", 404, "no such API path"),
    ])
    func rejectsBadRequests(path: String, status: Int, message: String) throws {
        let exporter = try Self.idleExporter()
        let answer = try exporter.get(path)
        #expect(answer.status == status)
        #expect(answer.headers["content-type"] == "application/json; charset=utf-8")
        let body = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any] ?? [:]
        #expect(body["status"] as? Int == status)
        #expect((body["error"] as? String)?.contains(message) == true, "\(answer.body)")
    }

    @Test func rejectsOtherMethods() throws {
        let exporter = try Self.idleExporter()
        for method in ["POST", "PUT", "DELETE"] {
            let result = try Command.capture(["curl", "-s", "-i", "-X", method, "http://127.0.0.1:\(exporter.port)/api/v1/customers"])
            #expect(result.stdout.hasPrefix("HTTP/1.1 405"), "\(method): \(result.stdout)")
            #expect(result.stdout.contains("Allow: GET, HEAD"))
            #expect(result.stdout.contains("\"status\" : 405"))
        }
    }

    @Test func ratesFollowTheInjectedRate() throws {
        let network = try TestNetwork(tag: "rate")
        let exporter = try ExporterProcess(arguments: ["--filter.netns", network.netnsPath])
        try network.inject(metadata: Self.area(5), count: 20_000, port: Self.closed)  // an earlier burst, no longer "current"
        Thread.sleep(forTimeInterval: 11)
        // A steady stream for 13 s: bursts of 400 every 0.2 s.
        let area = try Self.area(6), start = Date()
        var sent = 0
        while Date().timeIntervalSince(start) < 13 {
            try network.inject(metadata: area, count: 400, port: Self.closed)
            sent += 400
            let next = start.addingTimeInterval(Double(sent / 400) * 0.2)
            if next > Date() { Thread.sleep(until: next) }
        }
        let injectedRate = Double(sent) / Date().timeIntervalSince(start)
        let detail = try json(exporter, "/api/v1/customers/6").body
        let rate10s = (detail["rates"] as? [String: Double])?["10s"] ?? 0
        // Stated tolerance: 15 % (bursts land on second boundaries; injection timing jitters).
        #expect(abs(rate10s - injectedRate) / injectedRate < 0.15, "10 s rate \(rate10s), injected \(injectedRate)/s")
        let rate1m = (detail["rates"] as? [String: Double])?["1m"] ?? 0
        #expect(rate1m > 0 && rate1m < rate10s, "1 min rate \(rate1m) covers time before the stream started")
        let byRate = try json(exporter, "/api/v1/customers?sort=rate").body["customers"] as? [[String: Any]] ?? []
        #expect(byRate.map { $0["customer"] as? String } == ["6", "5"], "the earlier burst has no current rate")
        let byDrops = try json(exporter, "/api/v1/customers").body["customers"] as? [[String: Any]] ?? []
        #expect(byDrops.first?["customer"] as? String == (sent > 20_000 ? "6" : "5"))
        #expect((byRate.last?["rate"] as? Double) == 0)
    }

    @Test func evictsTheLeastRecentlyDroppingBeyondTheCap() throws {
        let network = try TestNetwork(tag: "evct")
        let exporter = try ExporterProcess(arguments: ["--filter.netns", network.netnsPath, "--api.max-customers", "10"])
        for id in UInt64(1000)..<1030 {
            try network.inject(metadata: Self.area(id), count: 10, port: Self.closed)
            Thread.sleep(forTimeInterval: 0.12)  // a batch of its own: a later last_seen than the one before
        }
        var expected: [String: UInt64] = [:]
        for id in 1000..<1030 { expected["\(id)/NO_SOCKET"] = 10 }
        #expect(try exporter.settledSeries(expected: expected) == expected, "metrics keep every customer exactly")
        let list = try json(exporter, "/api/v1/customers?limit=100").body
        let tracked = list["tracked_customers"] as? Int ?? -1, evicted = list["evicted_customers"] as? Int ?? -1
        #expect(tracked <= 10 && tracked >= 9, "tracked \(tracked)")
        #expect(tracked + evicted == 30)
        let rows = list["customers"] as? [[String: Any]] ?? []
        let kept = Set(rows.compactMap { $0["customer"] as? String })
        #expect(kept == Set((1030 - tracked..<1030).map(String.init)), "the most recent stay: \(kept.sorted())")
        #expect(rows.allSatisfy { $0["drops"] as? Int == 10 }, "\(rows)")
        // An evicted customer still has its exact totals, without the detail.
        let early = try json(exporter, "/api/v1/customers/1000")
        #expect(early.status == 200)
        #expect(early.body["evicted"] as? Bool == true)
        #expect(early.body["drops"] as? Int == 10)
        #expect(early.body["first_seen"] == nil)
        let metrics = try exporter.metrics()
        #expect(metrics["dropledger_api_evicted_customers_total"] == Double(evicted))
        #expect(metrics["dropledger_api_tracked_customers"] == Double(tracked))
    }

    @Test func topShowsCustomersLiveAndQuitsOnQ() throws {
        let network = try TestNetwork(tag: "top")
        let exporter = try ExporterProcess(arguments: ["--filter.netns", network.netnsPath])
        try network.inject(metadata: Self.area(31337), count: 2000, port: Self.closed)
        _ = try exporter.settledSeries(expected: ["31337/NO_SOCKET": 2000])
        let pane = try TmuxPane("\(Binaries.dropledger) top --interval 0.3 --url http://127.0.0.1:\(exporter.port); echo TOP-EXITED $?; sleep 30")
        var screen = try pane.screen { $0.contains("31337") }
        #expect(screen.contains("dropledger top"), "\(screen)")
        #expect(screen.contains("CUSTOMER") && screen.contains("31337") && screen.contains("NO_SOCKET 2000"), "\(screen)")
        try pane.send(keys: "q")
        screen = try pane.screen(tries: 25) { $0.contains("TOP-EXITED") }
        #expect(screen.contains("TOP-EXITED 0"), "q quits and restores the screen: \(screen)")
        #expect(!screen.contains("CUSTOMER"), "the alternate screen is gone: \(screen)")
    }

    /// For requests that fail before any data is read.
    static func idleExporter() throws -> ExporterProcess { try ExporterProcess(arguments: []) }

    func netnsInode(_ path: String) throws -> UInt64 {
        (try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0
    }
}
