import Testing
import Foundation
import Synchronization
@testable import DropledgerCore

@Suite struct DropLedgerTests {
    @Test func publishMergesAndEmptiesTheTally() {
        let ledger = DropLedger()
        let batch = DropTally()
        batch.record(DropEvent(customer: .id(4321), reason: 3, length: 64))
        batch.record(DropEvent(customer: .id(4321), reason: 3, length: 64))
        batch.recordOverflow(DropKey(customer: .none, reason: 12), DropCount(drops: 5, bytes: 500))
        #expect(ledger.publish(batch))
        #expect(batch.isEmpty)

        let snapshot = ledger.snapshot()
        #expect(snapshot.events == 2)
        #expect(snapshot.overflowEvents == 5)
        #expect(snapshot.counters[DropKey(customer: .id(4321), reason: 3)] == DropCount(drops: 2, bytes: 128))
        #expect(snapshot.counters[DropKey(customer: .none, reason: 12)] == DropCount(drops: 5, bytes: 500))
    }

    @Test func snapshotIsACopy() {
        let ledger = DropLedger()
        let batch = DropTally()
        batch.record(DropEvent(customer: .id(1), reason: 2, length: 1))
        ledger.flush(batch)
        let before = ledger.snapshot()
        batch.record(DropEvent(customer: .id(1), reason: 2, length: 1))
        ledger.flush(batch)
        #expect(before.events == 1)
        #expect(before.counters[DropKey(customer: .id(1), reason: 2)]?.drops == 1)
        #expect(ledger.snapshot().counters[DropKey(customer: .id(1), reason: 2)]?.drops == 2)
    }

    /// While a scrape holds the lock, publish must return at once and keep the tally.
    @Test func publishDoesNotWaitForAScrape() async throws {
        final class Flags: Sendable {
            let lockHeld = Atomic<Bool>(false)
            let release = Atomic<Bool>(false)
            let done = Atomic<Bool>(false)
        }
        let ledger = DropLedger()
        let flags = Flags()
        // A real thread, so spinning cannot starve the cooperative pool.
        Thread.detachNewThread {
            ledger.withActivity { _, _ in
                flags.lockHeld.store(true, ordering: .sequentiallyConsistent)
                while !flags.release.load(ordering: .sequentiallyConsistent) { usleep(100) }
            }
            flags.done.store(true, ordering: .sequentiallyConsistent)
        }
        while !flags.lockHeld.load(ordering: .sequentiallyConsistent) { await Task.yield() }

        let batch = DropTally()
        batch.record(DropEvent(customer: .id(1), reason: 2, length: 10))
        #expect(ledger.publish(batch) == false)
        #expect(batch.events == 1)  // kept for the next attempt

        flags.release.store(true, ordering: .sequentiallyConsistent)
        while !flags.done.load(ordering: .sequentiallyConsistent) { await Task.yield() }
        batch.record(DropEvent(customer: .id(1), reason: 2, length: 10))
        #expect(ledger.publish(batch))
        #expect(ledger.snapshot().counters[DropKey(customer: .id(1), reason: 2)] == DropCount(drops: 2, bytes: 20))
        #expect(ledger.snapshot().events == 2)
    }

    @Test func concurrentPublishAndSnapshotsLoseNothing() async {
        let ledger = DropLedger()
        let consumer = Task.detached {
            let batch = DropTally()
            for i in 0 ..< 100_000 {
                batch.record(DropEvent(customer: .id(UInt64(i % 50)), reason: UInt32(i % 3), length: 2))
                if i % 97 == 0 { ledger.publish(batch) }
            }
            ledger.flush(batch)
        }
        let scraper = Task.detached {
            var last: UInt64 = 0
            for _ in 0 ..< 200 {
                let snapshot = ledger.snapshot()
                // A consistent snapshot: the event count matches the counters.
                #expect(snapshot.counters.total.drops == snapshot.events)
                #expect(snapshot.events >= last)
                last = snapshot.events
            }
        }
        await consumer.value
        await scraper.value
        let final = ledger.snapshot()
        #expect(final.events == 100_000)
        #expect(final.counters.total == DropCount(drops: 100_000, bytes: 200_000))
        #expect(final.counters.count == 150)
    }
}
