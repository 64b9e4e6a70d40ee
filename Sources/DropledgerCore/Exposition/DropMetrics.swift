/// Builds dropledger's own metric families from a ledger snapshot.
public enum DropMetrics {
    public static let dropsName = "dropledger_drops_total"
    public static let droppedBytesName = "dropledger_dropped_bytes_total"
    public static let eventsName = "dropledger_events_total"
    public static let overflowName = "dropledger_ringbuf_overflow_total"

    /// `dropledger_drops_total` and `dropledger_dropped_bytes_total` labelled
    /// `{customer, reason}`, in exposition order (customer per `DropCustomer`, then reason
    /// name), plus the event and overflow counters.
    public static func families(_ snapshot: LedgerSnapshot, reasons: ReasonTable) -> [MetricFamily] {
        let series = orderedSeries(snapshot.counters, reasons: reasons)
        var drops: [MetricSample] = []
        var bytes: [MetricSample] = []
        drops.reserveCapacity(series.count)
        bytes.reserveCapacity(series.count)
        var lastCustomer: DropCustomer?
        var customerLabel = ""
        for (key, reasonName, count) in series {
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
            MetricFamily(name: dropsName, help: "Packets dropped by the kernel, by customer and drop reason.",
                         type: .counter, samples: drops),
            MetricFamily(name: eventsName, help: "Drop events received through the ring buffers.",
                         type: .counter, samples: [MetricSample(value: .integer(snapshot.events))]),
            MetricFamily(name: overflowName,
                         help: "Drops whose event did not fit a ring buffer; counted through the in-kernel fallback map (still in dropledger_drops_total), details lost.",
                         type: .counter, samples: [MetricSample(value: .integer(snapshot.overflowEvents))]),
        ]
    }

    /// Sorting by reason *name* is done on integer ranks: names are compared once per
    /// distinct reason, not once per comparison of 100k series.
    static func orderedSeries(_ counters: DropCounters, reasons: ReasonTable) -> [(DropKey, String, DropCount)] {
        var reasonNames: [UInt32: String] = [:]
        for (key, _) in counters where reasonNames[key.reason] == nil {
            reasonNames[key.reason] = reasons.name(for: key.reason)
        }
        // Equal names (two numbers, one name) fall back to the number, for a stable output.
        let byName = reasonNames.sorted { lhs, rhs in
            let order = LabelValueOrder.compare(lhs.value, rhs.value)
            return order != 0 ? order < 0 : lhs.key < rhs.key
        }
        var rank: [UInt32: Int] = [:]
        for (index, entry) in byName.enumerated() { rank[entry.key] = index }

        var series: [(key: DropKey, rank: Int, count: DropCount)] = []
        series.reserveCapacity(counters.count)
        for (key, count) in counters { series.append((key, rank[key.reason]!, count)) }
        series.sort { lhs, rhs in
            if lhs.key.customer != rhs.key.customer { return lhs.key.customer < rhs.key.customer }
            return lhs.rank < rhs.rank
        }
        return series.map { ($0.key, reasonNames[$0.key.reason]!, $0.count) }
    }
}
