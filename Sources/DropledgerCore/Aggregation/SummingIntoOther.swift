extension CountTable where Key == DropKey {
    /// These counters with only the `limit` customers that dropped the most, and those
    /// in `protected`, kept by ID; every other ID's counts are summed into `other`, per
    /// reason. `none`, `invalid` and `other` are always kept. Totals per reason stay exact.
    ///
    /// Bounds memory when forged metadata carries millions of IDs (`DropLedger`).
    public func summingIntoOther(keeping limit: Int, protected: Set<UInt64> = []) -> (counters: DropCounters, summed: Int) {
        var perCustomer: [UInt64: UInt64] = [:]
        for (key, count) in self {
            if case .id(let id) = key.customer { perCustomer[id, default: 0] &+= count.drops }
        }
        guard perCustomer.count > limit else { return (self, 0) }
        let kept = Set(perCustomer.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(limit).map(\.key))
            .union(protected.filter { perCustomer[$0] != nil })
        var summed = DropCounters()
        summed.reserveCapacity(limit * 4)
        for (key, count) in self {
            if case .id(let id) = key.customer, !kept.contains(id) {
                summed.add(DropKey(customer: .other, reason: key.reason), count)
            } else {
                summed.add(key, count)
            }
        }
        return (summed, perCustomer.count - kept.count)
    }
}
