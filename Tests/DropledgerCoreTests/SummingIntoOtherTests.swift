import DropledgerCore
import Testing

struct SummingIntoOtherTests {
    @Test func keepsTheTopCustomersAndSumsTheRestIntoOther() {
        var counters = DropCounters()
        for id in UInt64(1)...6 {
            counters.add(DropKey(customer: .id(id), reason: 3), DropCount(drops: id * 10, bytes: id * 100))
            counters.add(DropKey(customer: .id(id), reason: 7), DropCount(drops: 1, bytes: 1))
        }
        counters.add(DropKey(customer: .none, reason: 3), DropCount(drops: 1000, bytes: 1))
        counters.add(DropKey(customer: .other, reason: 3), DropCount(drops: 5, bytes: 5))
        let (folded, count) = counters.summingIntoOther(keeping: 2)
        #expect(count == 4)
        #expect(folded[DropKey(customer: .id(6), reason: 3)] == DropCount(drops: 60, bytes: 600))
        #expect(folded[DropKey(customer: .id(5), reason: 7)] == DropCount(drops: 1, bytes: 1))
        #expect(folded[DropKey(customer: .id(4), reason: 3)] == nil)
        // 1..4 folded into the existing `other` series, per reason.
        #expect(folded[DropKey(customer: .other, reason: 3)] == DropCount(drops: 5 + 100, bytes: 5 + 1000))
        #expect(folded[DropKey(customer: .other, reason: 7)] == DropCount(drops: 4, bytes: 4))
        #expect(folded[DropKey(customer: .none, reason: 3)] == DropCount(drops: 1000, bytes: 1))
        #expect(folded.total == counters.total)
    }

    @Test func underTheLimitNothingChanges() {
        var counters = DropCounters()
        counters.add(DropKey(customer: .id(1), reason: 3), DropCount(drops: 1, bytes: 1))
        let (folded, count) = counters.summingIntoOther(keeping: 1)
        #expect(count == 0 && folded == counters)
    }

    @Test func theLedgerStaysBoundedUnderAFloodOfIDs() {
        let ledger = DropLedger(trackedCustomers: 100, seriesLimit: 1000)
        let batch = DropTally()
        for id in UInt64(0)..<5000 {
            batch.record(DropEvent(customer: .id(id), reason: 3, length: 10))
            if id % 100 == 99 {
                ledger.flush(batch)
                ledger.maintain()  // as the consumer's maintenance thread does every second
            }
        }
        let snapshot = ledger.snapshot()
        #expect(snapshot.counters.count <= 1000)
        #expect(snapshot.counters.total == DropCount(drops: 5000, bytes: 50_000), "every drop still counted")
        #expect(snapshot.customersSummedIntoOther + UInt64(snapshot.counters.count - 1) == 5000)
        #expect(ledger.withActivity { activity, _ in activity.customers.count } <= 100)
    }
}
