/// One dropped packet as reported by the BPF program, after its metadata has been classified.
public struct DropEvent: Hashable, Sendable {
    public var customer: DropCustomer
    /// Kernel drop reason number (`enum skb_drop_reason` or a subsystem reason).
    public var reason: UInt32
    /// Kernel address that freed the skb.
    public var location: UInt64
    public var ifindex: UInt32
    public var netnsInode: UInt32
    /// Packet length in bytes (`skb->len`).
    public var length: UInt32
    /// Packets on the wire: a GRO/GSO aggregate's segments, else 1.
    public var segments: UInt16

    public init(customer: DropCustomer, reason: UInt32, location: UInt64 = 0, ifindex: UInt32 = 0, netnsInode: UInt32 = 0,
                length: UInt32, segments: UInt16 = 1) {
        self.segments = segments
        self.customer = customer
        self.reason = reason
        self.location = location
        self.ifindex = ifindex
        self.netnsInode = netnsInode
        self.length = length
    }
}
