import Foundation
import Testing

/// Bad input and missing privileges get one clear line and a non-zero exit.
@Suite(.serialized, .enabled(if: Privilege.kernelTestsEnabled, "needs root (set DROPLEDGER_SKIP_ROOT_TESTS=1 to skip)"))
struct CommandLineTests {
    static func run(_ arguments: [String]) throws -> Command.Result {
        try Command.capture(["timeout", "20", Binaries.dropledger] + arguments)
    }

    @Test(arguments: [
        (["--ring-size", "1000"], "--ring-size must be a power of two"),
        (["--ring-size", "lots"], "ring-size"),
        (["--customer-tlv-type", "300"], "customer-tlv-type"),
        (["--customer-tlv-type", "0"], "--customer-tlv-type 0 is taken"),
        (["tag", "--interface", "lo", "--prefix", "192.0.2.0/24=1", "--customer-tlv-type", "0"], "--customer-tlv-type 0 is taken"),
        (["--ring-consumer-priority", "100"], "--ring-consumer-priority must be 0 (normal scheduling) or a SCHED_FIFO priority from 1 to 99, got 100"),
        (["--ring-consumer-priority", "-1"], "ring-consumer-priority"),
        (["--ringbuf-size", "1000"], "--ring-size must be a power of two"),
        (["--web.listen-address", "10437"], "has no port"),
        (["--web.listen-address", ":99999"], "larger than 65535"),
        (["--web.telemetry-path", "metrics"], "--web.telemetry-path must be a plain path"),
        (["--web.telemetry-path", "/api/v1"], "--web.telemetry-path /api/v1 is taken by another endpoint"),
        (["--web.telemetry-path", "/api/v1/metrics"], "--web.telemetry-path /api/v1/metrics is taken by another endpoint"),
        (["--web.telemetry-path", "/-/metrics"], "--web.telemetry-path /-/metrics is taken by another endpoint"),
        (["--web.telemetry-path", "/m%65trics"], "--web.telemetry-path must not contain %, got '/m%65trics'"),
        (["--ring-size", "64KiB", "--ringbuf-size", "64KiB"], "keep --ring-size only"),
        (["--ring-consumer-priority", "0", "--ringbuf-consumer-priority", "0"], "keep --ring-consumer-priority only"),
        (["--xdp-mode", "generic"], "--xdp-mode needs --tag INTERFACE"),
        (["--web.listen-address", "[::1:10437"], "Usage: dropledger serve"),
        (["--log.level", "loud"], "log.level"),
        (["--web.max-connections-per-ip", "0"], "--web.max-connections-per-ip must be from 1 to --web.max-connections (64), got 0"),
        (["--web.max-connections", "8", "--web.max-connections-per-ip", "9"], "--web.max-connections-per-ip must be from 1 to --web.max-connections (8), got 9"),
        (["--max-series", "100"], "--max-series must be at least 1024 (it bounds memory; the default is 262144)"),
        (["--max-series", "4096"], "--max-customers 10000 must be at most half of --max-series 4096"),
        (["--max-customers", "200000"], "raise --max-series to at least 400000 or lower --max-customers"),
        (["--filter.netns", "/nonexistent/netns"], "reading network namespace /nonexistent/netns"),
        (["--no-such-flag"], "no-such-flag"),
        (["--customers", "/nonexistent/customers"], "reading the customer names: opening /nonexistent/customers: No such file or directory"),
        (["top", "--sort", "bytes"], "The value 'bytes' is invalid for '--sort <sort>'"),
    ])
    func rejectsBadFlags(arguments: [String], message: String) throws {
        let result = try Self.run(arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "stderr: \(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"), "must not crash: \(result.stderr)")
    }

    /// A bad line of `--customers FILE` stops the start, named by file and line.
    @Test func rejectsABadCustomersFileByLine() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dl-customers-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try "# names\n101 acme-video\n101 again\n".write(to: file, atomically: true, encoding: .utf8)
        let result = try Self.run(["--web.listen-address", "127.0.0.1:0", "--customers", file.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(file.path):3: customer 101 is already named on line 2"), "stderr: \(result.stderr)")
    }

    /// The flags' names before 0.2 still work, and say what to use instead.
    @Test func deprecatedRingFlagsStillWork() throws {
        let exporter = try ExporterProcess(arguments: ["--ringbuf-size", "64KiB", "--ringbuf-consumer-priority", "0"])
        let log = exporter.log()
        #expect(log.contains("--ringbuf-size is deprecated: use --ring-size"), "\(log)")
        #expect(log.contains("--ringbuf-consumer-priority is deprecated: use --ring-consumer-priority"), "\(log)")
        #expect(log.contains("ring_size=65536"), "\(log)")
        #expect(log.contains("consumer_priority=0"), "\(log)")
        #expect(log.contains("max_series=262144"), "the default bound: \(log)")
        #expect(exporter.stop() == 0)
    }

    @Test func reportsAPortInUse() throws {
        let holder = try ExporterProcess(arguments: [])
        let result = try Self.run(["--web.listen-address", "127.0.0.1:\(holder.port)"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("Address already in use"), "stderr: \(result.stderr)")
        #expect(result.stderr.contains("--web.listen-address"))
    }

    @Test func explainsMissingPrivileges() throws {
        let result = try Command.capture(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                          "--inh-caps=-all", "--bounding-set=-all",
                                          Binaries.dropledger, "--web.listen-address", "127.0.0.1:0"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("CAP_BPF"), "stderr: \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count <= 2, "one clear line: \(result.stderr)")
    }

    @Test func servesHealthReadinessLandingAndErrors() throws {
        let exporter = try ExporterProcess(arguments: ["--web.telemetry-path", "/custom-metrics"])
        #expect(try exporter.get("/-/healthy").status == 200)
        #expect(try exporter.get("/-/ready").status == 200)
        let landing = try exporter.get("/")
        #expect(landing.status == 200)
        #expect(landing.body.contains("href=\"./custom-metrics\""))
        let metrics = try exporter.get("/custom-metrics")
        #expect(metrics.status == 200)
        #expect(metrics.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(metrics.body.contains("dropledger_build_info{version="))
        #expect(try exporter.get("/metrics").status == 404)
        let post = try Command.capture(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                                        "http://127.0.0.1:\(exporter.port)/custom-metrics"])
        #expect(post.stdout == "405")
        #expect(exporter.stop() == 0)
    }
}
