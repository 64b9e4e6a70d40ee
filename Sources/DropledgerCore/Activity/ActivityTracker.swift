/// Per-customer detail for the JSON API, for at most `capacity` customers: when more
/// are seen (a flood of forged IDs), the least recently dropping are evicted. Their
/// exact totals stay in the ledger's counters; only the detail is forgotten.
///
/// Memory is bounded even between evictions: once a tenth more than `capacity` have
/// detail, customers first seen before the next `evict()` get none (their totals are
/// still counted by the ledger, as an evicted customer's are).
public struct ActivityTracker: Sendable {
    public let capacity: Int
    public private(set) var customers = ActivityTable()
    /// Customers evicted so far, and those first seen while the detail was full
    /// (waiting for `evict()`), which never got any.
    public private(set) var evicted: UInt64 = 0
    /// Those refused detail since the last `evict()`, so that a customer dropping at
    /// several sites, or in several merges before the eviction, counts once. At most a
    /// tenth of the capacity (the bound holds between evictions too); past that, each
    /// further refusal counts (an over-count only if evictions stall for that long).
    private var refused: Set<DropCustomer> = []

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// The most customers with detail at any time: the capacity and a tenth.
    public var hardLimit: Int { capacity + Swift.max(1, capacity / 10) }

    /// Adds drops at `site` seen at `time` (Unix seconds). Eviction waits for `evict()`,
    /// so that the ring consumer, which adds, never pays for the sort.
    public mutating func add(_ site: DropSite, _ count: DropCount, at time: Double) {
        if !customers.update(site.customer, { $0.add(site, count, at: time) }) {
            guard customers.count < hardLimit else {
                if refused.count >= hardLimit - capacity || refused.insert(site.customer).inserted { evicted &+= 1 }
                return
            }
            var activity = CustomerActivity(at: time)
            activity.add(site, count, at: time)
            // Room for the bound at once (pages are only touched as customers come):
            // growing by doubling would hold the old arrays and the new at once.
            if customers.isEmpty { customers.reserveCapacity(Swift.min(hardLimit, 1 << 18)) }
            customers.insert(site.customer, activity)
        }
    }

    /// Whether more customers than `capacity` have detail now.
    public var needsEviction: Bool { customers.count > capacity }

    /// Evicts down to 90 % of the capacity, so a steady stream of new customers
    /// pays for the sort once per tenth of the capacity, not on every call.
    public mutating func evict() {
        guard needsEviction else { return }
        let keep = max(1, capacity - capacity / 10)
        evicted += UInt64(customers.keepMostRecent(keep))
        refused = []
    }
}

/// The customers with detail: dense arrays in insertion order and an open-addressing
/// index, as `CountTable`. A `Dictionary` of 100k activities sized its buckets to the
/// next power of two above 4/3 of the count (262144 buckets of 240 bytes here) and
/// doubled them with a copy while both lived: 60 MB for what these arrays hold in 25.
public struct ActivityTable: Sendable {
    private var ids: [DropCustomer] = []
    private var records: [CustomerActivity] = []
    private var slots: [UInt32] = []

    public init() {}

    public var count: Int { ids.count }
    public var isEmpty: Bool { ids.isEmpty }
    /// The customers, in insertion order.
    public var keys: [DropCustomer] { ids }

    public subscript(customer: DropCustomer) -> CustomerActivity? {
        index(of: customer).map { records[$0] }
    }

    /// Applies `body` to `customer`'s activity; false if it has none.
    mutating func update(_ customer: DropCustomer, _ body: (inout CustomerActivity) -> Void) -> Bool {
        guard let index = index(of: customer) else { return false }
        body(&records[index])
        return true
    }

    mutating func reserveCapacity(_ count: Int) {
        ids.reserveCapacity(count)
        records.reserveCapacity(count)
        if count * 2 > slots.count { rebuildSlots(minimumCount: count) }
    }

    /// Adds a customer that has no activity yet.
    mutating func insert(_ customer: DropCustomer, _ activity: CustomerActivity) {
        if (ids.count + 1) * 2 > slots.count { rebuildSlots(minimumCount: ids.count + 1) }
        ids.append(customer)
        records.append(activity)
        insertSlot(for: ids.count - 1)
    }

    /// Keeps the `keep` customers that dropped most recently; returns how many went.
    mutating func keepMostRecent(_ keep: Int) -> Int {
        guard ids.count > keep else { return 0 }
        // Sort indices, not (customer, activity) pairs: a pair is 240 bytes.
        let order = ids.indices.sorted { (records[$0].lastSeen, ids[$0]) > (records[$1].lastSeen, ids[$1]) }
        // Compacted in place (kept indices ascend, so each moves down or stays): new
        // arrays would hold a second copy of the detail while the old one lives.
        let kept = order[..<keep].sorted()
        for (position, index) in kept.enumerated() where position != index {
            ids[position] = ids[index]
            records[position] = records[index]
        }
        let gone = ids.count - kept.count
        ids.removeLast(gone)
        records.removeLast(gone)
        slots = []
        rebuildSlots(minimumCount: ids.count)
        return gone
    }

    private func index(of customer: DropCustomer) -> Int? {
        if slots.isEmpty { return nil }
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: Self.hash(customer)) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return nil }
            if ids[Int(entry) - 1] == customer { return Int(entry) - 1 }
            slot = (slot + 1) & mask
        }
    }

    private static func hash(_ customer: DropCustomer) -> UInt64 {
        let (status, id) = customer.encoded
        return mix64(mix64(id ^ countingSeed) ^ UInt64(status))
    }

    private mutating func rebuildSlots(minimumCount: Int) {
        var capacity = 16
        while capacity < minimumCount * 2 { capacity *= 2 }
        slots = [UInt32](repeating: 0, count: capacity)
        for index in ids.indices { insertSlot(for: index) }
    }

    private mutating func insertSlot(for index: Int) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: Self.hash(ids[index])) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = UInt32(index + 1)
    }
}

extension ActivityTable: Sequence {
    public typealias Element = (key: DropCustomer, value: CustomerActivity)

    public struct Iterator: IteratorProtocol {
        let table: ActivityTable
        var index = 0

        public mutating func next() -> Element? {
            guard index < table.ids.count else { return nil }
            defer { index += 1 }
            return (table.ids[index], table.records[index])
        }
    }

    public func makeIterator() -> Iterator { Iterator(table: self) }
    public var underestimatedCount: Int { ids.count }
}
