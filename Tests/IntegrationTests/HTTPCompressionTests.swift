import Foundation
import Testing

/// gzip on the wire: a real exporter, real drops, and curl as the scraper (Prometheus
/// sends `Accept-Encoding: gzip`). Only the bytes and headers are checked, never timing.
@Suite(.serialized, .needsFrameInjection, .enabled(if: Privilege.kernelTestsEnabled, "needs root (set DROPLEDGER_SKIP_ROOT_TESTS=1 to skip)"))
struct HTTPCompressionTests {
    /// An exporter counting the drops of a few customers, so /metrics is worth compressing.
    static func exporterWithDrops() throws -> (TestNetwork, ExporterProcess, [String: UInt64]) {
        let network = try TestNetwork(tag: "gzip")
        let exporter = try ExporterProcess(arguments: ["--filter.netns", network.netnsPath])
        var expected: [String: UInt64] = [:]
        for (index, customer) in [17, 4242, 90001, 123_456_789].enumerated() {
            try network.exec(network.receiver, [Binaries.inject, "--interface", network.dev, "--count", String(10 + index),
                                                "--customer", String(customer), "--dst", network.receiverAddress,
                                                "--src", network.peerAddress, "--dport", "9"])
            expected["\(customer)/NO_SOCKET"] = UInt64(10 + index)
        }
        return (network, exporter, expected)
    }

    /// Headers only (`curl -D -`), with the request's Accept-Encoding as given.
    static func headers(_ exporter: ExporterProcess, _ path: String, acceptEncoding: String?) throws -> [String: String] {
        var args = ["curl", "-sS", "--max-time", "10", "-D", "-", "-o", "/dev/null"]
        if let acceptEncoding { args += ["-H", "Accept-Encoding: \(acceptEncoding)"] }
        let text = try Command.run(args + ["http://127.0.0.1:\(exporter.port)\(path)"])
        var fields: [String: String] = [:]
        for line in text.components(separatedBy: "\r\n").dropFirst() {
            if let colon = line.firstIndex(of: ":") {
                fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return fields
    }

    /// The drop series of an exposition text, by `customer/reason`.
    static func dropSeries(_ text: String) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("dropledger_drops_total{") {
            guard let match = line.firstMatch(of: /customer="([^"]*)",reason="([^"]*)"} (\d+)/) else { continue }
            result["\(match.output.1)/\(match.output.2)"] = UInt64(match.output.3)
        }
        return result
    }

    @Test func metricsAreGzippedWhenTheScraperAcceptsIt() throws {
        let (network, exporter, expected) = try Self.exporterWithDrops()
        defer { withExtendedLifetime(network) {} }
        #expect(try exporter.settledSeries(expected: expected) == expected)

        let gzipped = try Self.headers(exporter, "/metrics", acceptEncoding: "gzip")
        #expect(gzipped["content-encoding"] == "gzip")
        #expect(gzipped["vary"] == "Accept-Encoding")
        #expect(gzipped["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)

        // What Prometheus sends, with weights.
        #expect(try Self.headers(exporter, "/metrics", acceptEncoding: "deflate;q=0.5, gzip;q=1.0")["content-encoding"] == "gzip")
        #expect(try Self.headers(exporter, "/metrics", acceptEncoding: "*")["content-encoding"] == "gzip")

        // Not accepted: plain, but still says it varies.
        for refused in [nil, "identity", "gzip;q=0", "br"] as [String?] {
            let plain = try Self.headers(exporter, "/metrics", acceptEncoding: refused)
            #expect(plain["content-encoding"] == nil, "Accept-Encoding: \(refused ?? "(none)")")
            #expect(plain["vary"] == "Accept-Encoding")
        }

        // curl --compressed decodes to the same exposition as a plain scrape.
        let url = "http://127.0.0.1:\(exporter.port)/metrics"
        let decoded = try Command.run(["curl", "-sS", "--max-time", "10", "--compressed", url])
        let plain = try Command.run(["curl", "-sS", "--max-time", "10", "-H", "Accept-Encoding: identity", url])
        #expect(Self.dropSeries(decoded) == expected)
        #expect(Self.dropSeries(plain) == expected)
        let lint = try Command.capture(["promtool", "check", "metrics"], input: decoded)
        #expect(lint.status == 0, "promtool: \(lint.stdout)\(lint.stderr)")

        // The compressed body is a gzip stream, and smaller.
        let raw = try Command.capture(["sh", "-c", "curl -sS --max-time 10 -H 'Accept-Encoding: gzip' \(url) | gzip -dc | wc -c; "
                                       + "curl -sS --max-time 10 -H 'Accept-Encoding: gzip' \(url) | wc -c"])
        let sizes = raw.stdout.split(separator: "\n").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        #expect(sizes.count == 2 && sizes[1] < sizes[0], "decoded and compressed sizes: \(raw.stdout)\(raw.stderr)")

        // Small answers are not worth it: sent as they are, without Vary.
        let health = try Self.headers(exporter, "/-/healthy", acceptEncoding: "gzip")
        #expect(health["content-encoding"] == nil)
        #expect(health["vary"] == nil)

        #expect(exporter.stop() == 0, "exporter log:\n\(exporter.log())")
    }
}
