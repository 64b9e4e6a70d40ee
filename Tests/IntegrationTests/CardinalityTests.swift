import DropledgerCore
import Foundation
import Testing

/// Forged metadata with many distinct customer IDs: /metrics stays bounded by
/// --max-customers, every drop is still counted, and a metric says how many
/// customers were folded.
@Suite(.serialized, .needsFrameInjection, .enabled(if: Privilege.kernelTestsEnabled, "needs root (set DROPLEDGER_SKIP_ROOT_TESTS=1 to skip)"))
struct CardinalityTests {
    @Test func foldsBeyondMaxCustomersIntoOther() throws {
        let network = try TestNetwork(tag: "card")
        let exporter = try ExporterProcess(arguments: ["--filter.netns", network.netnsPath, "--max-customers", "5"])
        var expected: [String: UInt64] = [:]
        var other: UInt64 = 0
        for id in UInt64(1)...40 {
            var writer = MetadataAreaWriter()
            try writer.push(type: 1, value: MetadataTLV.customerValue(id))
            let count = Int(id) * 7
            try network.inject(metadata: writer.bytes, count: count, port: 9)
            if id > 35 { expected["\(id)/NO_SOCKET"] = UInt64(count) } else { other += UInt64(count) }
        }
        expected["other/NO_SOCKET"] = other
        // The first scrape sees every drop: customers named then are named with all their drops.
        try exporter.waitUntilCounted(drops: (1...40).reduce(0) { $0 + $1 * 7 })
        #expect(try exporter.settledSeries(expected: expected) == expected)
        let metrics = try exporter.metrics()
        #expect(metrics["dropledger_exposition_folded_customers"] == 35)
        #expect(metrics["dropledger_memory_folded_customers_total"] == 0)
        // The API still knows the folded customers one by one.
        #expect(try exporter.get("/api/v1/customers/3").status == 200)
    }

    /// The named set changes between scrapes (one customer named, three taking turns at
    /// the top, each with its own reason): no series the real exporter serves ever shows
    /// less than it once showed, and every drop is in the growth of exactly one series.
    @Test func noSeriesDecreasesWhileTheNamedSetChanges() throws {
        let network = try TestNetwork(tag: "mono")
        try network.dropUDP(port: 7777)
        let exporter = try ExporterProcess(arguments: ["--filter.netns", network.netnsPath, "--max-customers", "1"])
        // The last value ever served for each series, served now or not.
        var lastServed: [String: UInt64] = [:]
        var injected: [String: UInt64] = [:]  // per reason
        var total: UInt64 = 0
        for round in 0..<9 {
            let id = UInt64(11 + round % 3)
            var writer = MetadataAreaWriter()
            try writer.push(type: 1, value: MetadataTLV.customerValue(id))
            // Each round's customer overtakes the others; reasons alternate.
            let count = 150 * (round + 1)
            let (port, reason): (UInt16, String) = round % 2 == 0 ? (9, "NO_SOCKET") : (7777, "NETFILTER_DROP")
            try network.inject(metadata: writer.bytes, count: count, port: port)
            injected[reason, default: 0] += UInt64(count)
            total += UInt64(count)
            try exporter.waitUntilCounted(drops: total)

            var now: [String: UInt64] = [:]
            for family in ["dropledger_drops_total", "dropledger_dropped_bytes_total"] {
                for (key, value) in try exporter.series(family) { now[family + "/" + key] = value }
            }
            for (key, before) in lastServed {
                if let value = now[key] { #expect(value >= before, "round \(round): \(key) went from \(before) to \(value)") }
                if key.contains("/other/") { #expect(now[key] != nil, "round \(round): \(key) vanished") }
            }
            lastServed.merge(now) { $1 }
            for (reason, count) in injected {
                let sum = lastServed.filter { $0.key.hasPrefix("dropledger_drops_total/") && $0.key.hasSuffix("/" + reason) }.values.reduce(0, +)
                #expect(sum == count, "round \(round): \(reason) serves \(sum) drops of \(count)")
            }
            // The customer named is the one with the most drops now: this round's.
            let named = Set(now.keys.compactMap { $0.firstMatch(of: /total\/(\d+)\//).map { String($0.output.1) } })
            #expect(named == ["\(id)"], "round \(round): named \(named)")
        }
    }
}
