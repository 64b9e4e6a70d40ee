import DropledgerCore
import Foundation
import Testing

/// Forged metadata with many distinct customer IDs: /metrics stays bounded by
/// --max-customers, every drop is still counted, and a metric says how many
/// customers were folded.
@Suite(.serialized, .enabled(if: Privilege.kernelTestsEnabled, "needs root (set DROPLEDGER_SKIP_ROOT_TESTS=1 to skip)"))
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
        #expect(try exporter.settledSeries(expected: expected) == expected)
        let metrics = try exporter.metrics()
        #expect(metrics["dropledger_exposition_folded_customers"] == 35)
        #expect(metrics["dropledger_memory_folded_customers_total"] == 0)
        // The API still knows the folded customers one by one.
        #expect(try exporter.get("/api/v1/customers/3").status == 200)
    }
}
