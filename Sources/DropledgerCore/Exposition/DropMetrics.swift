/// Builds dropledger's own metric families from a ledger snapshot.
public enum DropMetrics {
    public static let dropsName = "dropledger_drops_total"
    public static let droppedBytesName = "dropledger_dropped_bytes_total"
    public static let eventsName = "dropledger_events_total"
    public static let overflowName = "dropledger_ring_overflow_total"

    /// `dropledger_drops_total` and `dropledger_dropped_bytes_total` labelled
    /// `{customer, reason}`, in exposition order (customer per `DropCustomer`, then reason
    /// name), plus the event and overflow counters.
    public static func families(_ snapshot: LedgerSnapshot, reasons: ReasonTable) -> [MetricFamily] {
        let series = orderedSeries(snapshot.counters, reasons: reasons)
        var drops: [MetricSample] = []
        var bytes: [MetricSample] = []
        drops.reserveCapacity(series.keys.count)
        bytes.reserveCapacity(series.keys.count)
        var lastCustomer: DropCustomer?
        var customerLabel = ""
        for i in series.keys.indices {
            let key = series.keys[i], count = series.counts[i]
            let reasonName = series.reasonNames[series.reasonIndex[i]]
            // One label String per customer, shared by its series.
            if key.customer != lastCustomer {
                lastCustomer = key.customer
                customerLabel = key.customer.label
            }
            let labels = [MetricLabel("customer", customerLabel), MetricLabel("reason", reasonName)]
            drops.append(MetricSample(labels: labels, value: .integer(count.drops)))
            bytes.append(MetricSample(labels: labels, value: .integer(count.bytes)))
        }
        return [
            MetricFamily(name: droppedBytesName, help: "Bytes of packets dropped by the kernel, by customer and drop reason.",
                         type: .counter, samples: bytes),
            MetricFamily(name: dropsName, help: "Packets dropped by the kernel, by customer and drop reason; a GRO or GSO aggregate counts as the packets it holds.",
                         type: .counter, samples: drops),
            MetricFamily(name: eventsName, help: "Drop events received through the per-CPU rings.",
                         type: .counter, samples: [MetricSample(value: .integer(snapshot.events))]),
            MetricFamily(name: overflowName,
                         help: "Drops whose event did not fit a ring; counted through the in-kernel fallback map (still in dropledger_drops_total), details lost.",
                         type: .counter, samples: [MetricSample(value: .integer(snapshot.overflowEvents))]),
        ]
    }

    /// The series in exposition order, with reason names numbered by their own order.
    struct OrderedSeries {
        var keys: [DropKey] = []
        var counts: [DropCount] = []
        /// Index into `reasonNames` for each series.
        var reasonIndex: [Int] = []
        /// Distinct reason names, in label order.
        var reasonNames: [String] = []
    }

    /// Sorting by reason *name* is done on integer ranks: names are compared once per
    /// distinct reason, not once per comparison of 100k series.
    static func orderedSeries(_ counters: DropCounters, reasons: ReasonTable) -> OrderedSeries {
        var numbers: [UInt32] = []
        var seen = Set<UInt32>()
        for (key, _) in counters where seen.insert(key.reason).inserted { numbers.append(key.reason) }
        // Equal names (two numbers, one name) fall back to the number, for a stable output.
        let named = numbers.map { (number: $0, name: reasons.name(for: $0)) }.sorted { lhs, rhs in
            let order = LabelValueOrder.compare(lhs.name, rhs.name)
            return order != 0 ? order < 0 : lhs.number < rhs.number
        }
        var rankOf: [UInt32: Int] = [:]
        for (rank, entry) in named.enumerated() { rankOf[entry.number] = rank }

        var keys: [DropKey] = [], counts: [DropCount] = [], ranks: [Int] = []
        keys.reserveCapacity(counters.count); counts.reserveCapacity(counters.count); ranks.reserveCapacity(counters.count)
        for (key, count) in counters {
            keys.append(key)
            counts.append(count)
            ranks.append(rankOf[key.reason]!)
        }
        var order = Array(keys.indices)
        order.sort { lhs, rhs in
            if keys[lhs].customer != keys[rhs].customer { return keys[lhs].customer < keys[rhs].customer }
            return ranks[lhs] < ranks[rhs]
        }
        return OrderedSeries(keys: order.map { keys[$0] }, counts: order.map { counts[$0] },
                             reasonIndex: order.map { ranks[$0] }, reasonNames: named.map(\.name))
    }
}
