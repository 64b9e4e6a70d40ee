import DropledgerCore
import DropledgerRuntime
import Glibc
import Logging

/// The in-process parts of `make bench` (bench/run.sh drives them and writes RESULTS.md):
///
///     dropledger-bench consume DLBENCH RING_BYTES EVENTS_PER_CPU CUSTOMERS
///         consumer capacity: the real KernelDropReader rings, filled by `DLBENCH fill`
///         (the synthetic BPF producer), drained by the real RingConsumer (one thread per CPU)
///         into a DropLedger
///     dropledger-bench scrape SERIES...
///         DropMetrics.render time and bytes, gzip on and off, and one real HTTP scrape
///         (HTTPServer + curl) of the largest
///     dropledger-bench memory CUSTOMERS
///         resident memory after CUSTOMERS distinct customers went through DropTally/DropLedger
///     dropledger-bench tagger RUNS ROUNDS
///         the tagger's ns per packet (BPF_PROG_TEST_RUN) with and without its per-customer
///         counting, against a program that only returns XDP_PASS, interleaved in ROUNDS
///
/// Output is `key=value` lines for the script to tabulate. No assertions on timing.
@main
enum Bench {
    static func main() throws {
        let args = CommandLine.arguments
        switch args.count > 1 ? args[1] : "" {
        case "consume" where args.count == 6:
            try consume(dlbench: args[2], ringBytes: UInt32(args[3])!, perCPU: Int(args[4])!, customers: Int(args[5])!)
        case "scrape" where args.count > 2:
            try scrape(seriesCounts: args[2...].map { Int($0)! })
        case "memory" where args.count == 3:
            memory(customers: Int(args[2])!)
        case "tagger" where args.count == 4:
            try tagger(runs: Int(args[2])!, rounds: Int(args[3])!)
        default:
            printError("usage: dropledger-bench consume DLBENCH RING_BYTES EVENTS_PER_CPU CUSTOMERS | scrape SERIES... | memory CUSTOMERS | tagger RUNS ROUNDS\n")
            exit(2)
        }
    }

    // MARK: Tagger cost per packet

    static func tagger(runs: Int, rounds: Int) throws {
        // 64 bytes: Ethernet, IPv4 10.1.0.2 -> 10.0.0.1 (customer 42's prefix), UDP, 22 bytes of payload.
        var frame: [UInt8] = [0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00]
        frame += [0x45, 0, 0, 50, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 1, 0, 2, 10, 0, 0, 1]
        frame += [0x30, 0x39, 0x00, 0x09, 0, 30, 0, 0] + [UInt8](repeating: 0x61, count: 22)
        var prefix = PrefixTable()
        try prefix.add(flag: "10.0.0.0/8=42")
        let floor = try FrameInjector()
        let counting = try TaggerTestRun(prefixes: prefix.entries, configuration: TaggerConfiguration(mode: .generic))
        let plain = try TaggerTestRun(prefixes: prefix.entries, configuration: TaggerConfiguration(mode: .generic, countsTraffic: false))
        var sums = (floor: 0.0, plain: 0.0, counting: 0.0)
        for _ in 0..<rounds {
            sums.floor += try floor.passNanosecondsPerRun(frame: frame, runs: runs)
            sums.plain += try plain.nanosecondsPerRun(frame: frame, runs: runs)
            sums.counting += try counting.nanosecondsPerRun(frame: frame, runs: runs)
        }
        let n = Double(rounds)
        let tagged = try counting.traffic()[42] ?? TrafficCount()
        print("tagger_runs=\(runs * rounds)")
        print("xdp_pass_ns=\(sums.floor / n)")
        print("tagger_uncounted_ns=\(sums.plain / n)")
        print("tagger_ns=\(sums.counting / n)")
        print("counting_ns=\((sums.counting - sums.plain) / n)")
        print("tagged_counted=\(tagged.packets) tagged_bytes=\(tagged.bytes)")
        print("tagged_exact=\(tagged.packets == UInt64(runs * rounds) && tagged.bytes == UInt64(runs * rounds * frame.count) ? "yes" : "no")")
    }

    // MARK: Consumer capacity

    static func consume(dlbench: String, ringBytes: UInt32, perCPU: Int, customers: Int) throws {
        // Events are 64 bytes (dl_event); a ring that cannot hold them all would stop the fill.
        guard perCPU <= Int(ringBytes / 64) else {
            printError("dropledger-bench: \(ringBytes)-byte rings hold \(ringBytes / 64) events, not \(perCPU)\n")
            exit(1)
        }
        // Inode 1 is no network namespace: the attached kfree_skb program ignores every real
        // drop before it touches a ring, so the rings hold only the producer's events.
        let reader = try KernelDropReader(configuration: DropReaderConfiguration(netnsInode: 1, ringBufferSize: ringBytes))
        let cpus = Int(sysconf(Int32(_SC_NPROCESSORS_CONF)))
        guard system("\(dlbench) fill \(reader.programID) \(perCPU) \(customers)") == 0 else {
            printError("dropledger-bench: filling the rings failed\n")
            exit(1)
        }
        let expected = UInt64(perCPU * cpus)
        let ledger = DropLedger()
        // One thread per CPU, each draining its own CPU's ring, as the C consumer; the
        // exporter's settings (a lane whose publish finds the ledger locked retries within 0.2 ms).
        let consumer = try RingConsumer(reader: reader, ledger: ledger)
        let start = now()
        try consumer.start()
        // Only the count, under the lock briefly: a snapshot copies the counters, and would
        // hold the lock long enough to make the lanes' publishes wait for their next drain.
        while ledger.withActivity({ _, totals in totals.events }) < expected {
            usleep(100)
        }
        let seconds = now() - start
        consumer.stop()
        let snapshot = ledger.snapshot()
        print("events=\(snapshot.events) seconds=\(seconds) rate=\(Double(snapshot.events) / seconds) series=\(snapshot.counters.count)")
    }

    // MARK: Scrape

    static func scrape(seriesCounts: [Int]) throws {
        let reasons = try KernelDropReasons.load()
        let reasonNumbers = ["NO_SOCKET", "NETFILTER_DROP"].map { reasons.reason(named: $0)! }
        for seriesCount in seriesCounts {
            let snapshot = syntheticSnapshot(series: seriesCount, reasons: reasonNumbers)
            var renderTimes: [Double] = [], gzipTimes: [Double] = [], streamedTimes: [Double] = []
            var body: [UInt8] = [], compressed: [UInt8] = [], streamed: [UInt8] = []
            for _ in 0 ..< 7 {
                let t0 = now()
                body = DropMetrics.render(snapshot, reasons: reasons)
                let t1 = now()
                compressed = HTTPCompression.gzip(body)!
                let t2 = now()
                // As `/metrics` answers a client that accepts gzip: two parts rendered into
                // two compressors at once.
                streamed = HTTPCompression.metricsResponse(DropMetrics.Rendering(snapshot, reasons: reasons),
                                                           acceptEncoding: "gzip").body
                let t3 = now()
                renderTimes.append(t1 - t0)
                gzipTimes.append(t2 - t1)
                streamedTimes.append(t3 - t2)
            }
            print("scrape series=\(seriesCount) render_ms=\(median(renderTimes) * 1000) bytes=\(body.count) "
                  + "gzip_ms=\(median(gzipTimes) * 1000) gzip_bytes=\(compressed.count) "
                  + "streamed_ms=\(median(streamedTimes) * 1000) streamed_bytes=\(streamed.count)")
        }

        // One real scrape over HTTP: libmicrohttpd, the server's gzip negotiation, curl. The
        // ledger names every customer (as `serve --max-customers` with at least that many),
        // and each scrape takes its exposition as `/metrics` does.
        let largest = seriesCounts.max()!
        let ledger = DropLedger(exposedCustomers: largest / reasonNumbers.count)
        let tally = DropTally()
        for (key, count) in syntheticSnapshot(series: largest, reasons: reasonNumbers).counters {
            tally.recordOverflow(key, count)
        }
        ledger.flush(tally)
        var expositionTimes: [Double] = []
        for _ in 0 ..< 7 {
            let t0 = now()
            _ = ledger.exposition()
            expositionTimes.append(now() - t0)
        }
        print("exposition series=\(largest) ms=\(median(expositionTimes) * 1000)")
        let server = try HTTPServer(listen: ListenAddress(host: "127.0.0.1", port: 0),
                                    logger: Logger(label: "bench")) { request in
            // As `Endpoints` answers `/metrics`.
            HTTPCompression.metricsResponse(DropMetrics.Rendering(ledger.exposition().snapshot, reasons: reasons),
                                            acceptEncoding: request.header("Accept-Encoding"))
        }
        for compressed in [false, true] {
            // time_starttransfer: the server's part (render, gzip), as libmicrohttpd sends a
            // response once it is whole; time_total adds the transfer and curl's inflating.
            var times: [Double] = [], firstByte: [Double] = [], size = ""
            for _ in 0 ..< 9 {
                let out = run("curl -sS -o /dev/null \(compressed ? "--compressed " : "")"
                              + "-w '%{time_total} %{size_download} %{time_starttransfer}' "
                              + "http://127.0.0.1:\(server.port)/metrics").split(separator: " ")
                times.append(Double(out[0])!)
                size = String(out[1])
                firstByte.append(Double(out[2])!)
            }
            print("http series=\(largest) gzip=\(compressed) total_ms=\(median(times) * 1000) bytes=\(size) "
                  + "first_byte_ms=\(median(firstByte) * 1000) "
                  + "first_byte_rounds=\(firstByte.map { String(format: "%.1f", $0 * 1000) }.joined(separator: ","))")
        }
        server.stop()
    }

    /// `series` series over `series / reasons.count` customers, with realistic counts.
    static func syntheticSnapshot(series: Int, reasons: [UInt32]) -> LedgerSnapshot {
        var counters = DropCounters()
        counters.reserveCapacity(series)
        for i in 0 ..< series {
            let customer = UInt64(100_000 + i / reasons.count)
            counters.add(DropKey(customer: .id(customer), reason: reasons[i % reasons.count]),
                         DropCount(drops: UInt64(1 + i * 7919 % 1_000_003), bytes: UInt64(64 + i * 104_729 % 90_000_001)))
        }
        return LedgerSnapshot(counters: counters, events: UInt64(series), overflowEvents: 0)
    }

    // MARK: Memory

    static func memory(customers: Int) {
        MemoryAllocator.bound()  // as `serve`
        let before = status("VmRSS")
        let start = now()
        let ledger = DropLedger()
        let tally = DropTally()
        for i in 0 ..< customers {
            tally.record(status: 0, id: UInt64(1_000_000 + i), reason: 2, location: 0, ifindex: 0, netnsInode: 0, length: 64)
            // As the consumer: publish once per drain (4096 events is a small drain); the
            // maintenance thread's work as soon as it is due.
            if i % 4096 == 4095 {
                ledger.publish(tally)
                if ledger.needsMaintenance { ledger.maintain() }
            }
        }
        ledger.flush(tally)
        ledger.maintain()
        let ingestSeconds = now() - start
        let afterIngest = status("VmRSS")
        let reasons = ReasonTable(enums: [])
        // Rendered as `serve` does: the default --max-customers names the top 10000.
        let body = DropMetrics.render(ledger.exposition().snapshot, reasons: reasons)
        print("memory customers=\(customers) series=\(ledger.snapshot().counters.count) rss_before_kb=\(before) "
              + "rss_after_ingest_kb=\(afterIngest) rss_after_render_kb=\(status("VmRSS")) peak_kb=\(status("VmHWM")) "
              + "render_bytes=\(body.count) ingest_s=\(ingestSeconds)")
    }

    // MARK: Helpers

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }

    /// A field of /proc/self/status, in kB.
    static func status(_ field: String) -> Int {
        let text = run("cat /proc/\(getpid())/status")
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])!
        }
        return 0
    }

    /// Runs a shell command and returns its standard output.
    static func run(_ command: String) -> String {
        guard let pipe = popen(command, "r") else { return "" }
        var output = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, pipe)
            if n <= 0 { break }
            output += buffer[0 ..< n]
        }
        pclose(pipe)
        return String(decoding: output, as: UTF8.self)
    }
}

func printError(_ message: String) {
    var bytes = Array(message.utf8)
    _ = write(2, &bytes, bytes.count)
}
