/// Which customers `/metrics` names, kept from one scrape to the next so that no
/// served series ever shows less than it once showed, while the named set changes.
///
/// `/metrics` names the `limit` customers with the most drops and sums the others into
/// `customer="other"`, per reason. Prometheus reads every decrease of a series as a
/// counter reset, over the series' whole life (a series that vanishes and comes back
/// lower is one too), so:
///
/// * A customer promoted from `other` leaves behind, in `other`, what `other` served of
///   it at the last scrape; its own series count on from what they last showed (zero if
///   never named), so the burst that promoted it shows in its own series.
/// * A customer that leaves the named set is *retired*: each of its series stays at what
///   it last showed (remembered here, not served), and only its drops beyond that go
///   into `other`. Had `other` taken all of them, `other` would hold what the series had
///   already counted, and could not give it back when the customer returned.
/// * A customer first seen since the last scrape was never part of `other`: it is named
///   with all its drops.
///
/// So each drop is counted in exactly one series' growth: the served series plus what
/// retired series last showed sum to the ledger's total at every scrape; the served
/// series alone sum to it while no customer is retired (`MonotonicExpositionTests`).
///
/// Memory: the retired series are bounded by `rememberedSeriesLimit` (the ledger passes
/// four times `--max-customers`). Past it, the retired customers with the fewest drops
/// are forgotten, down to half the limit: what their series showed stays held apart from
/// `other` in one sum per reason (never counted twice), and if one is named again its
/// series starts from zero at its promotion: a counter reset. Prometheus's `rate()` and
/// `increase()` count a reset's new value as growth, but only where it is below what the
/// series showed before; at or above it, they miss up to that much (never count a drop
/// twice). Only churn through the named set beyond that bound gets there (a flood of
/// forged IDs), and the forgotten are the retired customers with the fewest drops.
public struct NamedCustomers: Sendable {
    /// How many customers to name.
    public let limit: Int
    /// How many retired series to remember at most.
    public let rememberedSeriesLimit: Int
    /// The customers named by the last `series(for:compactions:)`.
    public private(set) var named: Set<UInt64> = []
    /// Per reason, where a named customer's series started counting again: it shows
    /// `base + (count - mark)`. Only customers promoted from `other` or retired have any;
    /// the others show their counts.
    private var starts: [UInt64: [UInt32: SeriesStart]] = [:]
    /// What each series of a retired customer last showed.
    private var retired: [UInt64: [UInt32: DropCount]] = [:]
    private var retiredSeries = 0
    /// What retired series showed, summed per reason and keyed as that reason's `other`
    /// series: `retired`'s values, and those of the series forgotten since.
    private var retiredTotals = DropCounters()
    /// What `other` served per reason at the last scrape: it never serves less.
    private var servedOther = DropCounters()
    /// The ledger's table at the last scrape (nil before the first): what each customer
    /// counted then.
    private var previous: DropCounters?
    /// The ledger's compaction count at the last scrape. A compaction sums customers
    /// into the ledger's own `other`, after which `previous` may hold counts of an ID
    /// that has since started again from zero.
    private var compactionsSeen: UInt64 = 0

    public init(limit: Int, rememberedSeriesLimit: Int = DropLedger.defaultSeriesLimit) {
        self.limit = limit
        self.rememberedSeriesLimit = Swift.max(rememberedSeriesLimit, 1)
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
        defer {
            named = kept
            previous = counters
            compactionsSeen = compactions
        }

        // The common case: every customer named and showing its own counts, none retired:
        // the table is served as it is, without a copy. (`other` is then the ledger's own,
        // which only grows.)
        if summed == 0 && starts.isEmpty && retired.isEmpty {
            return (counters, 0)
        }

        // After a compaction, `previous` may hold an earlier life of a promoted ID: all
        // its drops so far stay in `other` (exact, only less detailed).
        let compacted = compactions != compactionsSeen
        var starts: [UInt64: [UInt32: SeriesStart]] = [:]
        var served = DropCounters()
        served.reserveCapacity(Swift.min(counters.count, kept.count * 4 + 64))
        // Per reason: every drop `other` and the named series share, and what the named
        // series show of them; `other` serves the difference, less what retired series hold.
        var pool = DropCounters()
        var claimed = DropCounters()
        for (key, count) in counters {
            let other = DropKey(customer: .other, reason: key.reason)
            guard case .id(let id) = key.customer else {
                if key.customer == .other { pool.add(other, count) } else { served.add(key, count) }
                continue
            }
            pool.add(other, count)
            let wasNamed = named.contains(id)
            guard kept.contains(id) else {
                if wasNamed {
                    // Retired: its series stay at what they showed at the last scrape.
                    let before = previous?[key] ?? DropCount()
                    retire(id, reason: key.reason, shown: self.starts[id]?[key.reason].map { $0.shown(at: before) } ?? before)
                }
                continue
            }
            var start = self.starts[id]?[key.reason]
            if start == nil {
                let base = resume(id, reason: key.reason)
                if !wasNamed || base != DropCount() {
                    let mark: DropCount
                    if previous == nil {
                        mark = DropCount()
                    } else if compacted && !wasNamed {
                        mark = count
                    } else {
                        mark = previous?[key] ?? DropCount()
                    }
                    start = SeriesStart(base: base, mark: mark)
                }
            }
            var shown = count
            if let start {
                // A named customer's counts never fall below its mark: the ledger does not
                // compact named customers away (`DropLedger.protected`).
                assert(start.mark.drops <= count.drops && start.mark.bytes <= count.bytes, "a named customer's counts went down")
                shown = start.shown(at: count)
                if start.base != DropCount() || start.mark != DropCount() { starts[id, default: [:]][key.reason] = start }
            }
            claimed.add(other, shown)
            if shown != DropCount() { served.add(key, shown) }
        }
        self.starts = starts
        if retiredSeries > rememberedSeriesLimit { forgetRetired(downTo: rememberedSeriesLimit / 2) }

        for (other, count) in pool {
            let free = count.saturatingSubtract(claimed[other] ?? DropCount()).saturatingSubtract(retiredTotals[other] ?? DropCount())
            // Never below what it served: should the accounting above ever fall short,
            // a drop counted twice is better than a counter that goes down.
            let value = free.componentwiseMax(servedOther[other] ?? DropCount())
            if value != DropCount() { served.add(other, value) }
            servedOther.add(other, value.saturatingSubtract(servedOther[other] ?? DropCount()))
        }
        return (served, summed)
    }

    /// Remembers what a series of a customer leaving the named set showed.
    private mutating func retire(_ id: UInt64, reason: UInt32, shown: DropCount) {
        guard shown != DropCount() else { return }
        let other = DropKey(customer: .other, reason: reason)
        if let earlier = retired[id]?[reason] { retiredTotals.subtract(other, earlier) } else { retiredSeries += 1 }
        retired[id, default: [:]][reason] = shown
        retiredTotals.add(other, shown)
    }

    /// What a retired series of a customer named again showed (zero if none), no longer
    /// held apart from `other`: it continues from there.
    private mutating func resume(_ id: UInt64, reason: UInt32) -> DropCount {
        guard let shown = retired[id]?.removeValue(forKey: reason) else { return DropCount() }
        if retired[id]?.isEmpty == true { retired[id] = nil }
        retiredSeries -= 1
        retiredTotals.subtract(DropKey(customer: .other, reason: reason), shown)
        return shown
    }

    /// Forgets the retired customers with the fewest drops until at most `target` retired
    /// series are left (see the type's comment for what that costs). What they showed
    /// stays in `retiredTotals`: `other` has not counted it and must not.
    private mutating func forgetRetired(downTo target: Int) {
        let order = retired.map { (id: $0.key, drops: $0.value.values.reduce(0) { $0 &+ $1.drops }) }
            .sorted { ($0.drops, $1.id) < ($1.drops, $0.id) }
        for customer in order where retiredSeries > target {
            retiredSeries -= retired.removeValue(forKey: customer.id)?.count ?? 0
        }
    }
}

/// Where a named customer's series started counting again: what it showed then, and
/// the customer's count then.
struct SeriesStart: Hashable, Sendable {
    var base: DropCount
    var mark: DropCount

    /// What the series shows when the customer has counted `count`.
    func shown(at count: DropCount) -> DropCount {
        base + count.saturatingSubtract(mark)
    }
}

extension DropCount {
    /// `self - other` per component, zero where `other` is larger.
    func saturatingSubtract(_ other: DropCount) -> DropCount {
        DropCount(drops: drops >= other.drops ? drops - other.drops : 0, bytes: bytes >= other.bytes ? bytes - other.bytes : 0)
    }

    func componentwiseMax(_ other: DropCount) -> DropCount {
        DropCount(drops: Swift.max(drops, other.drops), bytes: Swift.max(bytes, other.bytes))
    }
}

extension CountTable {
    /// Takes `count` from `key`'s series (which holds at least that much).
    mutating func subtract(_ key: Key, _ count: DropCount) {
        guard let index = index(of: key) else { return }
        values[index] = values[index].saturatingSubtract(count)
    }
}

/// A customer ID as a `CountTable` key (drops per customer, in `NamedCustomers`).
struct CustomerID: CountingKey {
    var id: UInt64

    init(_ id: UInt64) { self.id = id }

    func countingHash(seed: UInt64) -> UInt64 { mix64(id ^ seed) }
}
