import DropledgerCore
import PropertyBased
import Testing

/// What `/metrics` serves through `DropLedger.exposition()`, rendered and parsed back
/// as Prometheus reads it: while customers climb in and out of the named set and the
/// ledger compacts its table, no served series ever shows less than it once showed,
/// every drop is in the growth of exactly one series, and the customers named are the
/// top ones by drops.
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
            Self.check(limit: $0, seriesLimit: $1, rememberedSeriesLimit: 1024, steps: $2)
        }
    }

    /// Past `rememberedSeriesLimit` retired series some are forgotten: `other` still
    /// never goes down and no drop is counted twice. A forgotten series named again
    /// restarts from zero: where it comes back at or above what it once showed,
    /// Prometheus takes it for continued and misses up to that much of its growth.
    @Test func forgettingRetiredSeriesKeepsOtherMonotonic() async {
        await propertyCheck(count: 200, input: Gen.int(in: 1...6), Gen.int(in: 8...60), Gen.int(in: 1...4), Self.step.array(of: 1...150)) {
            Self.check(limit: $0, seriesLimit: $1, rememberedSeriesLimit: $2, steps: $3)
        }
    }

    /// Runs `steps` through a ledger naming `limit` customers and compacting beyond
    /// `seriesLimit` series, checking every scrape against the last value ever served
    /// for each series. With a `rememberedSeriesLimit` too small to hold every retired
    /// series, only `other` is held to that (a forgotten series named again is reset),
    /// and the series' increases, as Prometheus computes them, to at most the drops.
    static func check(limit: Int, seriesLimit: Int, rememberedSeriesLimit: Int, steps: [Step]) {
        let ledger = DropLedger(trackedCustomers: 100, seriesLimit: seriesLimit, exposedCustomers: limit,
                                rememberedSeriesLimit: rememberedSeriesLimit)
        // At most 24 IDs with 3 reasons each can be retired.
        let exact = rememberedSeriesLimit >= 24 * 3
        // The last value ever served for each series, served now or not.
        var lastServed: [String: UInt64] = [:]
        var increases: [String: UInt64] = [:]
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
            for (name, value) in now where exact || name.contains("customer=\"other\"") {
                if let before = lastServed[name] { #expect(value >= before, "\(name) went from \(before) to \(value)") }
            }
            // A series may vanish (its customer left the named set) but `other` never does.
            for (name, _) in lastServed where name.contains("customer=\"other\"") {
                #expect(now[name] != nil, "\(name) vanished")
            }
            // Prometheus's increase(): a series below its last value was reset (only a
            // forgotten series may be), and its whole value is growth.
            for (name, value) in now {
                let before = lastServed[name] ?? 0
                increases[name, default: 0] += value >= before ? value - before : value
            }
            lastServed.merge(now) { $1 }
            // Every drop in the growth of exactly one series: the last values of all series
            // ever served sum to the total; while none has vanished, the served ones do.
            let noneVanished = now.count == lastServed.count
            for (reason, count) in dropped {
                let label = "reason=\"UNKNOWN_\(reason)\"}"
                func sum(_ family: String, _ series: [String: UInt64]) -> UInt64 {
                    series.filter { $0.key.hasPrefix(family + "{") && $0.key.hasSuffix(label) }.values.reduce(0, +)
                }
                if exact {
                    #expect(sum("dropledger_drops_total", lastServed) == count.drops, "drops of reason \(reason)")
                    #expect(sum("dropledger_dropped_bytes_total", lastServed) == count.bytes, "bytes of reason \(reason)")
                }
                // The increases of all series sum to the drops: none lost, none counted
                // twice; with series forgotten, none counted twice.
                if exact {
                    #expect(sum("dropledger_drops_total", increases) == count.drops, "increase() of the drops of reason \(reason)")
                    #expect(sum("dropledger_dropped_bytes_total", increases) == count.bytes, "increase() of the bytes of reason \(reason)")
                } else {
                    #expect(sum("dropledger_drops_total", increases) <= count.drops, "increase() of the drops of reason \(reason)")
                    #expect(sum("dropledger_dropped_bytes_total", increases) <= count.bytes, "increase() of the bytes of reason \(reason)")
                }
                if exact && noneVanished {
                    #expect(sum("dropledger_drops_total", now) == count.drops, "served drops of reason \(reason)")
                    #expect(sum("dropledger_dropped_bytes_total", now) == count.bytes, "served bytes of reason \(reason)")
                }
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

    /// The reviewer's case, with one customer named: A=10, B=5; then B=11; then A=12.
    /// A used to come back at 2 (restarted from its promotion). Now it resumes from the
    /// 10 it showed, B stays at 6 while retired, and `other` keeps the 5 it counted.
    @Test func aCustomerNamedAgainResumesFromWhatItShowed() {
        let ledger = DropLedger(exposedCustomers: 1)
        func drop(_ id: UInt64, _ count: Int) {
            let batch = DropTally()
            for _ in 0..<count { batch.record(DropEvent(customer: .id(id), reason: 3, length: 1)) }
            ledger.flush(batch)
        }
        func scrape() -> [DropCustomer: UInt64] {
            var drops: [DropCustomer: UInt64] = [:]
            for (key, count) in ledger.exposition().snapshot.counters { drops[key.customer, default: 0] += count.drops }
            return drops
        }
        drop(1, 10)
        drop(2, 5)
        #expect(scrape() == [.id(1): 10, .other: 5])
        drop(2, 6)
        #expect(scrape() == [.id(2): 6, .other: 5])     // A retired at 10; B's burst in its own series
        drop(1, 2)
        #expect(scrape() == [.id(1): 12, .other: 5])    // A resumes from 10; B retired at 6
        drop(2, 9)
        #expect(scrape() == [.id(2): 15, .other: 5])    // B resumes from 6
    }

    /// The case an earlier issue reported: one named customer, customers alternating
    /// between reasons; `other`'s bytes for a reason went from 9790 to 5340.
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

        drop(1, 3, 200)  // 1 overtakes 2: 1 is promoted, 2 is retired
        (snapshot, _) = ledger.exposition()
        // other keeps 1's 10 earlier drops; 2's series stay at what they showed (not served);
        // 1's series count from its promotion.
        #expect(snapshot.counters[other3] == DropCount(drops: 10, bytes: 890))
        #expect(snapshot.counters[DropKey(customer: .other, reason: 7)] == nil)
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
