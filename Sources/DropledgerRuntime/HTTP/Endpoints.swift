import DropledgerCore
import Logging
import Synchronization

/// The exporter's HTTP surface: `/metrics` (configurable), `/`, `/-/healthy`, `/-/ready`.
final class Endpoints: Sendable {
    private let telemetryPath: String
    private let ledger: DropLedger
    private let reasons: ReasonTable
    private let buildInfo: BuildInfo
    private let logger: Logger
    private let kernel = Mutex<(consumer: RingConsumer, reader: KernelDropReader)?>(nil)

    init(telemetryPath: String, ledger: DropLedger, reasons: ReasonTable, buildInfo: BuildInfo, logger: Logger) {
        self.telemetryPath = telemetryPath
        self.ledger = ledger
        self.reasons = reasons
        self.buildInfo = buildInfo
        self.logger = logger
    }

    /// Ready from here on: the program is attached and the consumer runs.
    func attach(consumer: RingConsumer, reader: KernelDropReader) {
        kernel.withLock { $0 = (consumer, reader) }
    }

    func markNotReady() {
        kernel.withLock { $0 = nil }
    }

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        let method = request.method
        guard method == "GET" || method == "HEAD" else {
            var response = HTTPResponse.text(405, "method \(method) not allowed: this endpoint answers GET and HEAD\n")
            response.allow = "GET, HEAD"
            return response
        }
        switch request.path {
        case telemetryPath: return metrics()
        case "/": return landingPage()
        case "/-/healthy": return .text(200, "dropledger is healthy.\n")
        case "/-/ready":
            let ready = kernel.withLock { $0 != nil }
            return ready ? .text(200, "dropledger is ready.\n")
                         : .text(503, "dropledger is not ready: its BPF program is not attached.\n")
        default: return .text(404, "not found: \(request.path); metrics are at \(telemetryPath)\n")
        }
    }

    private func metrics() -> HTTPResponse {
        var families = [buildInfo.family]
        if let (consumer, reader) = kernel.withLock({ $0 }) {
            families.append(MetricFamily(
                name: "dropledger_unrecorded_drops_total",
                help: "Drops whose event fitted neither a ring buffer nor the fallback maps, so neither customer nor reason was kept.",
                type: .counter, samples: [MetricSample(value: .integer(consumer.unrecorded))]))
            families.append(MetricFamily(
                name: "dropledger_kernel_recursion_misses_total",
                help: "Drops the kernel did not show the program because it was already running on that CPU.",
                type: .counter, samples: [MetricSample(value: .integer(reader.recursionMisses))]))
        }
        let tagged = Tagger.taggedInterfaces()
        if !tagged.isEmpty {
            var counts: [String: [TaggerResult: UInt64]] = [:]
            for interface in tagged { counts[interface] = try? Tagger.counters(interface: interface) }
            families.append(TaggerMetrics.family(counts))
        }
        do {
            families += ProcessMetrics.families(try ProcFiles.processStats())
        } catch {
            logger.warning("process metrics unavailable: \(error)")
        }
        let body = DropMetrics.render(ledger.snapshot(), reasons: reasons, with: families)
        return HTTPResponse(status: 200, contentType: PrometheusText.contentType, body: body)
    }

    private func landingPage() -> HTTPResponse {
        let html = """
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><title>dropledger</title></head>
        <body>
        <h1>dropledger</h1>
        <p>Kernel packet drops, attributed to customers by their metadata TLV, counted exactly.</p>
        <ul>
        <li><a href="\(telemetryPath)">\(telemetryPath)</a>: Prometheus metrics</li>
        <li><a href="/-/healthy">/-/healthy</a> and <a href="/-/ready">/-/ready</a>: health checks</li>
        </ul>
        <p>version \(buildInfo.version), kernel \(buildInfo.kernel)</p>
        </body></html>

        """
        return HTTPResponse(status: 200, contentType: "text/html; charset=utf-8", body: Array(html.utf8))
    }
}
