import ArgumentParser
import DropledgerCore
import DropledgerRuntime
import Glibc
import Logging

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Count drops per customer and reason, and serve them as Prometheus metrics (the default).")

    @Option(name: .customLong("web.listen-address"),
            help: "Address to serve metrics on: [host]:port, ':port' for every address.")
    var listenAddress: String = ":10437"

    @Option(name: .customLong("web.telemetry-path"), help: "Path under which to expose metrics.")
    var telemetryPath: String = "/metrics"

    @Option(name: .customLong("web.config.file"),
            help: ArgumentHelp("Web config (Prometheus exporter-toolkit format) for TLS and basic auth.", valueName: "file"))
    var webConfigFile: String?

    @Option(name: .customLong("web.connection-timeout"),
            help: ArgumentHelp("Seconds after which an idle or too slow connection is closed.", valueName: "seconds"))
    var connectionTimeout: UInt32 = HTTPLimits().connectionTimeoutSeconds

    @Option(name: .customLong("web.max-connections"), help: "Concurrent HTTP connections; more wait until one closes.")
    var maxConnections: UInt32 = HTTPLimits().connectionLimit

    @Option(name: .customLong("web.max-connections-per-ip"),
            help: ArgumentHelp("Concurrent HTTP connections from one IP address; more are closed at once, so one host cannot hold every connection. Default: a quarter of --web.max-connections.",
                               valueName: "n"))
    var maxConnectionsPerIP: UInt32?

    /// One host gets a quarter of the connections unless told otherwise: Prometheus
    /// keeps one connection per target, so even an HA pair behind one NAT fits.
    var connectionsPerIP: UInt32 { maxConnectionsPerIP ?? max(1, maxConnections / 4) }

    @Option(name: .customLong("customer-tlv-type"),
            help: "TLV type of the customer entry in the packet metadata area (1-255; 0 is the type of the tagger's seal).")
    var customerTLVType: UInt8 = 1

    @Option(name: .customLong("ring-size"),
            help: "Size of each per-CPU ring, 64 bytes per event: a power of two from 4KiB to 1GiB, e.g. 262144, 256KiB, 1MiB (default: 256KiB).")
    var ringSize: ByteSize?

    @Option(name: .customLong("ring-consumer-priority"),
            help: "SCHED_FIFO priority (1-99) of the threads that drain the rings (one per CPU), so drop storms that keep every CPU busy do not overflow them; 0 for normal scheduling. Needs CAP_SYS_NICE (default: 1).")
    var consumerPriority: Int32?

    // The names before 0.2 (the rings are not BPF ring buffers): still accepted, with a warning.
    @Option(name: .customLong("ringbuf-size"), help: .hidden) var deprecatedRingSize: ByteSize?
    @Option(name: .customLong("ringbuf-consumer-priority"), help: .hidden) var deprecatedConsumerPriority: Int32?

    // Optional, not defaulted, so that validate() sees whether a flag and its old name were both given.
    var ringBytes: Int { (ringSize ?? deprecatedRingSize)?.bytes ?? 256 * 1024 }
    var ringConsumerPriority: Int32 { consumerPriority ?? deprecatedConsumerPriority ?? 1 }

    /// A warning per deprecated flag given.
    var deprecations: [String] {
        (deprecatedRingSize == nil ? [] : ["--ringbuf-size is deprecated: use --ring-size"])
            + (deprecatedConsumerPriority == nil ? [] : ["--ringbuf-consumer-priority is deprecated: use --ring-consumer-priority"])
    }

    @Option(name: .customLong("filter.netns"),
            help: "Count only drops in this network namespace (a file such as /run/netns/NAME or /proc/PID/ns/net).")
    var netns: String?

    @Option(name: .customLong("max-customers"),
            help: "Customers /metrics names, those with the most drops; the others are summed into customer=\"other\".")
    var maxCustomers: Int = 10_000

    @Option(name: .customLong("api.max-customers"),
            help: "Customers whose drop detail the JSON API keeps; beyond it the least recently dropping are evicted.")
    var apiMaxCustomers: Int = 100_000

    @Option(name: .customLong("max-series"),
            help: ArgumentHelp("(customer, reason) series counted one by one; past it the customers with the fewest drops are summed into customer=\"other\" (exactly), which bounds memory under a flood of forged IDs.",
                               valueName: "max-series"))
    var maxSeries: Int = DropLedger.defaultSeriesLimit

    @Option(name: .customLong("tag"),
            help: "Also tag this interface with dropledger's XDP tagger while serving, and untag it on exit.")
    var tagInterface: String?

    @Option(name: .customLong("prefix"), help: ArgumentHelp("With --tag: a prefix and its customer, e.g. 192.0.2.0/24=42 (repeatable).",
                                                             valueName: "CIDR=CUSTOMER"))
    var prefixFlags: [String] = []

    @Option(name: .customLong("prefixes"), help: ArgumentHelp("With --tag: a file of 'CIDR CUSTOMER' lines.", valueName: "file"))
    var prefixesFile: String?

    @Option(name: .customLong("xdp-mode"), help: "With --tag: native or generic XDP (default: native).")
    var xdpMode: TaggerConfiguration.Mode?

    @Option(name: .customLong("customers"),
            help: ArgumentHelp("Names for customer IDs: 'ID NAME' lines, # comments; reread on SIGHUP. Names appear as dropledger_customer_info, in the API, show, top and the page.",
                               valueName: "file"))
    var customersFile: String?

    // Drop forensics (issue 17).
    @Option(name: .customLong("samples.rate"),
            help: "Dropped packets sampled per second per CPU for the API's samples (their headers, never in /metrics); one customer and reason gets at most a quarter of them. 0 turns sampling off.")
    var samplesRate: UInt32 = Self.defaultSamplesPerSecond
    static let defaultSamplesPerSecond: UInt32 = 20

    @Option(name: .customLong("samples.keep"),
            help: "Samples kept per customer, for the 1000 customers sampled most recently.")
    var samplesKeep: Int = 32

    @Flag(name: .customLong("samples.payload"),
          help: "Keep the bytes after the transport header too (up to 128 bytes from the frame's start); by default only headers are kept.")
    var samplesPayload = false

    @Option(name: .customLong("log.level"), help: "Only log messages with this severity or above: debug, info, warn, error.")
    var logLevel: LogLevelOption = .info

    // Restarts and privileges (issue 7).
    @Option(name: .customLong("state-dir"),
            help: ArgumentHelp("Pin the program and its maps in this directory on bpffs and leave them counting on exit; the next start with it resumes from them (see `dropledger cleanup`).",
                               valueName: "dir"))
    var stateDir: String?

    /// The parsed --web.listen-address; checked by validate(), so its error comes with the usage.
    func parsedListenAddress() throws -> ListenAddress {
        do {
            return try ListenAddress.parse(listenAddress)
        } catch {
            throw ValidationError("--web.listen-address: \(error)")
        }
    }

    func validate() throws {
        _ = try parsedListenAddress()
        guard telemetryPath.hasPrefix("/"), telemetryPath.count > 1,
              telemetryPath.allSatisfy({ $0.isASCII && !$0.isWhitespace && !"<>\"'&?#".contains($0) }) else {
            throw ValidationError("--web.telemetry-path must be a plain path other than / such as /metrics, got '\(telemetryPath)'")
        }
        // libmicrohttpd hands over the path with %XX decoded: a path holding % never matches.
        guard !telemetryPath.contains("%") else {
            throw ValidationError("--web.telemetry-path must not contain %, got '\(telemetryPath)': request paths are compared decoded, so write the characters themselves")
        }
        // The other endpoints come first: metrics there would never be served.
        guard !APIRequest.isAPIPath(telemetryPath), !telemetryPath.hasPrefix("/-/") else {
            throw ValidationError("--web.telemetry-path \(telemetryPath) is taken by another endpoint (/api/v1/..., /-/healthy, /-/ready); choose another path such as /metrics")
        }
        if ringSize != nil && deprecatedRingSize != nil {
            throw ValidationError("--ring-size and --ringbuf-size are the same setting (--ringbuf-size is its deprecated name): keep --ring-size only")
        }
        if consumerPriority != nil && deprecatedConsumerPriority != nil {
            throw ValidationError("--ring-consumer-priority and --ringbuf-consumer-priority are the same setting (--ringbuf-consumer-priority is its deprecated name): keep --ring-consumer-priority only")
        }
        guard connectionTimeout >= 1 else { throw ValidationError("--web.connection-timeout must be at least 1 second") }
        guard maxConnections >= 2 else { throw ValidationError("--web.max-connections must be at least 2") }
        if let perIP = maxConnectionsPerIP, !(1...maxConnections).contains(perIP) {
            throw ValidationError("--web.max-connections-per-ip must be from 1 to --web.max-connections (\(maxConnections)), got \(perIP)")
        }
        guard customerTLVType != 0 else {
            throw ValidationError("--customer-tlv-type 0 is taken: dropledger's tagger ends every area it makes with its seal, entries of type 0; use 1 to 255")
        }
        guard maxCustomers >= 1 else { throw ValidationError("--max-customers must be at least 1") }
        guard apiMaxCustomers >= 1 else { throw ValidationError("--api.max-customers must be at least 1") }
        guard maxSeries >= 1024 else {
            throw ValidationError("--max-series must be at least 1024 (it bounds memory; the default is \(DropLedger.defaultSeriesLimit))")
        }
        // The customers /metrics names are never summed into `other`: past half of
        // --max-series their series alone would keep a compaction from bounding memory.
        guard maxCustomers <= maxSeries / 2 else {
            throw ValidationError("--max-customers \(maxCustomers) must be at most half of --max-series \(maxSeries): the customers /metrics names are never summed into other, so memory would not stay bounded; raise --max-series to at least \(maxCustomers <= Int.max / 2 ? String(maxCustomers * 2) : "twice it") or lower --max-customers")
        }
        guard samplesRate <= 1_000_000 else {
            throw ValidationError("--samples.rate must be from 0 (off) to 1000000 samples per second per CPU, got \(samplesRate)")
        }
        guard (1...10_000).contains(samplesKeep) else {
            throw ValidationError("--samples.keep must be from 1 to 10000 samples per customer, got \(samplesKeep)")
        }
        if tagInterface == nil && (!prefixFlags.isEmpty || prefixesFile != nil) {
            throw ValidationError("--prefix and --prefixes need --tag INTERFACE")
        }
        if tagInterface == nil && xdpMode != nil {
            throw ValidationError("--xdp-mode needs --tag INTERFACE: it says how to attach the tagger, which only --tag starts")
        }
        guard (0...99).contains(ringConsumerPriority) else {
            throw ValidationError("--ring-consumer-priority must be 0 (normal scheduling) or a SCHED_FIFO priority from 1 to 99, got \(ringConsumerPriority)")
        }
        let size = ringBytes
        guard size >= 4096, size <= 1 << 30, size & (size - 1) == 0 else {
            throw ValidationError("--ring-size must be a power of two between 4KiB and 1GiB, got \(size) bytes")
        }
    }

    func run() throws {
        MemoryAllocator.bound()
        let logger = LogSetup.bootstrap(level: logLevel.level)
        for deprecation in deprecations { logger.warning("\(deprecation)") }
        let address = try parsedListenAddress()
        let prefixes = try tagInterface.map { _ in try Tag.prefixTable(flags: prefixFlags, file: prefixesFile).entries }
        // Before any thread exists: the only process that keeps CAP_SYS_ADMIN (interface names in other namespaces).
        do {
            try NamespaceHelper.start()
        } catch {
            logger.warning("the JSON API will not name interfaces in other network namespaces",
                           metadata: ["error": "\(error)"])
        }
        Privileges.prepare()
        var stopSignals = StopSignals.block(reload: true)

        var limits = HTTPLimits()
        limits.connectionTimeoutSeconds = connectionTimeout
        limits.connectionLimit = maxConnections
        limits.connectionsPerAddress = connectionsPerIP
        let httpSettings = HTTPSettings(limits: limits, webConfigFile: webConfigFile)

        let exporter: Exporter
        do {
            let reader = DropReaderConfiguration(
                customerTLVType: customerTLVType,
                netnsInode: try netns.map(ProcFiles.netnsInode) ?? 0,
                ringBufferSize: UInt32(ringBytes),
                samplesPerSecond: samplesRate)
            var configuration = Exporter.Configuration(
                listenAddress: address, telemetryPath: telemetryPath, reader: reader,
                version: Dropledger.version, trackedCustomers: apiMaxCustomers, maxCustomers: maxCustomers,
                http: httpSettings, stateDirectory: stateDir, consumerPriority: ringConsumerPriority,
                customersFile: customersFile)
            configuration.samplesKept = samplesKeep
            configuration.samplesPayload = samplesPayload
            configuration.maxSeries = maxSeries
            exporter = try Exporter(configuration: configuration, logger: logger)
        } catch let error as RuntimeError {
            logger.error("\(error)")
            throw ExitCode(1)
        }
        if let tagInterface, let prefixes {
            do {
                _ = try Tagger.tag(interface: tagInterface, prefixes: prefixes,
                                   configuration: TaggerConfiguration(mode: xdpMode ?? .native, customerTLVType: customerTLVType),
                                   pinsOutliveProcess: false, logger: logger)
                logger.info("tagging \(tagInterface) with \(prefixes.count) prefixes")
            } catch {
                logger.error("\(error)")
                exporter.shutdown()
                throw ExitCode(1)
            }
        }

        do {
            // Untagging on exit detaches an XDP link: `--tag` keeps CAP_NET_ADMIN and CAP_BPF for it.
            let kept = try exporter.dropPrivileges(keeping: tagInterface == nil ? [] : ["CAP_NET_ADMIN", "CAP_BPF"])
            logger.info("dropped capabilities", metadata: ["kept": "\(kept.isEmpty ? "none" : kept.joined(separator: ","))"])
        } catch let error as RuntimeError {
            logger.error("\(error)")
            if let tagInterface { _ = try? Tagger.untag(interface: tagInterface) }
            exporter.shutdown()
            throw ExitCode(1)
        }

        var received = stopSignals.wait()
        while received == SIGHUP {
            exporter.reloadCustomerNames()
            received = stopSignals.wait()
        }
        if let stateDir, exporter.staysAttached {
            logger.info("stopping on signal \(received ?? 0): draining; the program stays attached and counting into \(stateDir)")
            if let tagInterface { _ = try? Tagger.untag(interface: tagInterface) }
            exporter.shutdown()
            logger.info("stopped; the next start with --state-dir \(stateDir) resumes (remove it with `dropledger cleanup --state-dir \(stateDir)`)")
            return
        }
        logger.info("stopping on signal \(received ?? 0): detaching from the kernel")
        if let tagInterface { _ = try? Tagger.untag(interface: tagInterface) }
        exporter.shutdown()
        logger.info("stopped; nothing of dropledger is left in the kernel")
    }
}
