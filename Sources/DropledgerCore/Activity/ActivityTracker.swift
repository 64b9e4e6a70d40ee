/// Per-customer detail for the JSON API, for at most `capacity` customers: when more
/// are seen (a flood of forged IDs), the least recently dropping are evicted. Their
/// exact totals stay in the ledger's counters; only the detail is forgotten.
public struct ActivityTracker: Sendable {
    public let capacity: Int
    public private(set) var customers: [DropCustomer: CustomerActivity] = [:]
    /// Customers evicted so far.
    public private(set) var evicted: UInt64 = 0

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// Adds drops at `site` seen at `time` (Unix seconds). Eviction waits for `evict()`,
    /// so that the ring consumer, which adds, never pays for the sort.
    public mutating func add(_ site: DropSite, _ count: DropCount, at time: Double) {
        customers[site.customer, default: CustomerActivity(at: time)].add(site, count, at: time)
    }

    /// Whether more customers than `capacity` have detail now.
    public var needsEviction: Bool { customers.count > capacity }

    /// Evicts down to 90 % of the capacity, so a steady stream of new customers
    /// pays for the sort once per tenth of the capacity, not on every call.
    public mutating func evict() {
        guard needsEviction else { return }
        let keep = max(1, capacity - capacity / 10)
        let byRecency = customers.sorted { ($0.value.lastSeen, $0.key) > ($1.value.lastSeen, $1.key) }
        for (customer, _) in byRecency[keep...] { customers[customer] = nil }
        evicted += UInt64(byRecency.count - keep)
    }
}
