/// An Ethernet + IPv4 + UDP frame with a valid IPv4 header checksum
/// (and no UDP checksum, which IPv4 allows), so the stack delivers it locally.
struct UDPFrame {
    let bytes: [UInt8]

    init(destinationMAC: [UInt8], sourceMAC: [UInt8], source: IPv4, destination: IPv4,
         sourcePort: UInt16, destinationPort: UInt16, payloadLength: Int) {
        self.init(destinationMAC: destinationMAC, sourceMAC: sourceMAC, source: source, destination: destination,
                  sourcePort: sourcePort, destinationPort: destinationPort,
                  payload: [UInt8](repeating: 0x61, count: payloadLength))
    }

    init(destinationMAC: [UInt8], sourceMAC: [UInt8], source: IPv4, destination: IPv4,
         sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8]) {
        var ip: [UInt8] = [0x45, 0x00]
        ip += be16(UInt16(20 + 8 + payload.count))
        ip += [0x00, 0x01, 0x40, 0x00, 64, 17, 0, 0]  // id 1, DF, TTL 64, UDP, checksum below
        ip += source.octets + destination.octets
        let checksum = Self.checksum(ip)
        ip[10] = UInt8(checksum >> 8)
        ip[11] = UInt8(checksum & 0xff)
        let udp = be16(sourcePort) + be16(destinationPort) + be16(UInt16(8 + payload.count)) + [0, 0] + payload
        bytes = destinationMAC + sourceMAC + [0x08, 0x00] + ip + udp
    }

    /// `inner` carried in VXLAN (RFC 7348: flags with I set, the VNI) to UDP port 4789.
    static func vxlan(destinationMAC: [UInt8], sourceMAC: [UInt8], source: IPv4, destination: IPv4, vni: UInt32,
                      inner: UDPFrame) -> UDPFrame {
        let header: [UInt8] = [0x08, 0, 0, 0, UInt8(vni >> 16 & 0xff), UInt8(vni >> 8 & 0xff), UInt8(vni & 0xff), 0]
        return UDPFrame(destinationMAC: destinationMAC, sourceMAC: sourceMAC, source: source, destination: destination,
                        sourcePort: 40000, destinationPort: 4789, payload: header + inner.bytes)
    }

    private static func checksum(_ header: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        for i in stride(from: 0, to: header.count, by: 2) { sum += UInt32(header[i]) << 8 | UInt32(header[i + 1]) }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }
}

private func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }

struct IPv4 {
    let octets: [UInt8]

    init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map { UInt8($0) }
        guard parts.count == 4, parts.allSatisfy({ $0 != nil }) else { return nil }
        octets = parts.map { $0! }
    }
}

enum Hex {
    static func decode(_ text: String) -> [UInt8]? {
        let digits = Array(text.filter { !$0.isWhitespace && $0 != ":" })
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        for i in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(digits[i...i + 1]), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
