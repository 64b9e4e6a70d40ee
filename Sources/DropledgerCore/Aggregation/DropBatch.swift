/// What the consumer thread accumulates between publishes: the counts plus the
/// event tallies, so that everything reaches the ledger in one locked step.
public struct DropBatch: Equatable, Sendable {
    public var counters = DropCounters()
    /// Events received through the ring buffers.
    public var events: UInt64 = 0
    /// Drops counted through the in-kernel fallback map because their event did not fit the ring.
    public var overflowEvents: UInt64 = 0

    public init() {}

    /// One event from a ring buffer.
    @inlinable
    public mutating func record(_ event: DropEvent) {
        counters.record(event)
        events &+= 1
    }

    /// Drops that only reached us as fallback-map deltas (see `FallbackFolder`).
    public mutating func recordOverflow(_ key: DropKey, _ count: DropCount) {
        counters.add(key, count)
        overflowEvents &+= count.drops
    }

    public var isEmpty: Bool { counters.isEmpty && events == 0 && overflowEvents == 0 }

    public mutating func removeAll(keepingCapacity: Bool = true) {
        counters.removeAll(keepingCapacity: keepingCapacity)
        events = 0
        overflowEvents = 0
    }
}
