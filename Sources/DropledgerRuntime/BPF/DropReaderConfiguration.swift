/// Load-time settings of the kfree_skb program.
public struct DropReaderConfiguration: Sendable {
    /// The TLV type of the customer entry in the metadata area.
    public var customerTLVType: UInt8 = 1
    /// Count only drops in the network namespace with this inode; 0 counts every namespace.
    public var netnsInode: UInt32 = 0
    /// Bytes per per-CPU ring: a power of two, at least a page.
    public var ringBufferSize: UInt32 = 256 * 1024

    public init(customerTLVType: UInt8 = 1, netnsInode: UInt32 = 0, ringBufferSize: UInt32 = 256 * 1024) {
        self.customerTLVType = customerTLVType
        self.netnsInode = netnsInode
        self.ringBufferSize = ringBufferSize
    }

    /// A ring this full wakes the consumer before its timer does.
    var wakeupBytes: UInt64 { UInt64(ringBufferSize) / 4 }
}
