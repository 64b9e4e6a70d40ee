import Testing
@testable import DropledgerCore

@Suite struct DropCountersTests {
    @Test func recordCountsPacketsAndBytes() {
        var counters = DropCounters()
        #expect(counters.isEmpty)
        counters.record(DropEvent(customer: .id(7), reason: 3, length: 100))
        counters.record(DropEvent(customer: .id(7), reason: 3, length: 60))
        counters.record(DropEvent(customer: .none, reason: 3, length: 1))
        #expect(counters[DropKey(customer: .id(7), reason: 3)] == DropCount(drops: 2, bytes: 160))
        #expect(counters[DropKey(customer: .none, reason: 3)] == DropCount(drops: 1, bytes: 1))
        #expect(counters[DropKey(customer: .none, reason: 4)] == nil)
        #expect(counters.count == 2)
        #expect(counters.total == DropCount(drops: 3, bytes: 161))
    }

    @Test func mergeAddsSeriesBySeries() {
        var a = DropCounters([DropKey(customer: .id(1), reason: 2): DropCount(drops: 1, bytes: 10)])
        let b = DropCounters([
            DropKey(customer: .id(1), reason: 2): DropCount(drops: 2, bytes: 20),
            DropKey(customer: .invalid, reason: 2): DropCount(drops: 5, bytes: 50),
        ])
        a.merge(b)
        #expect(a == DropCounters([
            DropKey(customer: .id(1), reason: 2): DropCount(drops: 3, bytes: 30),
            DropKey(customer: .invalid, reason: 2): DropCount(drops: 5, bytes: 50),
        ]))
        var empty = DropCounters()
        empty.merge(b)
        #expect(empty == b)
    }

    @Test func exactAbove2To53() {
        var counters = DropCounters()
        let key = DropKey(customer: .id(1), reason: 2)
        counters.add(key, DropCount(drops: 1 << 53, bytes: UInt64.max - 1))
        counters.add(key, DropCount(drops: 1, bytes: 1))
        #expect(counters[key] == DropCount(drops: (1 << 53) + 1, bytes: UInt64.max))
    }

    @Test func sortedAndRemoveAll() {
        var counters = DropCounters()
        for customer: DropCustomer in [.other, .id(10), .none, .id(2), .invalid] {
            counters.add(DropKey(customer: customer, reason: 9), DropCount(drops: 1))
            counters.add(DropKey(customer: customer, reason: 1), DropCount(drops: 1))
        }
        #expect(counters.sorted().map(\.key) == [
            DropKey(customer: .id(2), reason: 1), DropKey(customer: .id(2), reason: 9),
            DropKey(customer: .id(10), reason: 1), DropKey(customer: .id(10), reason: 9),
            DropKey(customer: .invalid, reason: 1), DropKey(customer: .invalid, reason: 9),
            DropKey(customer: .none, reason: 1), DropKey(customer: .none, reason: 9),
            DropKey(customer: .other, reason: 1), DropKey(customer: .other, reason: 9),
        ])
        #expect(counters.reduce(0) { $0 + $1.value.drops } == 10)
        counters.removeAll(keepingCapacity: true)
        #expect(counters.isEmpty)
        #expect(counters.total == DropCount())
    }
}
