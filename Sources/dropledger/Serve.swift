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

    @Option(name: .customLong("customer-tlv-type"),
            help: "TLV type of the customer entry in the packet metadata area (0-255).")
    var customerTLVType: UInt8 = 1

    @Option(name: .customLong("ringbuf-size"),
            help: "Size of each per-CPU ring buffer: a power of two of at least 4KiB, e.g. 262144, 256KiB, 1MiB.")
    var ringBufferSize: ByteSize = ByteSize(bytes: 256 * 1024)

    @Option(name: .customLong("filter.netns"),
            help: "Count only drops in this network namespace (a file such as /run/netns/NAME or /proc/PID/ns/net).")
    var netns: String?

    @Option(name: .customLong("log.level"), help: "Only log messages with this severity or above: debug, info, warn, error.")
    var logLevel: LogLevelOption = .info

    func validate() throws {
        guard telemetryPath.hasPrefix("/"), telemetryPath.count > 1,
              telemetryPath.allSatisfy({ $0.isASCII && !$0.isWhitespace && !"<>\"'&?#".contains($0) }) else {
            throw ValidationError("--web.telemetry-path must be a plain path other than / such as /metrics, got '\(telemetryPath)'")
        }
        let size = ringBufferSize.bytes
        guard size >= 4096, size <= 1 << 30, size & (size - 1) == 0 else {
            throw ValidationError("--ringbuf-size must be a power of two between 4KiB and 1GiB, got \(size) bytes")
        }
    }

    func run() throws {
        let logger = Logging.bootstrap(level: logLevel.level)
        let address: ListenAddress
        do {
            address = try ListenAddress.parse(listenAddress)
        } catch {
            throw ValidationError("--web.listen-address: \(error)")
        }
        // Block the stop signals in every thread we start, so sigwait below gets them.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

        let exporter: Exporter
        do {
            let reader = DropReaderConfiguration(
                customerTLVType: customerTLVType,
                netnsInode: try netns.map(ProcFiles.netnsInode) ?? 0,
                ringBufferSize: UInt32(ringBufferSize.bytes))
            exporter = try Exporter(
                configuration: .init(listenAddress: address, telemetryPath: telemetryPath, reader: reader,
                                     version: Dropledger.version),
                logger: logger)
        } catch let error as RuntimeError {
            logger.error("\(error)")
            throw ExitCode(1)
        }

        var received: Int32 = 0
        sigwait(&stopSignals, &received)
        logger.info("stopping on signal \(received): detaching from the kernel")
        exporter.shutdown()
        logger.info("stopped; nothing of dropledger is left in the kernel")
    }
}
