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
        // Names are unique per number (`ReasonTable`); the number breaks ties should
        // that ever change, for a stable output.
        let named = numbers.map { (number: $0, name: reasons.name(for: $0)) }.sorted { lhs, rhs in
            let order = LabelValueOrder.compare(lhs.name, rhs.name)
            return order != 0 ? order < 0 : lhs.number < rhs.number
        }
        var rankOf: [UInt32: Int] = [:]
        for (rank, entry) in named.enumerated() { rankOf[entry.number] = rank }

        // Sorted as packed keys (kind, ID, reason rank) compared inline, not as indices
        // compared through the table: a third of a 100k-series render went into the sort.
        struct SortKey {
            /// `.id` first, then the named kinds in label order (invalid, none, other).
            var kind: UInt8
            var id: UInt64
            var rank: UInt32
            var index: UInt32
        }
        var sortKeys: [SortKey] = []
        sortKeys.reserveCapacity(counters.count)
        var lastReason: UInt32?, lastRank = 0
        for (index, key) in counters.keys.enumerated() {
            if key.reason != lastReason {
                lastReason = key.reason
                lastRank = rankOf[key.reason]!
            }
            let kind: UInt8, id: UInt64
            switch key.customer {
            case .id(let value): (kind, id) = (0, value)
            case .invalid: (kind, id) = (1, 0)
            case .none: (kind, id) = (2, 0)
            case .other: (kind, id) = (3, 0)
            }
            sortKeys.append(SortKey(kind: kind, id: id, rank: UInt32(lastRank), index: UInt32(index)))
        }
        sortKeys.sort { ($0.kind, $0.id, $0.rank) < ($1.kind, $1.id, $1.rank) }
        var ordered = OrderedSeries(reasonNames: named.map(\.name))
        ordered.keys.reserveCapacity(sortKeys.count)
        ordered.counts.reserveCapacity(sortKeys.count)
        ordered.reasonIndex.reserveCapacity(sortKeys.count)
        for sortKey in sortKeys {
            let index = Int(sortKey.index)
            ordered.keys.append(counters.keys[index])
            ordered.counts.append(counters.values[index])
            ordered.reasonIndex.append(Int(sortKey.rank))
        }
        return ordered
    }
}
