import ChildProcesses
import DropledgerCore
import Foundation
import Testing

/// Overload (issue 7): the smallest ring (4 KiB, 64 events) while both CPUs drop
/// packets as fast as BPF_PROG_TEST_RUN live frames can make them, 256 at a time (more
/// than a ring holds before its consumer can run), and /metrics is
/// scraped over and over meanwhile. Every drop must still be counted exactly under
/// its customer (the in-kernel fallback map), the overflow metric must say how many
/// events lost their details, and every scrape must answer 200 within the bound.
@Suite(.serialized, .needsFrameInjection, .enabled(if: Privilege.kernelTestsEnabled, "needs root (set DROPLEDGER_SKIP_ROOT_TESTS=1 to skip)"))
struct OverloadTests {
    static let framesPerCPU = 1_000_000
    static let scrapeBound: TimeInterval = 2 * TestTime.scale

    @Test func bothCPUsOverflowingTinyRingsLoseNoDropAndScrapesStayFast() throws {
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        try #require(cpus >= 2, "needs two CPUs")
        let network = try TestNetwork(tag: "load")
        let exporter = try ExporterProcess(arguments: ["--filter.netns", network.netnsPath, "--ring-size", "4KiB"])
        let url = "http://127.0.0.1:\(exporter.port)/metrics"

        // One injector per CPU, each with its own customer, so a drop counted under the
        // wrong customer shows as well as a lost one.
        let customers: [UInt64] = [7_000_001, 7_000_002]
        let injectors = customers.enumerated().map { cpu, customer in
            ["taskset", "-c", String(cpu), "ip", "netns", "exec", network.receiver, Binaries.inject, "send",
             "--interface", network.dev, "--count", String(Self.framesPerCPU), "--customer", String(customer),
             "--dst", network.receiverAddress, "--src", network.peerAddress, "--dport", "9",
             "--batch-size", "256"]
        }

        // The scraper: a thread of its own, from just before the storm until just after it.
        let scrapes = ScrapeLog()
        let scraper = Thread {
            while !scrapes.stopped {
                let start = Date(), duringStorm = scrapes.storm
                let result = try? Command.capture(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                                   "--max-time", "10", url])
                scrapes.add(status: Int(result?.stdout ?? "") ?? 0, seconds: Date().timeIntervalSince(start),
                            duringStorm: duringStorm)
            }
            scrapes.finish()
        }
        scraper.start()
        let stormStart = Date()
        scrapes.storm = true
        let running = try injectors.map { try ChildProcess($0) }
        for injector in running { injector.waitUntilExit() }
        scrapes.storm = false
        let stormSeconds = Date().timeIntervalSince(stormStart)
        Thread.sleep(forTimeInterval: 0.3)
        scrapes.stop()
        scrapes.waitFinished()

        for (injector, arguments) in zip(running, injectors) { #expect(injector.terminationStatus == 0, "\(arguments)") }
        var expected: [String: UInt64] = [:]
        for customer in customers { expected["\(customer)/NO_SOCKET"] = UInt64(Self.framesPerCPU) }
        #expect(try exporter.settledSeries(expected: expected) == expected)

        let injected = Double(Self.framesPerCPU * customers.count)
        let metrics = try exporter.metrics()
        let events = metrics["dropledger_events_total"] ?? -1
        let overflow = metrics["dropledger_ring_overflow_total"] ?? -1
        // At most 64 of each injector's batches of 256 fit: a ring's consumer cannot run within a batch.
        #expect(overflow >= Double(Self.framesPerCPU / 256 * 192 * customers.count),
                "64-event rings took more of each batch of 256 drops (overflow \(overflow))")
        #expect(events + overflow == injected, "events \(events) + overflow \(overflow) != injected \(injected)")
        #expect(metrics["dropledger_unrecorded_drops_total"] == 0)

        let log = scrapes.entries
        let duringStorm = log.filter(\.duringStorm)
        #expect(duringStorm.count >= 3, "only \(duringStorm.count) scrapes during a \(stormSeconds) s storm")
        let failed = log.filter { $0.status != 200 || $0.seconds > Self.scrapeBound }
        #expect(failed.isEmpty, "scrapes not answering 200 within \(Self.scrapeBound) s: \(failed.prefix(5))")
        let slowest = log.map(\.seconds).max() ?? 0
        print("overload: \(Int(injected)) drops in \(String(format: "%.2f", stormSeconds)) s, events \(Int(events)), overflow \(Int(overflow)), "
              + "\(log.count) scrapes (\(duringStorm.count) during the storm), slowest \(String(format: "%.3f", slowest)) s")
        #expect(exporter.stop() == 0, "exporter log:\n\(exporter.log())")
    }
}

/// What the scraper thread saw; shared with the test under a lock.
final class ScrapeLog: @unchecked Sendable {
    struct Entry: CustomStringConvertible {
        let status: Int
        let seconds: TimeInterval
        let duringStorm: Bool
        var description: String { "HTTP \(status) in \(String(format: "%.3f", seconds)) s" }
    }

    private let lock = NSCondition()
    private var log: [Entry] = []
    private var stopFlag = false
    private var stormFlag = false
    private var finished = false

    var stopped: Bool { lock.withLock { stopFlag } }
    /// Set by the test while the injectors run.
    var storm: Bool {
        get { lock.withLock { stormFlag } }
        set { lock.withLock { stormFlag = newValue } }
    }
    var entries: [Entry] { lock.withLock { log } }

    func add(status: Int, seconds: TimeInterval, duringStorm: Bool) {
        lock.withLock { log.append(Entry(status: status, seconds: seconds, duringStorm: duringStorm)) }
    }

    func stop() { lock.withLock { stopFlag = true } }

    func finish() {
        lock.lock()
        finished = true
        lock.broadcast()
        lock.unlock()
    }

    func waitFinished() {
        lock.lock()
        while !finished { lock.wait() }
        lock.unlock()
    }
}
