import ChildProcesses
import Foundation
import Testing

/// Samples of tagged packets (issue 17): the frames of SampleTests, each with a customer's
/// metadata area, dropped for their reasons; each customer's samples must be exactly its
/// frame's headers, and its pcap-ng packets must name it. A flood of one customer must
/// not hide another's drops from the samples.
@Suite(.serialized, .needsFrameInjection, .enabled(if: Privilege.kernelTestsEnabled, "needs root (set DROPLEDGER_SKIP_ROOT_TESTS=1 to skip)"))
struct SampleAttributionTests {
    @Test func eachCustomersSamplesAreItsOwnPackets() throws {
        let lab = try SampleLab(tag: "sat")
        let exporter = try ExporterProcess(arguments: ["--filter.netns", lab.network.netnsPath, "--samples.rate", "1000"])
        defer { exporter.stop() }
        let frames = lab.frames()
        let customers: [UInt64] = [101, 202, 303, 404, 505]
        for (frame, customer) in zip(frames, customers) {
            try lab.network.exec(lab.network.receiver, [Binaries.inject, "--interface", lab.network.dev, "--count", "1",
                                                        "--customer", String(customer), "--frame", PacketBuilder.hex(frame.frame)])
        }
        try waitFor("a drop of each customer", seconds: 30) {
            let series = try exporter.series()
            return zip(frames, customers).allSatisfy { series["\($1)/\($0.reason)"] == 1 }
        }
        #expect(try exporter.series()["none/NO_SOCKET"] == nil && exporter.series()["invalid/NO_SOCKET"] == nil)
        for (frame, customer) in zip(frames, customers) {
            let samples = try lab.waitForSamples(exporter, customer: String(customer), count: 1)
            #expect(samples.count == 1, "\(customer): \(samples)")
            if let sample = samples.first { frame.check(sample, customer: String(customer)) }
            // The capture's one packet carries the customer in its comment.
            let capture = try exporter.get("/api/v1/customers/\(customer)/samples.pcapng")
            #expect(capture.status == 200 && capture.headers["content-type"] == "application/x-pcapng")
            #expect(capture.body.contains("dropledger: customer \(customer), reason \(frame.reason)"), "\(customer)")
        }
        // Nobody else's samples: `none` has none.
        let none = try exporter.get("/api/v1/customers/none/samples")
        #expect((try SampleLab.json(none.body)["samples"] as? [Any])?.isEmpty == true, "\(none.body)")
    }

    /// 20000 drops of customer 7 while customer 8 drops one packet every 0.1 s: 8 is
    /// sampled (its own quarter of the budget), 7 stays within its quarter, every drop counts.
    @Test func aFloodOfOneCustomerDoesNotHideAnothers() throws {
        let lab = try SampleLab(tag: "sfl")
        let exporter = try ExporterProcess(arguments: ["--filter.netns", lab.network.netnsPath])  // 20 per second per CPU
        defer { exporter.stop() }
        let udp = lab.frames()[0].frame
        let started = Date()
        let flood = try ChildProcess(["ip", "netns", "exec", lab.network.receiver, Binaries.inject,
                                                     "--interface", lab.network.dev, "--count", "20000", "--customer", "7",
                                                     "--frame", PacketBuilder.hex(udp)])
        var trickle = 0
        while flood.isRunning || trickle < 20 {
            try lab.network.exec(lab.network.receiver, [Binaries.inject, "--interface", lab.network.dev, "--count", "1",
                                                        "--customer", "8", "--frame", PacketBuilder.hex(udp)])
            trickle += 1
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(flood.waitUntilExit().code == 0)
        let elapsed = Date().timeIntervalSince(started)
        try waitFor("every drop counted", seconds: 30) {
            try exporter.series()["7/NO_SOCKET"] == 20000 && exporter.series()["8/NO_SOCKET"] == UInt64(trickle)
        }
        Thread.sleep(forTimeInterval: 0.5)
        let cpus = Double(ProcessInfo.processInfo.activeProcessorCount)
        let seven = try lab.waitForSamples(exporter, customer: "7", count: 1).count
        let eight = try lab.waitForSamples(exporter, customer: "8", count: 1).count
        #expect(Double(seven) <= cpus * (20.0 / 4 * elapsed + 1), "customer 7: \(seven) samples in \(elapsed) s")
        // One drop every 0.1 s (plus an injector's start-up) is under a quarter's 5/s: most are sampled.
        #expect(eight >= min(trickle, 32) / 2, "customer 8: \(eight) samples of \(trickle) drops")
    }
}
