import DropledgerCore
import PropertyBased
import Testing

/// What `/metrics` serves through `DropLedger.exposition()`, rendered and parsed back
/// as Prometheus reads it: while customers climb in and out of the named set and the
/// ledger compacts its table, no served series ever decreases, every drop is served
/// exactly once, and the customers named are the top ones by drops.
struct MonotonicExpositionTests {
    /// One step: a scrape (kind 0), or `drops` drops of `length` bytes for `customer`
    /// (0-23 an ID, 24 `none`, 25 `invalid`) with reason 1-3.
    typealias Step = (kind: Int, customer: Int, reason: Int, drops: Int, length: Int)

    static let step = zip(Gen.int(in: 0...4), Gen.int(in: 0...25), Gen.int(in: 1...3), Gen.int(in: 1...30), Gen.int(in: 1...1500))
    static let reasons = ReasonTable(enums: [])

    /// `name{customer="c",reason="r"}` → value, for both drop families.
    static func parse(_ body: [UInt8]) -> [String: UInt64] {
        var series: [String: UInt64] = [:]
        for line in String(decoding: body, as: UTF8.self).split(separator: "\n") where line.hasPrefix("dropledger_d") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let value = UInt64(parts[1]), parts[0].contains("{customer=") else { continue }
            series[String(parts[0])] = value
        }
        return series
    }

    static func customer(_ number: Int) -> DropCustomer {
        switch number {
        case 24: return .none
        case 25: return .invalid
        default: return .id(UInt64(number))
        }
    }

    @Test func noServedSeriesEverDecreases() async {
        await propertyCheck(count: 400, input: Gen.int(in: 1...6), Gen.int(in: 8...60), Self.step.array(of: 1...150)) {
            Self.check(limit: $0, seriesLimit: $1, steps: $2)
        }
    }

    /// Runs `steps` through a ledger naming `limit` customers and compacting beyond
    /// `seriesLimit` series, checking every scrape against the previous one.
    static func check(limit: Int, seriesLimit: Int, steps: [Step]) {
        let ledger = DropLedger(trackedCustomers: 100, seriesLimit: seriesLimit, exposedCustomers: limit)
            var served: [String: UInt64] = [:]
            var dropped: [UInt32: DropCount] = [:]
            for step in steps + [(kind: 0, customer: 0, reason: 1, drops: 1, length: 1)] {
                let (kind, customer, reason, drops, length) = step
                guard kind == 0 else {
                    let batch = DropTally()
                    for _ in 0..<drops {
                        batch.record(DropEvent(customer: Self.customer(customer), reason: UInt32(reason), length: UInt32(length)))
                    }
                    dropped[UInt32(reason), default: DropCount()] += DropCount(drops: UInt64(drops), bytes: UInt64(drops * length))
                    ledger.flush(batch)
                    ledger.maintain()
                    continue
                }
                let (snapshot, _) = ledger.exposition()
                let now = Self.parse(DropMetrics.render(snapshot, reasons: Self.reasons))
                for (name, before) in served {
                    if let value = now[name] {
                        #expect(value >= before, "\(name) went from \(before) to \(value)")
                    }
                }
                // A series may vanish (its customer left the named set) but `other` never does.
                for (name, _) in served where name.contains("customer=\"other\"") {
                    #expect(now[name] != nil, "\(name) vanished")
                }
                served = now
                // Every drop in exactly one served series.
                for (reason, count) in dropped {
                    let label = "reason=\"UNKNOWN_\(reason)\"}"
                    let drops = now.filter { $0.key.hasPrefix("dropledger_drops_total{") && $0.key.hasSuffix(label) }
                    let bytes = now.filter { $0.key.hasPrefix("dropledger_dropped_bytes_total{") && $0.key.hasSuffix(label) }
                    #expect(drops.values.reduce(0, +) == count.drops, "drops of reason \(reason)")
                    #expect(bytes.values.reduce(0, +) == count.bytes, "bytes of reason \(reason)")
                }
                // The customers named are among the `limit` with the most drops (ties: lower ID first).
                var totals: [UInt64: UInt64] = [:]
                for (key, count) in ledger.snapshot().counters {
                    if case .id(let id) = key.customer { totals[id, default: 0] += count.drops }
                }
                let top = Set(totals.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(limit).map(\.key))
                for name in now.keys {
                    guard let match = name.firstMatch(of: /customer="(\d+)"/), let id = UInt64(match.output.1) else { continue }
                    #expect(top.contains(id), "customer \(id) is named but not among the top \(limit): \(totals)")
                }
            }
    }

    /// The case the issue reported: one named customer, customers alternating between
    /// reasons; `other`'s bytes for a reason went from 9790 to 5340.
    @Test func otherPerReasonDoesNotShrinkWhenACustomerIsPromoted() {
        let ledger = DropLedger(exposedCustomers: 1)
        func drop(_ id: UInt64, _ reason: UInt32, _ count: Int) {
            let batch = DropTally()
            for _ in 0..<count { batch.record(DropEvent(customer: .id(id), reason: reason, length: 89)) }
            ledger.flush(batch)
        }
        let other3 = DropKey(customer: .other, reason: 3)
        drop(1, 3, 10)
        drop(2, 3, 110)
        drop(2, 7, 1)
        var (snapshot, _) = ledger.exposition()  // names 2 (all of its drops); 1 is in other
        #expect(snapshot.counters[other3] == DropCount(drops: 10, bytes: 890))
        #expect(snapshot.counters[DropKey(customer: .id(2), reason: 3)] == DropCount(drops: 110, bytes: 9790))

        drop(1, 3, 200)  // 1 overtakes 2: 1 is promoted, 2 goes back into other
        (snapshot, _) = ledger.exposition()
        // other keeps 1's 10 earlier drops and gains all of 2's; 1's series counts from its promotion.
        #expect(snapshot.counters[other3] == DropCount(drops: 10 + 110, bytes: 890 + 9790))
        #expect(snapshot.counters[DropKey(customer: .other, reason: 7)] == DropCount(drops: 1, bytes: 89))
        #expect(snapshot.counters[DropKey(customer: .id(1), reason: 3)] == DropCount(drops: 200, bytes: 17800))
        #expect(snapshot.counters[DropKey(customer: .id(2), reason: 3)] == nil)
    }

    /// Customers first seen since the last scrape were never in `other`: named with all their drops.
    @Test func aNewcomerIsNamedWithAllItsDrops() {
        let ledger = DropLedger(exposedCustomers: 2)
        let batch = DropTally()
        batch.record(DropEvent(customer: .id(5), reason: 3, length: 1))
        ledger.flush(batch)
        _ = ledger.exposition()
        for _ in 0..<50 { batch.record(DropEvent(customer: .id(6), reason: 3, length: 1)) }
        ledger.flush(batch)
        let (snapshot, folded) = ledger.exposition()
        #expect(folded == 0)
        #expect(snapshot.counters[DropKey(customer: .id(6), reason: 3)] == DropCount(drops: 50, bytes: 50))
        #expect(snapshot.counters[DropKey(customer: .other, reason: 3)] == nil)
    }
}
