/// Which customers `/metrics` names, kept from one scrape to the next so that no
/// served counter ever goes down while the named set changes.
///
/// `/metrics` names the `limit` customers with the most drops and sums the others into
/// `customer="other"`, per reason. Recomputing that sum at every scrape would make
/// `other` shrink whenever a customer is promoted into the named set (its drops leave
/// the sum), and Prometheus reads every decrease as a counter reset. So:
///
/// * A customer promoted from `other` leaves behind, in `other`, what `other` served of
///   it at the last scrape (its *offset*, per reason); its own series count the rest,
///   so the burst that promoted it shows in its own series.
/// * A customer that leaves the named set takes its series away and returns all its
///   drops to `other`, which grows by what its series held.
/// * A customer first seen since the last scrape was never part of `other`: it is
///   named with all its drops.
///
/// Every drop is in exactly one served series at every scrape, and between two scrapes
/// each served series only grows (`MonotonicExpositionTests`).
public struct NamedCustomers: Sendable {
    /// How many customers to name.
    public let limit: Int
    /// The customers named by the last `series(for:compactions:)`.
    public private(set) var named: Set<UInt64> = []
    /// What of a named customer's drops stays in `other`, per reason; only customers
    /// promoted from `other` have any.
    private var offsets: [UInt64: [UInt32: DropCount]] = [:]
    /// The ledger's table at the last scrape, kept while some customer was summed into
    /// `other` (nil: every customer was named, so none is in `other`): what `other`
    /// served of each customer then.
    private var previous: DropCounters?
    /// The ledger's compaction count at the last scrape. A compaction sums customers
    /// into the ledger's own `other`, after which `previous` may hold counts of an ID
    /// that has since started again from zero.
    private var compactionsSeen: UInt64 = 0

    public init(limit: Int) {
        self.limit = limit
    }

    /// How a newly named customer's offsets are found.
    private enum Promotion {
        /// What `previous` held of it: what `other` served.
        case fromPrevious
        /// Its counts now: after a compaction `previous` cannot be trusted, so all its
        /// drops so far stay in `other` (exact, only less detailed).
        case allSoFar
    }

    /// The series to serve for `counters` (the ledger's table), after `compactions`
    /// compactions of it; `summed` is how many customers `other` sums.
    public mutating func series(for counters: DropCounters, compactions: UInt64) -> (counters: DropCounters, summed: Int) {
        // Drops per customer, in a counting table (a scrape of 100k series spent a third
        // of its time in a Dictionary here).
        var drops = CountTable<CustomerID>()
        drops.reserveCapacity(counters.count)
        for i in counters.keys.indices {
            if case .id(let id) = counters.keys[i].customer { drops.add(CustomerID(id), DropCount(drops: counters.values[i].drops)) }
        }
        let kept: Set<UInt64>
        if drops.count <= limit {
            // Every customer named. Named customers stay in the table (the ledger never
            // compacts them away), so the same count means the same set.
            if named.count == drops.count && named.allSatisfy({ drops[CustomerID($0)] != nil }) {
                kept = named
            } else {
                kept = Set(drops.keys.lazy.map(\.id))
            }
        } else {
            let order = drops.keys.indices.sorted {
                (drops.values[$0].drops, drops.keys[$1].id) > (drops.values[$1].drops, drops.keys[$0].id)
            }
            kept = Set(order.prefix(limit).lazy.map { drops.keys[$0].id })
        }
        let summed = drops.count - kept.count

        // The common case: nobody was in `other` at the last scrape (so nobody is promoted
        // from it), nobody is now, and no named customer has anything left there: the
        // table is served as it is, without a copy.
        if summed == 0 && previous == nil && offsets.isEmpty {
            named = kept
            compactionsSeen = compactions
            return (counters, 0)
        }

        var offsets = self.offsets.filter { kept.contains($0.key) }
        var promoted: [UInt64: Promotion] = [:]
        if previous != nil {
            for id in kept where !named.contains(id) {
                promoted[id] = compactions == compactionsSeen ? .fromPrevious : .allSoFar
            }
        }

        var served = DropCounters()
        served.reserveCapacity(Swift.min(counters.count, kept.count * 4 + 64))
        for (key, count) in counters {
            guard case .id(let id) = key.customer else {
                served.add(key, count)
                continue
            }
            let other = DropKey(customer: .other, reason: key.reason)
            guard kept.contains(id) else {
                served.add(other, count)
                continue
            }
            switch promoted[id] {
            case .fromPrevious?: if let before = previous?[key], before != DropCount() { offsets[id, default: [:]][key.reason] = before }
            case .allSoFar?: offsets[id, default: [:]][key.reason] = count
            case nil: break
            }
            // A named customer's counts never shrink below its offset: the ledger does not
            // compact named customers away (`DropLedger.protected`).
            var offset = offsets[id]?[key.reason] ?? DropCount()
            assert(offset.drops <= count.drops && offset.bytes <= count.bytes, "a named customer's counts went down")
            offset = DropCount(drops: Swift.min(offset.drops, count.drops), bytes: Swift.min(offset.bytes, count.bytes))
            if offset.drops != 0 || offset.bytes != 0 { served.add(other, offset) }
            let own = DropCount(drops: count.drops - offset.drops, bytes: count.bytes - offset.bytes)
            if own.drops != 0 || own.bytes != 0 { served.add(key, own) }
        }

        self.offsets = offsets.filter { !$0.value.isEmpty }
        named = kept
        previous = summed > 0 ? counters : nil
        compactionsSeen = compactions
        return (served, summed)
    }
}

/// A customer ID as a `CountTable` key (drops per customer, in `NamedCustomers`).
struct CustomerID: CountingKey {
    var id: UInt64

    init(_ id: UInt64) { self.id = id }

    func countingHash(seed: UInt64) -> UInt64 { mix64(id ^ seed) }
}
