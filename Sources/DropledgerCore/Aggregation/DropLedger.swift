import Synchronization

/// The exporter's running totals and per-customer detail, shared between the ring
/// consumer's threads (one per CPU), scrapes and API requests.
///
/// A consumer thread must never wait for a reader or another consumer (its ring would
/// fill and drops would lose their details), so `publish` only merges when the lock is
/// free and otherwise keeps the batch for the next attempt.
public final class DropLedger: Sendable {
    private struct State {
        var totals = LedgerSnapshot()
        var activity: ActivityTracker
    }

    private let state: Mutex<State>
    private let seriesLimit: Int

    /// `trackedCustomers`: how many customers keep API detail (see `ActivityTracker`).
    /// `seriesLimit`: beyond this many (customer, reason) series, the customers that dropped
    /// least are summed into `other`, halving the table: memory stays bounded when forged
    /// metadata brings millions of IDs, and every drop stays counted.
    public init(trackedCustomers: Int = 100_000, seriesLimit: Int = 1_000_000) {
        state = Mutex(State(activity: ActivityTracker(capacity: trackedCustomers)))
        self.seriesLimit = seriesLimit
    }

    /// Merges `batch`, seen at `time` (Unix seconds), and empties it if the lock is free
    /// right now. Returns false (batch untouched) if a reader holds the lock.
    @discardableResult
    public func publish(_ batch: inout DropBatch, at time: Double = 0) -> Bool {
        if batch.isEmpty { return true }
        let merged: Bool? = state.withLockIfAvailable { state in
            Self.merge(batch, at: time, into: &state, seriesLimit: seriesLimit)
            return true
        }
        guard merged == true else { return false }
        batch.removeAll(keepingCapacity: true)
        return true
    }

    /// Merges `batch` unconditionally, waiting for the lock (shutdown, final drain).
    public func flush(_ batch: inout DropBatch, at time: Double = 0) {
        if batch.isEmpty { return }
        state.withLock { state in Self.merge(batch, at: time, into: &state, seriesLimit: seriesLimit) }
        batch.removeAll(keepingCapacity: true)
    }

    /// A consistent copy of the totals for one scrape. The scrape, not the consumer, pays
    /// for copying the storage: left to copy-on-write, the consumer's next merge would do it.
    public func snapshot() -> LedgerSnapshot {
        state.withLock { state in
            let copy = state.totals
            state.totals.counters.detachStorage()
            return copy
        }
    }

    /// Reads the per-customer detail (and the totals) under the lock: keep `body` short,
    /// the consumer's merges wait meanwhile (it keeps counting into its batch).
    public func withActivity<T>(_ body: (borrowing ActivityTracker, borrowing LedgerSnapshot) throws -> T) rethrows -> T {
        try state.withLock { state in try body(state.activity, state.totals) }
    }

    private static func merge(_ batch: DropBatch, at time: Double, into state: inout State, seriesLimit: Int) {
        for (site, count) in batch.sites { state.totals.counters.add(site.key, count) }
        if state.totals.counters.count > seriesLimit {
            let customers = Set(state.totals.counters.lazy.map(\.key.customer)).count
            let (folded, count) = state.totals.counters.foldingCustomers(keeping: customers / 2)
            state.totals.counters = folded
            state.totals.foldedCustomers &+= UInt64(count)
        }
        state.totals.events &+= batch.events
        state.totals.overflowEvents &+= batch.overflowEvents
        state.activity.record(batch.sites, at: time)
    }
}
