import DropledgerCore
import Logging
import Synchronization

/// Everything `dropledger serve` runs: the kernel reader, the ring consumer and
/// the HTTP endpoints, started in an order that fails fast and stopped so that
/// nothing stays in the kernel.
public final class Exporter: Sendable {
    public struct Configuration: Sendable {
        public var listenAddress: ListenAddress
        public var telemetryPath: String
        public var reader: DropReaderConfiguration
        public var version: String
        /// Customers whose drop detail the JSON API keeps.
        public var trackedCustomers: Int
        /// Customers `/metrics` names; the rest are summed into `other`.
        public var maxCustomers: Int
        /// HTTP limits and the `--web.config.file` (TLS, basic auth).
        public var http: HTTPSettings
        /// `--state-dir`: pin the kernel side there and leave it attached on exit (nil: nothing pinned).
        public var stateDirectory: String?
        /// SCHED_FIFO priority of the ring consumer's threads; 0 keeps normal scheduling.
        public var consumerPriority: Int32
        /// `--customers FILE`: names for customer IDs (reread by `reloadCustomerNames()`).
        public var customersFile: String?
        /// Names given directly instead (the demo's), when there is no file.
        public var customerNames: CustomerNames?
        /// Samples kept per customer (`--samples.keep`); the rate is `reader.samplesPerSecond`.
        public var samplesKept: Int = 32
        /// Keep the bytes after the headers too (`--samples.payload`).
        public var samplesPayload = false
        /// (customer, reason) series counted one by one (`--max-series`); past it the
        /// customers with the fewest drops are summed into `other`.
        public var maxSeries = DropLedger.defaultSeriesLimit

        public init(listenAddress: ListenAddress, telemetryPath: String, reader: DropReaderConfiguration, version: String,
                    trackedCustomers: Int = 100_000, maxCustomers: Int = 10_000, http: HTTPSettings = HTTPSettings(),
                    stateDirectory: String? = nil, consumerPriority: Int32 = 1, customersFile: String? = nil,
                    customerNames: CustomerNames? = nil) {
            self.customersFile = customersFile
            self.customerNames = customerNames
            self.consumerPriority = consumerPriority
            self.stateDirectory = stateDirectory
            self.http = http
            self.trackedCustomers = trackedCustomers
            self.maxCustomers = maxCustomers
            self.listenAddress = listenAddress
            self.telemetryPath = telemetryPath
            self.reader = reader
            self.version = version
        }
    }

    private let server: HTTPServer
    private let consumer: RingConsumer
    private let reader: KernelDropReader
    private let endpoints: Endpoints
    private let ledger: DropLedger
    private let reasons: ReasonTable
    private let poller: TrafficPoller
    private let names: CustomerNamesFile?
    private let samples: SampleConsumer?
    private let logger: Logger

    public var port: UInt16 { server.port }

    public init(configuration: Configuration, logger: Logger) throws {
        LibBPFLog.shared.install(logger: logger)
        let reasons = try KernelDropReasons.load()
        logger.debug("read \(reasons.count) drop reasons from the kernel's BTF")
        let ledger = DropLedger(trackedCustomers: configuration.trackedCustomers, seriesLimit: configuration.maxSeries,
                                exposedCustomers: configuration.maxCustomers)
        self.ledger = ledger
        self.reasons = reasons
        self.logger = logger
        let names = try configuration.customersFile.map { try CustomerNamesFile(path: $0) }
            ?? configuration.customerNames.map { CustomerNamesFile(fixed: $0, source: "the given names") }
        if let names { logger.info("read the customer names", metadata: ["file": "\(names.path)", "customers": "\(names.names.count)"]) }
        self.names = names
        let netns = configuration.reader.netnsInode
        let poller = TrafficPoller(netns: netns == 0 ? nil : netns, logger: logger)
        self.poller = poller
        let store = configuration.reader.samplesPerSecond == 0 ? nil : SampleStore(keep: configuration.samplesKept)
        let endpoints = Endpoints(telemetryPath: configuration.telemetryPath, ledger: ledger, reasons: reasons,
                                  buildInfo: BuildInfo(version: configuration.version, kernel: ProcFiles.kernelRelease),
                                  traffic: poller, names: names, samples: store, logger: logger)
        // The state directory's lock and then the port, before anything is loaded into the kernel.
        let state = try configuration.stateDirectory.map {
            try StateDirectory.claim($0, version: configuration.version, logger: logger)
        }
        server = try HTTPServer(listen: configuration.listenAddress, limits: configuration.http.limits,
                                webConfigFile: configuration.http.webConfigFile, logger: logger) { endpoints.handle($0) }
        let reader = try KernelDropReader(configuration: configuration.reader, state: state)
        self.reader = reader
        samples = try store.map { store in
            let samples = SampleConsumer(reader: reader, store: store, payload: configuration.samplesPayload)
            try samples.start(logger: logger)
            return samples
        }
        if let state = reader.state {
            if reader.resumed {
                logger.info("resuming from the state pinned in \(state.path): draining what the kernel counted meanwhile",
                            metadata: ["made_by": "dropledger \(reader.stateMadeBy ?? "?")"])
            } else {
                logger.info("pinned the program and its maps in \(state.path): they stay attached across restarts")
            }
        }
        consumer = try RingConsumer(reader: reader, ledger: ledger, logger: logger)
        try consumer.start()
        // Counting drops from here on: what the taggers tagged until now is the baseline.
        try poller.start()
        // While injectors or softirqs keep a CPU busy, a normal-priority consumer thread can
        // wait longer than that CPU's ring takes to fill (bench/RESULTS.md): it preempts them
        // instead. It sleeps between drains, and the kernel's RT throttling caps it at 95% of a CPU.
        do {
            for thread in consumer.runningThreads {
                try Threads.setRealtimePriority(thread, priority: configuration.consumerPriority)
            }
        } catch {
            logger.warning("the ring consumer runs at normal priority, so drop storms may overflow the rings (drops are still counted, without location and device)",
                           metadata: ["error": "\(error)", "fix": "grant CAP_SYS_NICE, or pass --ring-consumer-priority 0 to silence this"])
        }
        endpoints.attach(consumer: consumer, reader: reader)
        self.endpoints = endpoints
        logger.info("counting drops", metadata: [
            "listen": "\(configuration.listenAddress)", "port": "\(server.port)",
            "telemetry_path": "\(configuration.telemetryPath)", "cpus": "\(reader.possibleCPUs)",
            "ring_size": "\(configuration.reader.ringBufferSize)",
            "consumer_threads": "\(consumer.runningThreads.count)",
            "metadata_reads": "\(reader.resumed ? "as pinned" : reader.directReads ? "direct (bpf_rdonly_cast)" : "bpf_probe_read_kernel")",
            "consumer_priority": "\(configuration.consumerPriority)",
            "samples_per_second_per_cpu": "\(configuration.reader.samplesPerSecond)",
            "max_series": "\(configuration.maxSeries)",
        ])
    }

    /// The drop counts so far, by customer label and reason name, in exposition order.
    public func dropCounts() -> [(customer: String, reason: String, drops: UInt64)] {
        ledger.snapshot().counters.sorted().map { ($0.key.customer.label, reasons.name(for: $0.key.reason), $0.count.drops) }
    }

    /// Whether the program stays attached after `shutdown` (`--state-dir`).
    public var staysAttached: Bool { reader.state != nil }

    /// Capabilities the running exporter needs none of: it reads its maps and rings
    /// through descriptors it holds, `BPF_OBJ_GET_INFO_BY_FD` on them needs nothing,
    /// `/proc/kallsyms` is held open from before (see `KernelSymbolCache`), interface
    /// names in other namespaces come from the `NamespaceHelper` process, and pinned
    /// tagger maps are root-owned files it opens as their owner. `keeping` adds more.
    /// Call once everything is loaded, attached and bound. Returns what remains.
    public func dropPrivileges(keeping: [String] = []) throws -> [String] {
        KernelSymbolCache.holdKallsyms()
        return try Privileges.limit(keeping: keeping)
    }

    /// Reads `--customers FILE` again (SIGHUP). A bad file is logged with its line and
    /// the names stay as they were.
    public func reloadCustomerNames() {
        guard let names else {
            logger.info("SIGHUP: no --customers file to reread")
            return
        }
        do {
            let count = try names.reload()
            logger.info("reread the customer names on SIGHUP", metadata: ["file": "\(names.path)", "customers": "\(count)"])
        } catch {
            logger.error("kept the customer names as they were", metadata: ["error": "\(error)"])
        }
    }

    /// The tagged traffic per customer so far, read from the taggers now.
    public func taggedTraffic() -> [UInt64: TrafficCount] {
        poller.poll()
        return poller.traffic.totals()
    }

    /// Detaches from the kernel (unless `--state-dir`), drains what is left, and stops serving.
    public func shutdown() {
        endpoints.markNotReady()
        poller.stop()
        consumer.stop()
        samples?.stop()
        server.stop()
    }
}
