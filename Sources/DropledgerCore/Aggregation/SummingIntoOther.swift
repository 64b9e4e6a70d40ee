extension CountTable where Key == DropKey {
    /// These counters with only the `limit` customers that dropped the most, and those
    /// in `protected`, kept by ID; every other ID's counts are summed into `other`, per
    /// reason. `none`, `invalid` and `other` are always kept. Totals per reason stay exact.
    ///
    /// Bounds memory when forged metadata carries millions of IDs (`DropLedger`), so it
    /// allocates little itself: drops per customer in a counting table, the ranking as
    /// 32-bit indices and the verdict as one byte per customer (a `Dictionary`, sorted
    /// pairs and a `Set` of the kept IDs took three times the memory, at the moment memory
    /// is tightest).
    public func summingIntoOther(keeping limit: Int, protected: Set<UInt64> = []) -> (counters: DropCounters, summed: Int) {
        var perCustomer = CountTable<CustomerID>()
        perCustomer.reserveCapacity(count)
        for i in keys.indices {
            if case .id(let id) = keys[i].customer { perCustomer.add(CustomerID(id), DropCount(drops: values[i].drops)) }
        }
        guard perCustomer.count > limit else { return (self, 0) }
        var order = [UInt32](0 ..< UInt32(perCustomer.count))
        order.sort {
            (perCustomer.values[Int($0)].drops, perCustomer.keys[Int($1)].id)
                > (perCustomer.values[Int($1)].drops, perCustomer.keys[Int($0)].id)
        }
        var kept = [Bool](repeating: false, count: perCustomer.count)
        for index in order.prefix(limit) { kept[Int(index)] = true }
        order = []
        for id in protected {
            if let index = perCustomer.index(of: CustomerID(id)) { kept[index] = true }
        }
        let keptCount = kept.reduce(0) { $0 + ($1 ? 1 : 0) }
        var summed = DropCounters()
        summed.reserveCapacity(Swift.min(count, keptCount * 4 + 64))
        for i in keys.indices {
            if case .id(let id) = keys[i].customer, !kept[perCustomer.index(of: CustomerID(id))!] {
                summed.add(DropKey(customer: .other, reason: keys[i].reason), values[i])
            } else {
                summed.add(keys[i], values[i])
            }
        }
        return (summed, perCustomer.count - keptCount)
    }
}
