/// Where and why a customer's packets were dropped: the finest grain the consumer
/// counts at (`DropTally`). Totals per (customer, reason) and the API's per-customer
/// breakdowns (reasons, devices, kernel functions) are both summed from it.
public struct DropSite: Hashable, Sendable {
    public var customer: DropCustomer
    public var reason: UInt32
    /// Kernel address that freed the skb; 0 when unknown (counted through the fallback map).
    public var location: UInt64
    public var ifindex: UInt32
    public var netnsInode: UInt32

    public init(customer: DropCustomer, reason: UInt32, location: UInt64 = 0, ifindex: UInt32 = 0, netnsInode: UInt32 = 0) {
        self.customer = customer
        self.reason = reason
        self.location = location
        self.ifindex = ifindex
        self.netnsInode = netnsInode
    }

    @inlinable
    public init(_ event: DropEvent) {
        self.init(customer: event.customer, reason: event.reason, location: event.location,
                  ifindex: event.ifindex, netnsInode: event.netnsInode)
    }

    public var key: DropKey { DropKey(customer: customer, reason: reason) }
}
