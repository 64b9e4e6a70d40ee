/// What a consumer thread accumulates between publishes: counts per drop site plus
/// the event tallies, so that everything reaches the ledger in one locked step.
public struct DropBatch: Sendable {
    /// Counts per (customer, reason, location, device): one table update per event;
    /// the ledger folds it into per-series totals and per-customer detail.
    public var sites = CountTable<DropSite>()
    /// Events received through the ring buffers.
    public var events: UInt64 = 0
    /// Drops counted through the in-kernel fallback map because their event did not fit the ring.
    public var overflowEvents: UInt64 = 0

    public init() {}

    /// One event. The ring consumer counts through a `DrainTally` instead (the same
    /// counts, flushed here once per drain); this is for single events (tests, tools).
    @inlinable
    public mutating func record(_ event: DropEvent) {
        sites.add(DropSite(event), DropCount(drops: 1, bytes: UInt64(event.length)))
        events &+= 1
    }

    /// Drops that only reached us as fallback-map deltas (see `FallbackFolder`): their
    /// location and device are unknown.
    public mutating func recordOverflow(_ key: DropKey, _ count: DropCount) {
        sites.add(DropSite(customer: key.customer, reason: key.reason), count)
        overflowEvents &+= count.drops
    }

    /// The batch's counts per (customer, reason).
    public var counters: DropCounters {
        var counters = DropCounters()
        for (site, count) in sites { counters.add(site.key, count) }
        return counters
    }

    public var isEmpty: Bool { sites.isEmpty && events == 0 && overflowEvents == 0 }

    public mutating func removeAll(keepingCapacity: Bool = true) {
        sites.removeAll(keepingCapacity: keepingCapacity)
        events = 0
        overflowEvents = 0
    }
}
