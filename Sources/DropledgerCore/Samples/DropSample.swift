/// One sampled drop as the exporter keeps it: the drop's event fields, when it
/// happened, and the first bytes of its packet with their decoded headers.
public struct DropSample: Sendable {
    /// Set by `SampleStore`: the order samples arrived in, for `GET /api/v1/samples?after=`.
    public var sequence: UInt64 = 0
    /// Unix time in nanoseconds.
    public var timeNanoseconds: UInt64
    public var customer: DropCustomer
    /// The kernel's drop reason (enum skb_drop_reason).
    public var reason: UInt32
    /// The kernel address of the code that dropped it.
    public var location: UInt64
    public var device: DeviceID
    /// The packet's length from where `bytes` start, as on the wire (a VLAN tag the
    /// kernel had taken out of the frame counted back in).
    public var wireLength: UInt32
    /// Packets on the wire: a GRO/GSO aggregate's segments, else 1.
    public var segments: UInt16
    /// What `bytes` start with; nil when the kernel found neither a MAC nor a network header.
    public var link: SampleLinkType?
    /// The bytes kept: up to the end of the last decoded header, or all that were
    /// copied when payload is allowed (`--samples.payload`).
    public var bytes: [UInt8]

    /// The headers in `bytes`, decoded when asked for (an API answer): keeping only the
    /// bytes makes a sample a few hundred bytes, whatever the headers hold.
    public var headers: PacketHeaders? { link.map { PacketHeaders.decode(bytes, link: $0) } }

    /// A sample as the kernel wrote it. `copied`: the bytes from the start of the frame
    /// (or network header); `vlan`: a tag the kernel had taken out of an Ethernet frame
    /// (TPID, TCI), put back where it was on the wire; `payload`: keep bytes after the headers.
    public init(timeNanoseconds: UInt64, customer: DropCustomer, reason: UInt32, location: UInt64, device: DeviceID,
                wireLength: UInt32, segments: UInt16, link: SampleLinkType?, copied: [UInt8],
                vlan: (tpid: UInt16, tci: UInt16)? = nil, payload: Bool = false) {
        self.timeNanoseconds = timeNanoseconds
        self.customer = customer
        self.reason = reason
        self.location = location
        self.device = device
        self.segments = segments
        self.link = link
        var bytes = copied
        var wire = wireLength
        if link == .ethernet, let vlan, bytes.count >= 12 {
            bytes.insert(contentsOf: [UInt8(vlan.tpid >> 8), UInt8(vlan.tpid & 0xff), UInt8(vlan.tci >> 8), UInt8(vlan.tci & 0xff)],
                         at: 12)
            wire += 4
        }
        if let link {
            // What follows the headers is not kept (so the decoder's `undecoded` is empty).
            if !payload { bytes.removeSubrange(min(PacketHeaders.decode(bytes, link: link).headerLength, bytes.count)...) }
        } else {
            bytes = []
        }
        self.bytes = bytes
        self.wireLength = max(wire, UInt32(clamping: bytes.count))
    }
}
