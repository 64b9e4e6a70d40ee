import Foundation
import Testing

/// `/`, the live overview a person opens during an incident, loaded in a real headless
/// Chromium: what it shows once its polls of the JSON API ran, with the demo's customers
/// and through basic auth, and that it needs nothing from the internet.
@Suite(.serialized, .enabled(if: Privilege.kernelTestsEnabled, "needs root (set DROPLEDGER_SKIP_ROOT_TESTS=1 to skip)"))
struct OverviewPageTests {
    /// The demo's three customers: names, non-zero loss ratios, no error. The demo runs
    /// here where the host kernel lets the tagger run; elsewhere `make test` runs it in
    /// Debian's 6.12 under qemu and hands this test its forwarded URL
    /// (DROPLEDGER_DEMO_URL, Tests/kernels/page-demo.sh): Chromium stays on the host.
    @Test(.enabled(if: GuestDemo.url != nil || HostKernel.tagsPackets,
                   "the host kernel refuses bpf_xdp_adjust_meta to XDP programs: make test runs this against the demo in 6.12 (Tests/kernels/page-demo.sh)"))
    func showsTheDemoCustomersWithNamesAndLoss() throws {
        let browser = try HeadlessChromium()
        let demo = GuestDemo.url == nil ? try ExporterProcess(subcommand: "demo", arguments: ["--duration", "90"]) : nil
        defer { demo?.stop() }
        let base = GuestDemo.url ?? "http://127.0.0.1:\(demo?.port ?? 0)"
        let names = ["101": "acme-video", "202": "globex-shop", "303": "initech-api"]
        // Until each has drops and a loss ratio; the page shows what the API has then.
        let deadline = Date.deadline(45)
        var customers: [[String: Any]] = []
        while Date() < deadline {
            customers = try Self.customers(base)
            let ready = customers.filter { ($0["drops"] as? Int ?? 0) > 0 && ($0["loss_ratio"] as? Double ?? 0) > 0 }
            if Set(ready.compactMap { $0["customer"] as? String }).isSuperset(of: names.keys) { break }
            Thread.sleep(forTimeInterval: 0.5)
        }

        let url = base + "/"
        let page = OverviewDOM(try browser.dom(url))
        let after = try Self.customers(base)
        func drops(_ list: [[String: Any]], _ id: String) -> UInt64? {
            (list.first { $0["customer"] as? String == id }?["drops"] as? Int).map(UInt64.init)
        }
        #expect(page.error == nil, "error banner: \(page.error ?? "")")
        for (id, name) in names.sorted(by: { $0.key < $1.key }) {
            let row = try #require(page.rows[id], "no row for customer \(id); rows \(page.rows.keys.sorted()); API: \(customers)")
            #expect(row.name == name, "customer \(id)")
            // The page shows the API's counts of that moment: between the readings before and after it.
            let (before, later) = (drops(customers, id) ?? .max, drops(after, id) ?? 0)
            #expect(row.drops.map { before <= $0 && $0 <= later } == true,
                    "customer \(id): the page shows \(row.drops as Any) drops, the API \(before) before and \(later) after")
            #expect(row.lossRatio.map { $0 > 0 } == true, "customer \(id): loss ratio \(row.lossRatio as Any)")
            #expect(row.loss.hasSuffix("%") && row.loss != "0 %", "customer \(id): loss cell '\(row.loss)'")
            #expect((row.drops ?? 0) > 0, "customer \(id): drops \(row.drops as Any)")
            // Its loss is its drops over its tagged packets, as the row shows them.
            if let drops = row.drops, let tagged = row.tagged, tagged > 0, let ratio = row.lossRatio {
                #expect(abs(ratio - Double(drops) / Double(tagged)) < 1e-12, "customer \(id): \(ratio) for \(drops) / \(tagged)")
            } else {
                Issue.record("customer \(id): drops \(row.drops as Any), tagged \(row.tagged as Any), loss \(row.lossRatio as Any)")
            }
        }
        #expect(page.detailCustomer != nil, "the detail pane shows the top customer")

        let screenshot = try browser.screenshot(url, name: "overview.png")
        #expect((try FileManager.default.attributesOfItem(atPath: screenshot)[.size] as? Int ?? 0) > 10_000)
    }

    /// A server with basic auth (no tagger: the drops are `none`'s). Chromium takes the
    /// credentials in the URL; the page's fetches strip them from their URLs (fetch refuses
    /// URLs with credentials) and the browser's auth cache sends them with each request.
    @Test func showsDropsThroughBasicAuth() throws {
        let browser = try HeadlessChromium()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dropledger-page-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("web.yml").path
        let (user, password) = ("oncall", "pager-duty")
        try "basic_auth_users:\n  \(user): \(try TLSAuthTests.bcrypt(user, password))\n"
            .write(toFile: config, atomically: true, encoding: .utf8)

        let namespace = "dlt-\(getpid() % 100000)-page"
        try TestNetwork.addQuietNamespace(namespace)
        defer { _ = try? Command.capture(["ip", "netns", "del", namespace]) }
        let exporter = try ExporterProcess(arguments: ["--web.config.file", config, "--filter.netns", "/run/netns/\(namespace)"])
        defer { exporter.stop() }
        let credentials = ["Authorization": "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()]

        // UDP to a closed port on the namespace's loopback: NO_SOCKET, untagged.
        let sent = 200
        try TestNetwork.script(namespace, "for ((i = 0; i < \(sent); i++)); do printf x >/dev/udp/127.0.0.1/9; done")
        let deadline = Date.deadline(15)
        while Date() < deadline {
            let none = try Self.customers(exporter, headers: credentials).first { $0["customer"] as? String == "none" }
            if (none?["drops"] as? Int ?? 0) >= sent { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        // Only with credentials: the rows below can only have come through authenticated fetches.
        #expect(try exporter.get("/api/v1/customers").status == 401)

        let html = try exporter.get("/", headers: credentials)
        #expect(html.status == 200)
        #expect(html.headers["content-type"] == "text/html; charset=utf-8")
        Self.expectSelfContained(html.body)

        let url = "http://\(user):\(password)@127.0.0.1:\(exporter.port)/"
        let page = OverviewDOM(try browser.dom(url))
        #expect(page.error == nil, "error banner: \(page.error ?? "")")
        let none = try #require(page.rows["none"], "no row for customer none; rows \(page.rows.keys.sorted())\nlog:\n\(exporter.log())")
        #expect((none.drops ?? 0) >= UInt64(sent), "drops \(none.drops as Any)")
        #expect(none.name == "—")
        #expect(page.detailCustomer == "none", "the detail pane shows the top customer")
        #expect(page.detailReasons.contains("NO_SOCKET"), "detail reasons: \(page.detailReasons)")

        try browser.screenshot(url, name: "overview-basic-auth.png")
    }

    /// Nothing loaded from elsewhere: no src or href with a scheme (other than data:) or a
    /// network-path reference, no CSS url() or @import, and the only absolute URL in the
    /// document is the SVG namespace (a name, never fetched).
    static func expectSelfContained(_ html: String) {
        for match in html.matches(of: /(?i)\b(src|href)\s*=\s*["']?([^"'\s>]*)/) {
            let target = String(match.output.2)
            let external = target.hasPrefix("//") || (target.firstMatch(of: /^[A-Za-z][A-Za-z0-9+.\-]*:/) != nil
                                                      && !target.lowercased().hasPrefix("data:"))
            #expect(!external, "\(match.output.1)=\"\(target)\" is not relative")
        }
        #expect(!html.contains("@import") && html.firstMatch(of: /url\(/) == nil, "CSS loads a resource")
        let absolute = Set(html.matches(of: /(?i)https?:\/\/[^\s"'`<>)]+/).map { String($0.output) })
        #expect(absolute.isSubset(of: ["http://www.w3.org/2000/svg"]), "absolute URLs: \(absolute.sorted())")
        #expect(html.contains("Content-Security-Policy"), "the page states its policy")
    }

    static func customers(_ exporter: ExporterProcess, headers: [String: String] = [:]) throws -> [[String: Any]] {
        try customers(json: exporter.get("/api/v1/customers?limit=20", headers: headers).body)
    }

    /// The same from any exporter's base URL.
    static func customers(_ base: String) throws -> [[String: Any]] {
        try customers(json: Command.run(["curl", "-sS", "--fail", "--max-time", "20", base + "/api/v1/customers?limit=20"]))
    }

    private static func customers(json body: String) throws -> [[String: Any]] {
        let list = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        return list?["customers"] as? [[String: Any]] ?? []
    }
}

/// A demo running elsewhere (a guest kernel; see Tests/kernels/page-demo.sh), by the
/// base URL that reaches it from here.
enum GuestDemo {
    static let url: String? = {
        guard let url = ProcessInfo.processInfo.environment["DROPLEDGER_DEMO_URL"], !url.isEmpty else { return nil }
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }()
}

/// What Chromium's `--dump-dom` shows of the page: the customer rows
/// (`<tr data-customer>` with cells of classes name, rate, loss, drops), the error
/// banner and the detail pane.
struct OverviewDOM {
    struct Row {
        let name: String
        let loss: String
        /// The ratio the loss cell shows (its `data-value`), nil when it shows none.
        let lossRatio: Double?
        let drops: UInt64?
        let tagged: UInt64?
    }

    let rows: [String: Row]
    /// The banner's text when it is shown.
    let error: String?
    let detailCustomer: String?
    let detailReasons: [String]

    init(_ dom: String) {
        var rows: [String: Row] = [:]
        for match in dom.matches(of: /<tr data-customer="([^"]*)"[^>]*>(.*?)<\/tr>/.dotMatchesNewlines()) {
            let cells = String(match.output.2)
            rows[String(match.output.1)] = Row(
                name: Self.cell(cells, "name")?.text ?? "",
                loss: Self.cell(cells, "loss")?.text ?? "",
                lossRatio: Self.cell(cells, "loss")?.value.flatMap(Double.init),
                drops: Self.cell(cells, "drops")?.value.flatMap(UInt64.init),
                tagged: Self.cell(cells, "tagged")?.value.flatMap(UInt64.init))
        }
        self.rows = rows
        if let banner = dom.firstMatch(of: /<div id="error"([^>]*)>(.*?)<\/div>/.dotMatchesNewlines()),
           !banner.output.1.contains("hidden") {
            error = Self.text(String(banner.output.2))
        } else {
            error = nil
        }
        detailCustomer = dom.firstMatch(of: /<section id="detail"[^>]*data-customer="([^"]*)"/).map { String($0.output.1) }
        detailReasons = dom.matches(of: /<tr data-reason="([^"]*)"/).map { String($0.output.1) }
    }

    /// The first `<td>` whose classes include `name`: its text and `data-value`.
    private static func cell(_ html: String, _ name: String) -> (text: String, value: String?)? {
        for match in html.matches(of: /<td class="([^"]*)"([^>]*)>(.*?)<\/td>/.dotMatchesNewlines())
        where match.output.1.split(separator: " ").contains(Substring(name)) {
            let value = match.output.2.firstMatch(of: /data-value="([^"]*)"/).map { String($0.output.1) }
            return (text(String(match.output.3)), value)
        }
        return nil
    }

    private static func text(_ html: String) -> String {
        html.replacing(/<[^>]*>/, with: "").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
