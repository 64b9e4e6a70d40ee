/// A consistent view of the ledger's totals, taken under one lock.
public struct LedgerSnapshot: Equatable, Sendable {
    public var counters: DropCounters
    /// `dropledger_events_total`.
    public var events: UInt64
    /// `dropledger_ring_overflow_total`.
    public var overflowEvents: UInt64
    /// Customers whose counts were summed into `other` to bound memory (see `DropLedger`).
    public var customersSummedIntoOther: UInt64 = 0

    public init(counters: DropCounters = DropCounters(), events: UInt64 = 0, overflowEvents: UInt64 = 0) {
        self.counters = counters
        self.events = events
        self.overflowEvents = overflowEvents
    }
}
