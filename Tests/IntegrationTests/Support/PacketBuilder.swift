/// Frames with chosen headers and correct checksums, for tests that need the kernel to
/// get as far as a given drop (a wrong checksum would be dropped earlier, for that).
enum PacketBuilder {
    static func ethernet(destination: [UInt8], source: [UInt8] = [0x02, 0, 0, 0, 0, 0x01], vlan: UInt16? = nil,
                         type: UInt16, payload: [UInt8]) -> [UInt8] {
        var frame = destination + source
        if let vlan { frame += be16(0x8100) + be16(vlan) }
        return frame + be16(type) + payload
    }

    static func ipv4(source: [UInt8], destination: [UInt8], protocol proto: UInt8, payload: [UInt8]) -> [UInt8] {
        var header: [UInt8] = [0x45, 0] + be16(UInt16(20 + payload.count)) + [0x12, 0x34, 0x40, 0x00, 64, proto, 0, 0]
            + source + destination
        let sum = checksum(header)
        header[10] = UInt8(sum >> 8)
        header[11] = UInt8(sum & 0xff)
        return header + payload
    }

    static func ipv6(source: [UInt8], destination: [UInt8], nextHeader: UInt8, payload: [UInt8]) -> [UInt8] {
        [0x60, 0, 0, 0] + be16(UInt16(payload.count)) + [nextHeader, 64] + source + destination + payload
    }

    /// A UDP datagram for the given IP addresses (4 or 16 bytes each).
    static func udp(source: [UInt8], destination: [UInt8], sourcePort: UInt16, destinationPort: UInt16,
                    payload: [UInt8]) -> [UInt8] {
        var segment = be16(sourcePort) + be16(destinationPort) + be16(UInt16(8 + payload.count)) + [0, 0] + payload
        var sum = checksum(pseudoHeader(source, destination, 17, segment.count) + segment)
        if sum == 0 { sum = 0xffff }
        segment[6] = UInt8(sum >> 8)
        segment[7] = UInt8(sum & 0xff)
        return segment
    }

    /// A TCP SYN with no options.
    static func tcpSYN(source: [UInt8], destination: [UInt8], sourcePort: UInt16, destinationPort: UInt16,
                       sequence: UInt32) -> [UInt8] {
        var segment = be16(sourcePort) + be16(destinationPort) + be32(sequence) + be32(0)
            + [0x50, 0x02] + be16(64240) + [0, 0, 0, 0]
        let sum = checksum(pseudoHeader(source, destination, 6, segment.count) + segment)
        segment[16] = UInt8(sum >> 8)
        segment[17] = UInt8(sum & 0xff)
        return segment
    }

    static func icmpEchoRequest(identifier: UInt16, sequence: UInt16) -> [UInt8] {
        var message: [UInt8] = [8, 0, 0, 0] + be16(identifier) + be16(sequence) + Array("dropledger".utf8)
        let sum = checksum(message)
        message[2] = UInt8(sum >> 8)
        message[3] = UInt8(sum & 0xff)
        return message
    }

    private static func pseudoHeader(_ source: [UInt8], _ destination: [UInt8], _ proto: UInt8, _ length: Int) -> [UInt8] {
        source.count == 4
            ? source + destination + [0, proto] + be16(UInt16(length))
            : source + destination + be32(UInt32(length)) + [0, 0, 0, proto]
    }

    /// The Internet checksum (RFC 1071).
    static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < bytes.count {
            sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
            i += 2
        }
        if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }
    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }
}
