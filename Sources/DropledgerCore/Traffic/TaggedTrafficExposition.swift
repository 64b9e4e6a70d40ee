/// The tagged-traffic series `/metrics` serves: the customers in the named set by ID,
/// the others summed into `customer="other"`, without any served series ever showing
/// less than it once showed while the named set changes (as `NamedCustomers` does for
/// drops):
///
/// * a customer promoted from `other` leaves in `other` what `other` served of it at
///   the last scrape; its own series counts on from what it last showed (zero if never
///   named);
/// * a customer that leaves the named set is retired: its series stays at what it last
///   showed (remembered, not served) and only its traffic beyond that goes into `other`;
/// * a customer first seen since the last scrape is named with all of it.
///
/// The served series plus what retired series last showed sum to the total at every
/// scrape. Memory: one count per customer ever retired, no more than `TaggedTraffic`
/// keeps per customer (its customers are those of the taggers' prefix tables).
struct TaggedTrafficExposition: Sendable {
    /// Where a named customer's series started counting again: it shows
    /// `base + (total - mark)`. Customers without one show their totals.
    private struct Start {
        var base: TrafficCount
        var mark: TrafficCount

        func shown(at total: TrafficCount) -> TrafficCount {
            base + total.saturatingSubtract(mark)
        }
    }

    private var named: Set<UInt64> = []
    private var starts: [UInt64: Start] = [:]
    /// What the series of each retired customer last showed.
    private var retired: [UInt64: TrafficCount] = [:]
    private var retiredTotal = TrafficCount()
    /// Every customer's total at the last scrape.
    private var previous: [UInt64: TrafficCount] = [:]
    /// What `other` served at the last scrape: it never serves less.
    private var servedOther = TrafficCount()

    mutating func series(for totals: [UInt64: TrafficCount], named chosen: Set<UInt64>) -> [(customer: DropCustomer, count: TrafficCount)] {
        var own: [(customer: DropCustomer, count: TrafficCount)] = []
        var starts: [UInt64: Start] = [:]
        // Everything tagged, and what the named series show of it.
        var pool = TrafficCount()
        var claimed = TrafficCount()
        for (id, total) in totals {
            pool += total
            let before = previous[id] ?? TrafficCount()
            guard chosen.contains(id) else {
                if named.contains(id) {
                    let shown = self.starts[id]?.shown(at: before) ?? before
                    if shown != TrafficCount() {
                        retired[id] = shown
                        retiredTotal += shown
                    }
                }
                continue
            }
            var start = self.starts[id]
            if start == nil && !named.contains(id) {
                let base = retired.removeValue(forKey: id) ?? TrafficCount()
                retiredTotal = retiredTotal.saturatingSubtract(base)
                start = Start(base: base, mark: before)
            }
            var shown = total
            if let start {
                shown = start.shown(at: total)
                if start.base != TrafficCount() || start.mark != TrafficCount() { starts[id] = start }
            }
            claimed += shown
            if shown != TrafficCount() { own.append((.id(id), shown)) }
        }
        self.starts = starts
        named = chosen
        previous = totals
        let free = pool.saturatingSubtract(claimed).saturatingSubtract(retiredTotal)
        // Never below what it served: a packet counted twice beats a counter going down.
        servedOther = TrafficCount(packets: max(free.packets, servedOther.packets), bytes: max(free.bytes, servedOther.bytes))
        if servedOther != TrafficCount() { own.append((.other, servedOther)) }
        return own.sorted { $0.customer < $1.customer }
    }
}

extension TrafficCount {
    /// `self - other` per component, zero where `other` is larger.
    func saturatingSubtract(_ other: TrafficCount) -> TrafficCount {
        TrafficCount(packets: packets >= other.packets ? packets - other.packets : 0,
                     bytes: bytes >= other.bytes ? bytes - other.bytes : 0)
    }
}
