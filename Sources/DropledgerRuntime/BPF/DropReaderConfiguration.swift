import CBPFPrograms

/// Load-time settings of the kfree_skb program.
public struct DropReaderConfiguration: Sendable {
    /// The TLV type of the customer entry in the metadata area.
    public var customerTLVType: UInt8 = 1
    /// Count only drops in the network namespace with this inode; 0 counts every namespace.
    public var netnsInode: UInt32 = 0
    /// Bytes per per-CPU ring: a power of two, at least a page. Events are 64 bytes.
    public var ringBufferSize: UInt32 = 256 * 1024

    /// Sampled drops per second per CPU (`--samples.rate`); 0: no samples, and the
    /// program does none of the sampling's work.
    public var samplesPerSecond: UInt32 = 0

    public init(customerTLVType: UInt8 = 1, netnsInode: UInt32 = 0, ringBufferSize: UInt32 = 256 * 1024,
                samplesPerSecond: UInt32 = 0) {
        self.customerTLVType = customerTLVType
        self.netnsInode = netnsInode
        self.ringBufferSize = ringBufferSize
        self.samplesPerSecond = samplesPerSecond
    }

    /// What a sample costs of a CPU's budget: 1 s / rate (0: sampling off).
    var sampleIntervalNanoseconds: UInt64 { samplesPerSecond == 0 ? 0 : 1_000_000_000 / UInt64(samplesPerSecond) }
    /// One customer and reason gets at most a quarter of a CPU's samples (bpf/sampler.h).
    var sampleKeyIntervalNanoseconds: UInt64 { sampleIntervalNanoseconds * 4 }

    /// The samples ring buffer holds a second of samples at the full rate of every CPU
    /// (the consumer drains it ten times a second): a power of two from 64 KiB to 64 MiB.
    func samplesRingBytes(cpus: Int) -> UInt32 {
        let wanted = UInt64(max(samplesPerSecond, 1)) * UInt64(cpus) * UInt64(MemoryLayout<dl_sample>.stride + 8)
        var bytes: UInt64 = 64 * 1024
        while bytes < wanted && bytes < 64 * 1024 * 1024 { bytes <<= 1 }
        return UInt32(bytes)
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
