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
    private let api: APIResponder
    /// The last error reading each tagged interface's counters, so each is logged once.
    private let taggerErrors = Mutex<[String: String]>([:])
    private let traffic: TrafficPoller
    private let names: CustomerNamesFile?
    private let samples: SampleStore?

    init(telemetryPath: String, ledger: DropLedger, reasons: ReasonTable, buildInfo: BuildInfo, traffic: TrafficPoller,
         names: CustomerNamesFile?, samples: SampleStore?, logger: Logger) {
        self.samples = samples
        self.telemetryPath = telemetryPath
        self.ledger = ledger
        self.reasons = reasons
        self.buildInfo = buildInfo
        self.logger = logger
        self.traffic = traffic
        self.names = names
        let symbols = KernelSymbolCache(), devices = DeviceNames()
        api = APIResponder(ledger: ledger, reasons: reasons, traffic: traffic.traffic,
                           functionName: { symbols.function(containing: $0, now: WallClock.now()) },
                           deviceName: { devices.name(of: $0, now: WallClock.now()) },
                           customerName: { names?.name(of: $0) }, samples: samples)
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
        if APIRequest.isAPIPath(request.path) {
            if request.path.hasPrefix("/api/v1/customers") { traffic.poll(maxAge: 0.2) }
            let answer = api.respond(method: method, path: request.path, query: request.queryItems,
                                     accept: request.header("Accept"), now: WallClock.now())
            var response = HTTPResponse(status: answer.status, contentType: answer.contentType, body: answer.body)
            if answer.status == 405 { response.allow = "GET, HEAD" }
            return response
        }
        guard method == "GET" || method == "HEAD" else {
            var response = HTTPResponse.text(405, "method \(method) not allowed: this endpoint answers GET and HEAD\n")
            response.allow = "GET, HEAD"
            return response
        }
        switch request.path {
        case telemetryPath: return metrics(acceptEncoding: request.header("Accept-Encoding"))
        case "/": return landingPage()
        case "/-/healthy": return .text(200, "dropledger is healthy.\n")
        case "/-/ready":
            let ready = kernel.withLock { $0 != nil }
            return ready ? .text(200, "dropledger is ready.\n")
                         : .text(503, "dropledger is not ready: its BPF program is not attached.\n")
        default: return .text(404, "not found: \(request.path); metrics are at \(telemetryPath)\n")
        }
    }

    private func metrics(acceptEncoding: String?) -> HTTPResponse {
        var families = [buildInfo.family]
        if let (consumer, reader) = kernel.withLock({ $0 }) {
            families.append(MetricFamily(
                name: "dropledger_unrecorded_drops_total",
                help: "Drops whose event fitted neither a ring nor the fallback maps, so neither customer nor reason was kept.",
                type: .counter, samples: [MetricSample(value: .integer(consumer.unrecorded))]))
            families.append(MetricFamily(
                name: "dropledger_overwritten_areas_total",
                help: "Drops whose metadata area outer headers had overwritten (a packet forwarded into a tunnel); counted as customer=\"invalid\".",
                type: .counter, samples: [MetricSample(value: .integer(consumer.overwritten))]))
            families.append(MetricFamily(
                name: "dropledger_kernel_recursion_misses_total",
                help: "Drops the kernel did not show the program because it was already running on that CPU.",
                type: .counter, samples: [MetricSample(value: .integer(reader.recursionMisses))]))
            if samples != nil {
                families.append(MetricFamily(
                    name: "dropledger_samples_lost_total",
                    help: "Sampled drops the kernel had no room for in the samples ring buffer (the drops themselves are counted).",
                    type: .counter, samples: [MetricSample(value: .integer(FallbackMaps.samplesLost(reader)))]))
            }
        }
        if let samples {
            let statistics = samples.statistics
            families.append(MetricFamily(
                name: "dropledger_samples_total",
                help: "Sampled drops received from the kernel (at most --samples.rate per second per CPU); served by the API, never here.",
                type: .counter, samples: [MetricSample(value: .integer(statistics.received))]))
            families.append(MetricFamily(
                name: "dropledger_samples_customers",
                help: "Customers whose recent samples the exporter keeps (--samples.keep each).",
                type: .gauge, samples: [MetricSample(value: .integer(UInt64(statistics.customers)))]))
        }
        let (tracked, evicted) = ledger.withActivity { activity, _ in (activity.customers.count, activity.evicted) }
        families.append(MetricFamily(
            name: "dropledger_api_tracked_customers",
            help: "Customers whose drop detail the JSON API keeps (at most --api.max-customers).",
            type: .gauge, samples: [MetricSample(value: .integer(UInt64(tracked)))]))
        families.append(MetricFamily(
            name: "dropledger_api_evicted_customers_total",
            help: "Customers whose API detail was evicted, least recently dropping first, or never kept because a flood of new customers filled it before eviction ran, to bound memory (their totals stay exact).",
            type: .counter, samples: [MetricSample(value: .integer(evicted))]))
        let tagged = Tagger.taggedInterfaces()
        if !tagged.isEmpty {
            var counts: [String: [TaggerResult: UInt64]] = [:]
            for interface in tagged {
                do {
                    counts[interface] = try Tagger.counters(interface: interface)
                    taggerErrors.withLock { $0[interface] = nil }
                } catch {
                    // Once per new error, not at every scrape: its series are missing meanwhile.
                    let text = "\(error)"
                    if taggerErrors.withLock({ $0.updateValue(text, forKey: interface) }) != text {
                        logger.warning("the tagger's counters of \(interface) are missing from the metrics",
                                       metadata: ["error": "\(text)"])
                    }
                }
            }
            families.append(TaggerMetrics.family(counts))
        }
        do {
            families += ProcessMetrics.families(try ProcFiles.processStats())
        } catch {
            logger.warning("process metrics unavailable: \(error)")
        }
        let (snapshot, summed, named) = ledger.expositionNaming()
        traffic.poll(maxAge: 0.2)
        let traffic = traffic.traffic.exposition(named: named, limit: ledger.exposedCustomers)
        families += TaggedTrafficMetrics.families(traffic.series, names: names?.names ?? CustomerNames(),
                                                  named: named.union(traffic.named))
        families.append(MetricFamily(
            name: "dropledger_exposition_folded_customers",
            help: "Customers summed into customer=\"other\" in this exposition, beyond --max-customers.",
            type: .gauge, samples: [MetricSample(value: .integer(UInt64(summed)))]))
        families.append(MetricFamily(
            name: "dropledger_memory_folded_customers_total",
            help: "Customers whose counts were summed into customer=\"other\" in memory, to keep it bounded.",
            type: .counter, samples: [MetricSample(value: .integer(snapshot.customersSummedIntoOther))]))
        // Prometheus asks for gzip: rendered into two compressors at once, piece by piece.
        return HTTPCompression.metricsResponse(DropMetrics.Rendering(snapshot, reasons: reasons, with: families),
                                               acceptEncoding: acceptEncoding)
    }

    private func landingPage() -> HTTPResponse {
        let html = OverviewPage.html(telemetryPath: telemetryPath, version: buildInfo.version, kernel: buildInfo.kernel)
        return HTTPResponse(status: 200, contentType: "text/html; charset=utf-8", body: Array(html.utf8))
    }
}
