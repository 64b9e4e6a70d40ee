/// The identity of one `dropledger_drops_total` series.
public struct DropKey: Hashable, Sendable {
    public var customer: DropCustomer
    public var reason: UInt32

    public init(customer: DropCustomer, reason: UInt32) {
        self.customer = customer
        self.reason = reason
    }
}

/// Deterministic order: by customer (see `DropCustomer`), then reason number.
extension DropKey: Comparable {
    public static func < (lhs: DropKey, rhs: DropKey) -> Bool {
        if lhs.customer != rhs.customer { return lhs.customer < rhs.customer }
        return lhs.reason < rhs.reason
    }
}
