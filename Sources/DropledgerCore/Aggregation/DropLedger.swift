import Synchronization

/// The exporter's running totals, shared between the one consumer thread and scrapes.
///
/// The consumer must never wait for a scrape (the ring would fill and drops would lose
/// their details), so `publish` only merges when the lock is free and otherwise keeps
/// the batch for the next attempt.
public final class DropLedger: Sendable {
    private let totals = Mutex(LedgerSnapshot())

    public init() {}

    /// Merges `batch` into the totals and empties it if the lock is free right now.
    /// Returns false (batch untouched) if a scrape holds the lock.
    @discardableResult
    public func publish(_ batch: inout DropBatch) -> Bool {
        if batch.isEmpty { return true }
        let merged: Bool? = totals.withLockIfAvailable { totals in
            Self.merge(batch, into: &totals)
            return true
        }
        guard merged == true else { return false }
        batch.removeAll(keepingCapacity: true)
        return true
    }

    /// Merges `batch` unconditionally, waiting for the lock (shutdown, final drain).
    public func flush(_ batch: inout DropBatch) {
        if batch.isEmpty { return }
        totals.withLock { totals in Self.merge(batch, into: &totals) }
        batch.removeAll(keepingCapacity: true)
    }

    /// A consistent copy for one scrape. The scrape, not the consumer, pays for copying
    /// the storage: left to copy-on-write, the consumer's next merge would do it.
    public func snapshot() -> LedgerSnapshot {
        totals.withLock { totals in
            let copy = totals
            totals.counters.detachStorage()
            return copy
        }
    }

    /// Holds the lock for the duration of `body`, as a long scrape would.
    func withTotalsLockedForTesting(_ body: () -> Void) {
        totals.withLock { _ in body() }
    }

    private static func merge(_ batch: DropBatch, into totals: inout LedgerSnapshot) {
        totals.counters.merge(batch.counters)
        totals.events &+= batch.events
        totals.overflowEvents &+= batch.overflowEvents
    }
}
