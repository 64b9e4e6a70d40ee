import CBPFPrograms

/// Load-time settings of the kfree_skb program.
public struct DropReaderConfiguration: Sendable {
    /// The TLV type of the customer entry in the metadata area.
    public var customerTLVType: UInt8 = 1
    /// Count only drops in the network namespace with this inode; 0 counts every namespace.
    public var netnsInode: UInt32 = 0
    /// Bytes per per-CPU ring: a power of two, at least a page. Events are 64 bytes.
    public var ringBufferSize: UInt32 = 256 * 1024

    public init(customerTLVType: UInt8 = 1, netnsInode: UInt32 = 0, ringBufferSize: UInt32 = 256 * 1024) {
        self.customerTLVType = customerTLVType
        self.netnsInode = netnsInode
        self.ringBufferSize = ringBufferSize
    }

    /// Events per CPU ring.
    var ringEvents: UInt32 { ringBufferSize / UInt32(MemoryLayout<dl_event>.stride) }
    /// log2(ringEvents): the ring index is a mask of the position.
    var ringShift: UInt32 { UInt32(ringEvents.trailingZeroBitCount) }
    /// A ring this full wakes the consumer before its timer does...
    var wakeupEvents: UInt32 { ringEvents / 4 }
    /// ... and this full even while the consumer drains on a timer (see RingConsumer).
    var urgentEvents: UInt32 { ringEvents / 4 * 3 }
}
