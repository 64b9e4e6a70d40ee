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
        /// Times the table was compacted (customers folded into `other` to bound memory).
        var compactions: UInt64 = 0
        /// The customers `/metrics` names: never compacted away, so their series never shrink.
        var protected = Set<UInt64>()
    }

    private let state: Mutex<State>
    private let seriesLimit: Int
    /// Which customers `/metrics` names; one scrape at a time updates it.
    private let namedCustomers: Mutex<NamedCustomers>

    /// `trackedCustomers`: how many customers keep API detail (see `ActivityTracker`).
    /// `seriesLimit`: beyond this many (customer, reason) series, the customers that dropped
    /// least are summed into `other`, halving the table: memory stays bounded when forged
    /// metadata brings millions of IDs, and every drop stays counted.
    /// `exposedCustomers`: how many customers `exposition()` names (`--max-customers`).
    public init(trackedCustomers: Int = 100_000, seriesLimit: Int = 1_000_000, exposedCustomers: Int = 10_000) {
        state = Mutex(State(activity: ActivityTracker(capacity: trackedCustomers)))
        self.seriesLimit = seriesLimit
        namedCustomers = Mutex(NamedCustomers(limit: exposedCustomers))
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

    /// What `/metrics` serves: a snapshot with the named customers' series and the others
    /// summed into `other` (see `NamedCustomers`), and how many customers were summed.
    /// Every served series is monotonic across calls.
    public func exposition() -> (snapshot: LedgerSnapshot, folded: Int) {
        namedCustomers.withLock { named in
            while true {
                let (snapshot, compactions) = state.withLock { state in
                    let copy = state.totals
                    state.totals.counters.detachStorage()
                    return (copy, state.compactions)
                }
                var next = named
                var served = snapshot
                let folded: Int
                (served.counters, folded) = next.fold(snapshot.counters, compactions: compactions)
                // Protect the new named set, unless a compaction ran meanwhile with the old
                // one (and may have folded away a customer just named): then start over.
                let committed = state.withLock { state in
                    guard state.compactions == compactions else { return false }
                    state.protected = Set(next.named)
                    return true
                }
                if committed {
                    named = next
                    return (served, folded)
                }
            }
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
            let (folded, count) = state.totals.counters.foldingCustomers(keeping: customers / 2, protected: state.protected)
            state.totals.counters = folded
            state.totals.foldedCustomers &+= UInt64(count)
            state.compactions &+= 1
        }
        state.totals.events &+= batch.events
        state.totals.overflowEvents &+= batch.overflowEvents
        state.activity.record(batch.sites, at: time)
    }
}
