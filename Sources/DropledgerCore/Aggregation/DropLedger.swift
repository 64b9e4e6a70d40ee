import Synchronization

/// The exporter's running totals and per-customer detail, shared between the ring
/// consumer's threads (one per CPU), scrapes and API requests.
///
/// A consumer thread must never wait for a reader or another consumer (its ring would
/// fill and drops would lose their details), so `publish` only merges when the lock is
/// free and otherwise leaves the tally to grow until the next attempt. Nothing a
/// consumer thread does here grows with the number of customers beyond adding its
/// tally: compacting the table and evicting API detail (both sort every customer) wait
/// for `maintain()`, which a thread of normal priority calls.
public final class DropLedger: Sendable {
    private struct State {
        var totals = LedgerSnapshot()
        var activity: ActivityTracker
        /// Times the table was compacted (customers summed into `other` to bound memory).
        var compactions: UInt64 = 0
        /// The customers `/metrics` names: never compacted away, so their series never shrink.
        var protected = Set<UInt64>()
    }

    private let state: Mutex<State>
    private let seriesLimit: Int
    /// Set by a merge that took the table past `seriesLimit` or the API detail past its
    /// capacity: `maintain()` is due.
    private let maintenanceDue = Atomic<Bool>(false)
    /// Which customers `/metrics` names; one scrape at a time updates it.
    private let namedCustomers: Mutex<NamedCustomers>
    /// How many customers `/metrics` names at most (`--max-customers`).
    public let exposedCustomers: Int

    /// The default `seriesLimit` (`--max-series`): 2^18 (customer, reason) series, about
    /// 10 MB of table, a tenth of the exporter's 128 MB budget under a forged-ID flood.
    public static let defaultSeriesLimit = 262_144

    /// `trackedCustomers`: how many customers keep API detail (see `ActivityTracker`).
    /// `seriesLimit`: beyond this many (customer, reason) series, `maintain()` sums the
    /// customers that dropped least into `other`, halving the table: memory stays bounded
    /// when forged metadata brings millions of IDs, and every drop stays counted.
    /// `exposedCustomers`: how many customers `exposition()` names (`--max-customers`).
    /// `rememberedSeriesLimit`: how many series of customers no longer named `exposition()`
    /// remembers, to keep them monotonic (see `NamedCustomers`); if nil, four times
    /// `exposedCustomers` (at least 4096, at most `seriesLimit`): a forged-ID flood churning
    /// through the named set must not hold a series for each ID it brought.
    public init(trackedCustomers: Int = 100_000, seriesLimit: Int = DropLedger.defaultSeriesLimit, exposedCustomers: Int = 10_000,
                rememberedSeriesLimit: Int? = nil) {
        state = Mutex(State(activity: ActivityTracker(capacity: trackedCustomers)))
        self.seriesLimit = seriesLimit
        namedCustomers = Mutex(NamedCustomers(limit: exposedCustomers, rememberedSeriesLimit: rememberedSeriesLimit ?? Swift.min(seriesLimit, Swift.max(4 * exposedCustomers, 4096))))
        self.exposedCustomers = exposedCustomers
    }

    /// Adds `tally`, seen at `time` (Unix seconds), and empties it, if the lock is free
    /// right now. Returns false (tally untouched) if a reader holds the lock.
    @discardableResult
    public func publish(_ tally: DropTally, at time: Double = 0) -> Bool {
        if tally.isEmpty { return true }
        let merged: Bool? = state.withLockIfAvailable { state in
            merge(tally, at: time, into: &state)
            return true
        }
        guard merged == true else { return false }
        tally.removeAll()
        return true
    }

    /// Whether `maintain()` has work to do (cheap: the maintenance thread polls it).
    public var needsMaintenance: Bool { maintenanceDue.load(ordering: .relaxed) }

    /// Adds `tally` unconditionally, waiting for the lock (shutdown, fallback counts).
    public func flush(_ tally: DropTally, at time: Double = 0) {
        if tally.isEmpty { return }
        state.withLock { state in merge(tally, at: time, into: &state) }
        tally.removeAll()
    }

    /// Compacts the table past `seriesLimit` series and evicts API detail past its
    /// capacity, if needed: the work that sorts every customer, off the consumer threads.
    public func maintain() {
        maintenanceDue.store(false, ordering: .relaxed)
        state.withLock { state in
            if state.totals.counters.count > seriesLimit {
                let customers = Set(state.totals.counters.lazy.map(\.key.customer)).count
                let (compacted, count) = state.totals.counters.summingIntoOther(keeping: customers / 2, protected: state.protected)
                // Nothing to sum when the named customers' series alone pass the limit: keep
                // the table, and do not count a compaction that summed no one.
                if count > 0 {
                    state.totals.counters = compacted
                    state.totals.customersSummedIntoOther &+= UInt64(count)
                    state.compactions &+= 1
                }
            }
            state.activity.evict()
        }
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
    /// No served series ever shows less than it showed at an earlier call.
    public func exposition() -> (snapshot: LedgerSnapshot, summed: Int) {
        let (snapshot, summed, _) = expositionNaming()
        return (snapshot, summed)
    }

    /// `exposition()`, and the customers it names by ID (the tagged-traffic series name the same).
    ///
    /// Computed under the lock from the ledger's own table, not from a copy of it: with
    /// hundreds of thousands of customers a copy per scrape was the largest allocation
    /// of the exporter. The consumers do not wait meanwhile (`publish` tries the lock);
    /// their tallies grow until the next attempt.
    public func expositionNaming() -> (snapshot: LedgerSnapshot, summed: Int, named: Set<UInt64>) {
        namedCustomers.withLock { named in
            state.withLock { state in
                var served = state.totals
                let summed: Int
                (served.counters, summed) = named.series(for: state.totals.counters, compactions: state.compactions)
                // `named` keeps the table as what each customer counted at this scrape: the
                // next merge must not pay for copying it on a consumer thread.
                state.totals.counters.detachStorage()
                state.protected = named.named
                return (served, summed, state.protected)
            }
        }
    }

    /// Reads the per-customer detail (and the totals) under the lock: keep `body` short,
    /// the consumer's publishes wait meanwhile (it keeps counting into its tally).
    public func withActivity<T>(_ body: (borrowing ActivityTracker, borrowing LedgerSnapshot) throws -> T) rethrows -> T {
        try state.withLock { state in try body(state.activity, state.totals) }
    }

    private func merge(_ tally: DropTally, at time: Double, into state: inout State) {
        tally.forEach { site, count in
            state.totals.counters.add(site.key, count)
            state.activity.add(site, count, at: time)
        }
        state.totals.events &+= tally.events
        state.totals.overflowEvents &+= tally.overflowEvents
        if state.totals.counters.count > seriesLimit || state.activity.needsEviction {
            maintenanceDue.store(true, ordering: .relaxed)
        }
    }
}
