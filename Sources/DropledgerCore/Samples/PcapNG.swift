/// A sampled packet as a pcap-ng Enhanced Packet Block will hold it.
public struct PcapNGPacket: Sendable {
    public var interface: String
    public var link: SampleLinkType
    /// Since the Unix epoch.
    public var timestampNanoseconds: UInt64
    /// The packet's length on the wire; written as at least `bytes.count`.
    public var originalLength: Int
    /// What was captured: the headers, and payload where it is kept.
    public var bytes: [UInt8]
    /// The packet's opt_comment (UTF-8); none when empty.
    public var comment: String

    public init(interface: String, link: SampleLinkType, timestampNanoseconds: UInt64, originalLength: Int, bytes: [UInt8],
                comment: String = "") {
        self.interface = interface
        self.link = link
        self.timestampNanoseconds = timestampNanoseconds
        self.originalLength = originalLength
        self.bytes = bytes
        self.comment = comment
    }
}

/// Writes one pcap-ng section (draft-ietf-opsawg-pcapng), little-endian, that Wireshark
/// and tshark read: a Section Header Block, an Interface Description Block for each
/// (interface, link) pair as it first appears, and an Enhanced Packet Block a packet,
/// timestamps in nanoseconds.
public struct PcapNGWriter: Sendable {
    private struct Interface: Hashable {
        let name: String
        let link: SampleLinkType
    }

    /// Interface IDs in the order their descriptions were written.
    private var interfaces: [Interface: UInt32] = [:]
    private var sectionStarted = false

    public init() {}

    /// The bytes to append for `packet`: the section header the first time, an interface
    /// description the first time its (interface, link) pair appears, then the packet.
    public mutating func append(_ packet: PcapNGPacket) -> [UInt8] {
        var output: [UInt8] = []
        if !sectionStarted {
            output += Self.sectionHeader()
            sectionStarted = true
        }
        let interface = Interface(name: packet.interface, link: packet.link)
        let id: UInt32
        if let known = interfaces[interface] {
            id = known
        } else {
            id = UInt32(interfaces.count)
            interfaces[interface] = id
            output += Self.interfaceDescription(interface)
        }
        return output + Self.enhancedPacket(packet, interfaceID: id)
    }

    /// A whole file: the section header even without packets.
    public static func file(_ packets: [PcapNGPacket]) -> [UInt8] {
        var writer = PcapNGWriter()
        writer.sectionStarted = true
        return packets.reduce(sectionHeader()) { $0 + writer.append($1) }
    }

    // MARK: Blocks

    static func sectionHeader() -> [UInt8] {
        var block = PcapNGBlock()
        block.u32(0x1a2b_3c4d)  // byte-order magic
        block.u16(1)  // major version
        block.u16(0)  // minor version
        block.u64(UInt64.max)  // section length: not given
        block.option(4, "dropledger")  // shb_userappl
        block.endOfOptions()
        return block.bytes(type: 0x0a0d_0d0a)
    }

    private static func interfaceDescription(_ interface: Interface) -> [UInt8] {
        var block = PcapNGBlock()
        block.u16(interface.link == .ethernet ? 1 : 101)  // LINKTYPE_ETHERNET, LINKTYPE_RAW
        block.u16(0)  // reserved
        block.u32(0)  // snaplen: no limit
        block.option(2, interface.name)  // if_name
        block.option(9, [9])  // if_tsresol: 10^-9 s
        block.endOfOptions()
        return block.bytes(type: 1)
    }

    private static func enhancedPacket(_ packet: PcapNGPacket, interfaceID: UInt32) -> [UInt8] {
        var block = PcapNGBlock()
        block.u32(interfaceID)
        block.u32(UInt32(truncatingIfNeeded: packet.timestampNanoseconds >> 32))
        block.u32(UInt32(truncatingIfNeeded: packet.timestampNanoseconds))
        block.u32(UInt32(clamping: packet.bytes.count))
        block.u32(UInt32(clamping: max(packet.originalLength, packet.bytes.count)))
        block.padded(packet.bytes)
        if !packet.comment.isEmpty {
            block.option(1, packet.comment)  // opt_comment
            block.endOfOptions()
        }
        return block.bytes(type: 6)
    }
}

/// A block's body, little-endian, 32-bit aligned; `bytes(type:)` frames it.
private struct PcapNGBlock {
    private var body: [UInt8] = []

    mutating func u16(_ value: UInt16) { body += [UInt8(value & 0xff), UInt8(value >> 8)] }

    mutating func u32(_ value: UInt32) { (0 ..< 4).forEach { body.append(UInt8(truncatingIfNeeded: value >> ($0 * 8))) } }

    mutating func u64(_ value: UInt64) {
        u32(UInt32(truncatingIfNeeded: value))
        u32(UInt32(truncatingIfNeeded: value >> 32))
    }

    /// `bytes`, then zeros to the next multiple of 4.
    mutating func padded(_ bytes: [UInt8]) {
        body += bytes
        body += [UInt8](repeating: 0, count: (4 - bytes.count % 4) % 4)
    }

    /// An option: code, length, value padded to 32 bits. Values over 65,535 bytes are cut.
    mutating func option(_ code: UInt16, _ value: [UInt8]) {
        let value = value.prefix(Int(UInt16.max))
        u16(code)
        u16(UInt16(value.count))
        padded(Array(value))
    }

    /// A text option, UTF-8; omitted when empty, cut between scalars when too long.
    mutating func option(_ code: UInt16, _ text: String) {
        var utf8 = Array(text.utf8)
        if utf8.isEmpty { return }
        if utf8.count > Int(UInt16.max) {
            var cut = Int(UInt16.max)
            while cut > 0 && utf8[cut] & 0xc0 == 0x80 { cut -= 1 }  // not inside a scalar
            utf8.removeSubrange(cut...)
        }
        option(code, utf8)
    }

    mutating func endOfOptions() { u32(0) }  // opt_endofopt, length 0

    /// Type, total length, body, total length again.
    func bytes(type: UInt32) -> [UInt8] {
        var block = PcapNGBlock()
        let total = UInt32(clamping: body.count + 12)
        block.u32(type)
        block.u32(total)
        block.body += body
        block.u32(total)
        return block.body
    }
}
