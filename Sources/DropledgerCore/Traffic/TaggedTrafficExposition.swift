/// The tagged-traffic series `/metrics` serves: the customers in the named set by ID,
/// the others summed into `customer="other"`, without any served series going down
/// while the named set changes (as `NamedCustomers` does for drops):
///
/// * a customer promoted from `other` leaves in `other` what `other` served of it at
///   the last scrape (its offset); its own series counts the rest;
/// * a customer that leaves the named set returns all of its traffic to `other`;
/// * a customer first seen since the last scrape is named with all of it.
struct TaggedTrafficExposition: Sendable {
    private var offsets: [UInt64: TrafficCount] = [:]
    /// Totals at the last scrape of the customers then summed into `other`.
    private var previousOther: [UInt64: TrafficCount] = [:]

    mutating func series(for totals: [UInt64: TrafficCount], named: Set<UInt64>) -> [(customer: DropCustomer, count: TrafficCount)] {
        var other = TrafficCount()
        var own: [(customer: DropCustomer, count: TrafficCount)] = []
        var offsets: [UInt64: TrafficCount] = [:]
        var summed: [UInt64: TrafficCount] = [:]
        for (id, total) in totals {
            guard named.contains(id) else {
                other += total
                summed[id] = total
                continue
            }
            var offset = self.offsets[id] ?? previousOther[id] ?? TrafficCount()
            offset = TrafficCount(packets: min(offset.packets, total.packets), bytes: min(offset.bytes, total.bytes))
            offsets[id] = offset
            other += offset
            let rest = TrafficCount(packets: total.packets - offset.packets, bytes: total.bytes - offset.bytes)
            if rest.packets != 0 || rest.bytes != 0 { own.append((.id(id), rest)) }
        }
        self.offsets = offsets
        previousOther = summed
        if other.packets != 0 || other.bytes != 0 { own.append((.other, other)) }
        return own.sorted { $0.customer < $1.customer }
    }
}
