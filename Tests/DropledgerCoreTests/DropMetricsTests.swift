import Testing
@testable import DropledgerCore

@Suite struct DropMetricsTests {
    static let reasons = ReasonTable(enums: ReasonTableTests.enums)

    @Test func smallRealisticScrape() throws {
        var counters = DropCounters()
        let series: [(DropCustomer, UInt32, UInt64, UInt64)] = [
            (.id(4321), 3, 1_000_000, 64_000_000),      // NO_SOCKET
            (.id(4321), 12, 17, 1_088),                 // NETFILTER_DROP
            (.id(17), 3, 5, 320),
            (.id(100_000), 13, 2, 196),                 // OTHERHOST
            (.id(17), 3 << 16 | 1, 9, 900),             // OVS_DROP_LAST_ACTION
            (.none, 3, 250, 16_000),
            (.none, 2, 1, 60),                          // NOT_SPECIFIED
            (.invalid, 65543, 3, 180),                  // unknown to this kernel
            (.other, 12, 40, 2_560),
            (.id(UInt64.max), 3, 1, 42),
        ]
        for (customer, reason, drops, bytes) in series {
            counters.add(DropKey(customer: customer, reason: reason), DropCount(drops: drops, bytes: bytes))
        }
        let snapshot = LedgerSnapshot(counters: counters, events: 1_000_278, overflowEvents: 50)
        let stats = ProcessStats(cpuSeconds: 12.34, residentMemoryBytes: 25_165_824, virtualMemoryBytes: 1_234_567_168,
                                 startTimeSeconds: 1_763_797_251.37, openFDs: 14, maxFDs: 1_048_576)
        let others = ProcessMetrics.families(stats) + [BuildInfo(version: "0.1.0", kernel: "6.18.44").family]
        let general = PrometheusText.render(DropMetrics.families(snapshot, reasons: Self.reasons) + others)
        try expectGolden(general, named: "scrape.prom")
        // The scrape fast path must produce the very same bytes.
        #expect(DropMetrics.render(snapshot, reasons: Self.reasons, with: others) == general)
    }

    /// In pieces (what `/metrics` compresses as it renders), the same bytes as in one
    /// buffer, whatever the piece size: smaller than a line, a few lines, everything.
    @Test(arguments: [1, 100, 4096, 1 << 20])
    func piecesAreTheWholeExposition(chunkBytes: Int) {
        var counters = DropCounters()
        for customer in UInt64(0) ..< 700 {
            counters.add(DropKey(customer: .id(customer * 7919), reason: customer % 3 == 0 ? 12 : 3),
                         DropCount(drops: customer + 1, bytes: customer * 1_000_003))
        }
        counters.add(DropKey(customer: .none, reason: 3), DropCount(drops: 5, bytes: 300))
        counters.add(DropKey(customer: .other, reason: 12), DropCount(drops: UInt64.max, bytes: 1))
        counters.add(DropKey(customer: .invalid, reason: 65543), DropCount(drops: 3, bytes: 180))
        let snapshot = LedgerSnapshot(counters: counters, events: 9, overflowEvents: 2)
        let others = [BuildInfo(version: "0.1.0", kernel: "6.18.44").family]
        var pieces: [[UInt8]] = []
        DropMetrics.render(snapshot, reasons: Self.reasons, with: others, chunkBytes: chunkBytes) { pieces.append(Array($0)) }
        let whole = DropMetrics.render(snapshot, reasons: Self.reasons, with: others)
        #expect(pieces.flatMap { $0 } == whole)
        #expect(whole == PrometheusText.render(DropMetrics.families(snapshot, reasons: Self.reasons) + others))
        // Each piece holds whole lines, and no piece is empty.
        #expect(pieces.allSatisfy { $0.last == UInt8(ascii: "\n") })
        // A piece never spans the two parts (see below): one piece each when they fit.
        if chunkBytes >= 1 << 20 { #expect(pieces.count == DropMetrics.Rendering.parts) } else { #expect(pieces.count > 2) }
        // The two parts /metrics compresses at once: in order, they are the whole; the second
        // starts at the second labelled family (the drops, after the bytes), the first holds the other.
        let rendering = DropMetrics.Rendering(snapshot, reasons: Self.reasons, with: others)
        var parts: [[UInt8]] = [[], []]
        for part in 0 ..< DropMetrics.Rendering.parts {
            rendering.write(part: part, chunkBytes: chunkBytes) { parts[part] += Array($0) }
        }
        #expect(parts[0] + parts[1] == whole)
        #expect(rendering.bytes() == whole)
        let second = String(decoding: parts[1], as: UTF8.self), first = String(decoding: parts[0], as: UTF8.self)
        #expect(second.hasPrefix("# HELP dropledger_drops_total "), "\(second.prefix(80))")
        #expect(first.contains("dropledger_dropped_bytes_total{") && !first.contains("dropledger_drops_total{"))
    }

    @Test func fastPathEscapesLikeTheGeneralRenderer() {
        var counters = DropCounters()
        counters.add(DropKey(customer: .other, reason: 9), DropCount(drops: UInt64.max, bytes: 0))
        counters.add(DropKey(customer: .id(3), reason: 8), DropCount(drops: 1, bytes: 2))
        let odd = ReasonTable(enums: [KernelEnum(name: "skb_drop_reason", values: [
            (name: "SKB_DROP_REASON_A\\B\"C\nD", value: 9), (name: "SKB_DROP_REASON_Z", value: 8)])])
        let snapshot = LedgerSnapshot(counters: counters, events: 7, overflowEvents: 1)
        let general = PrometheusText.render(DropMetrics.families(snapshot, reasons: odd))
        #expect(DropMetrics.render(snapshot, reasons: odd) == general)
        #expect(String(decoding: general, as: UTF8.self).contains(#"reason="A\\B\"C\nD"} 18446744073709551615"#))
    }

    /// Two kernel reason numbers with one name used to render two identical series
    /// lines: Prometheus rejects such a scrape whole.
    @Test func twoReasonNumbersWithOneNameAreTwoSeries() {
        let reasons = ReasonTable(enums: [
            KernelEnum(name: "skb_drop_reason", values: [(name: "SKB_DROP_REASON_FOO", value: 2)]),
            KernelEnum(name: "x_drop_reason", values: [(name: "FOO", value: 0x10001)]),
        ])
        var counters = DropCounters()
        counters.add(DropKey(customer: .id(1), reason: 2), DropCount(drops: 1, bytes: 10))
        counters.add(DropKey(customer: .id(1), reason: 0x10001), DropCount(drops: 1, bytes: 10))
        let text = String(decoding: DropMetrics.render(LedgerSnapshot(counters: counters), reasons: reasons), as: UTF8.self)
        let series = text.split(separator: "\n").filter { $0.hasPrefix("dropledger_drops_total{") }.map { $0.split(separator: " ")[0] }
        #expect(series == [#"dropledger_drops_total{customer="1",reason="FOO"}"#, #"dropledger_drops_total{customer="1",reason="FOO_65537"}"#])
    }

    @Test func emptyLedgerStillExportsTheCounters() {
        #expect(DropMetrics.render(LedgerSnapshot(), reasons: Self.reasons)
                == PrometheusText.render(DropMetrics.families(LedgerSnapshot(), reasons: Self.reasons)))
        let output = String(decoding: PrometheusText.render(DropMetrics.families(LedgerSnapshot(), reasons: Self.reasons)),
                            as: UTF8.self)
        #expect(output.contains("dropledger_events_total 0\n"))
        #expect(output.contains("dropledger_ring_overflow_total 0\n"))
        #expect(output.contains("# TYPE dropledger_drops_total counter\n"))
    }

    /// 100k series render (no timing assertion: debug builds are slow; see the report for release timings).
    @Test func renders100kSeries() {
        var counters = DropCounters()
        for customer in 0 ..< 10_000 {
            for reason: UInt32 in [2, 3, 4, 5, 12, 13, 3 << 16 | 1, 3 << 16 | 2, 77, 65543] {
                counters.add(DropKey(customer: .id(UInt64(customer * 7919)), reason: reason), DropCount(drops: 1, bytes: 64))
            }
        }
        #expect(counters.count == 100_000)
        let snapshot = LedgerSnapshot(counters: counters, events: 100_000, overflowEvents: 0)
        let output = DropMetrics.render(snapshot, reasons: Self.reasons)
        #expect(output == PrometheusText.render(DropMetrics.families(snapshot, reasons: Self.reasons)))
        let lines = output.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        // Two labelled families of 100k samples and 2 header lines each, two single-sample families.
        #expect(lines == 2 * (100_000 + 2) + 2 * 3)
        #expect(DropMetrics.orderedSeries(counters, reasons: Self.reasons).keys.first == DropKey(customer: .id(0), reason: 12))  // NETFILTER_DROP sorts first
    }
}
