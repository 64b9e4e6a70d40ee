import ArgumentParser
import DropledgerCore
import DropledgerDemo
import DropledgerRuntime
import Glibc
import Logging

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the exporter on a lab of network namespaces with tagged customer traffic.",
        discussion: """
        Builds an edge host with the tagger on its uplink and two clients sending real traffic \
        to three customers' prefixes, which the edge drops in several ways (closed UDP and TCP \
        ports, a firewall rule, a slow reader, bad checksums). Everything stays in the lab's \
        namespaces; Ctrl-C removes the whole lab.
        """)

    @Option(help: "Stop after this many seconds and print the counts (default: until Ctrl-C).")
    var duration: UInt32?

    @Option(name: .customLong("web.listen-address"), help: "Address to serve metrics on.")
    var listenAddress: String = ":10437"

    @Option(name: .customLong("xdp-mode"), help: "How to attach the tagger: native or generic.")
    var xdpMode: TaggerConfiguration.Mode = .native

    @Option(name: .customLong("log.level"), help: "debug, info, warn or error.")
    var logLevel: LogLevelOption = .info

    func run() throws {
        let logger = LogSetup.bootstrap(level: logLevel.level)
        let address: ListenAddress
        do { address = try ListenAddress.parse(listenAddress) } catch {
            throw ValidationError("--web.listen-address: \(error)")
        }
        var stopSignals = StopSignals.block()

        let lab: DemoLab
        let exporter: Exporter
        // Without XDP metadata writes the tagger cannot run; the demo still shows the drops.
        let tagging = KernelSupport.xdpMetadataWritable
        do {
            lab = try DemoLab()
            if tagging {
                try DemoTagging.tag(mode: xdpMode, logger: logger)
            } else {
                logger.warning("""
                    this kernel does not let XDP programs write packet metadata (it refuses bpf_xdp_adjust_meta): \
                    the demo runs without the tagger, and its drops count as customer "none"
                    """)
            }
            exporter = try Exporter(
                configuration: .init(listenAddress: address, telemetryPath: "/metrics",
                                     reader: DropReaderConfiguration(netnsInode: try ProcFiles.netnsInode(lab.netnsPath),
                                                                     samplesPerSecond: Serve.defaultSamplesPerSecond),
                                     version: Dropledger.version,
                                     customerNames: try CustomerNames.parse(DemoLab.customersFile, file: "demo customers")),
                logger: logger)
        } catch {
            DemoTagging.untag()
            DemoLab.tearDown()
            logger.error("\(error)")
            throw ExitCode(1)
        }
        let traffic = DemoTraffic()
        do { try traffic.start() } catch {
            logger.error("\(error)")
        }

        let host = address.host.map { $0.contains(":") ? "[\($0)]" : $0 } ?? "localhost"
        let headline = tagging
            ? "customers 101, 202 and 303 are losing packets on the edge host."
            : "the edge host is losing packets; this kernel cannot tag them, so they count as customer \"none\"."
        print("""

        dropledger demo: \(headline)
          overview:  http://\(host):\(exporter.port)/   (open it in a browser)
          metrics:   http://\(host):\(exporter.port)/metrics
          try:       curl -s http://\(host):\(exporter.port)/metrics | grep dropledger_drops_total
          packets:   dropledger watch --url http://\(host):\(exporter.port)   (sampled drops, live)
          the lab:   ip netns list | grep dldemo
        \(duration.map { "Running for \($0) s." } ?? "Ctrl-C stops the demo and removes the lab.")

        """)
        fflush(nil)  // the URLs before the first log line, even when piped

        let signal = stopSignals.wait(seconds: duration)
        logger.info(signal.map { "stopping on signal \($0)" } ?? "demo time is up")
        traffic.stop()
        // The last datagrams cross the lab: read until the tagger's counts stop changing.
        var tagged = exporter.taggedTraffic()
        for _ in 0..<50 {
            usleep(200_000)
            let again = exporter.taggedTraffic()
            if again == tagged { break }
            tagged = again
        }
        exporter.shutdown()
        DemoTagging.untag()
        DemoLab.tearDown()
        let counts = exporter.dropCounts()
        print("Drops counted in the lab (customer, reason, packets):")
        for (customer, reason, drops) in counts {
            print("  \(customer.padding(8)) \(reason.padding(20)) \(drops)")
        }
        if tagging {
            print("Traffic per customer (sent by the lab's clients, tagged by the tagger, dropped, loss = dropped / tagged):")
            let sent = traffic.sentPerCustomer
            for customer in DemoLab.customers {
                let dropped = counts.filter { $0.customer == String(customer.id) }.reduce(0) { $0 + $1.drops }
                let taggedPackets = tagged[customer.id]?.packets ?? 0
                let loss = APIText.percent(taggedPackets == 0 ? nil : Double(dropped) / Double(taggedPackets))
                print("  \(String(customer.id).padding(8)) \(customer.name.padding(12)) sent \(sent[customer.id] ?? 0) tagged \(taggedPackets) dropped \(dropped) loss \(loss)")
            }
        }
        print("The lab is removed.")
    }
}

private extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
