extension PacketHeaders {
    /// At most this many VLAN tags and IPv6 extension headers are walked.
    static let maximumVLANTags = 8
    static let maximumExtensionHeaders = 8

    /// Decodes `bytes` (from the MAC header with `.ethernet`, from the IP header with
    /// `.rawIP`) as far as they are valid. Never traps, on any input.
    public static func decode(_ bytes: [UInt8], link: SampleLinkType) -> PacketHeaders {
        var decoder = PacketHeaderDecoder(bytes)
        switch link {
        case .ethernet: decoder.decodeEthernet()
        case .rawIP: decoder.decodeRawIP()
        }
        return decoder.result(link: link)
    }
}

/// One decode: the reader's position and the headers decoded so far.
private struct PacketHeaderDecoder {
    var reader: HeaderReader
    var ethernet: PacketHeaders.Ethernet?
    var vlans: [PacketHeaders.VLANTag] = []
    var arp: PacketHeaders.ARP?
    var ip: PacketHeaders.IP?
    var udp: PacketHeaders.UDP?
    var tcp: PacketHeaders.TCP?
    var icmp: PacketHeaders.ICMP?
    var stopped: String?

    init(_ bytes: [UInt8]) {
        reader = HeaderReader(bytes)
    }

    func result(link: SampleLinkType) -> PacketHeaders {
        var headers = PacketHeaders(ethernet: ethernet, vlans: vlans, arp: arp, ip: ip, udp: udp, tcp: tcp, icmp: icmp,
                                    headerLength: reader.offset, summary: "",
                                    undecoded: HexText.bytes(reader.bytes.dropFirst(reader.offset)), stopped: stopped)
        headers.summary = PacketSummary.line(headers, link: link)
        return headers
    }

    /// The whole header, or nil with `stopped` saying how many bytes were missing.
    mutating func take(_ count: Int, _ header: String) -> HeaderBytes? {
        if let bytes = reader.take(count) { return bytes }
        stopped = reader.shortfall(count, in: header)
        return nil
    }

    mutating func peek(_ count: Int, _ header: String) -> HeaderBytes? {
        if let bytes = reader.peek(count) { return bytes }
        stopped = reader.shortfall(count, in: header)
        return nil
    }

    // MARK: Link layer

    mutating func decodeEthernet() {
        guard let header = take(14, "Ethernet header") else { return }
        var type = PacketHeaders.EtherType(rawValue: header.u16(12))
        ethernet = PacketHeaders.Ethernet(source: Self.mac(header.slice(6, 6)), destination: Self.mac(header.slice(0, 6)),
                                          type: type)
        while type == .vlan || type == .serviceVLAN {
            guard vlans.count < PacketHeaders.maximumVLANTags else {
                stopped = "more than \(PacketHeaders.maximumVLANTags) VLAN tags"
                return
            }
            guard let tag = take(4, "VLAN tag") else { return }
            let control = tag.u16(0)
            let inner = PacketHeaders.EtherType(rawValue: tag.u16(2))
            vlans.append(PacketHeaders.VLANTag(tpid: type, id: control & 0x0fff, priority: UInt8(control >> 13),
                                               dei: control & 0x1000 != 0, type: inner))
            type = inner
        }
        switch type {
        case .ipv4: decodeIPv4()
        case .ipv6: decodeIPv6()
        case .arp: decodeARP()
        case _ where type.rawValue < 0x0600:
            stopped = "802.3 length field \(type.rawValue), not an EtherType: LLC not decoded"
        default:
            stopped = "EtherType \(type) not decoded"
        }
    }

    mutating func decodeRawIP() {
        guard let first = reader.peek(1) else {
            stopped = "no bytes: the IP header is missing"
            return
        }
        switch first.u8(0) >> 4 {
        case 4: decodeIPv4()
        case 6: decodeIPv6()
        case let version: stopped = "IP version \(version), neither 4 nor 6"
        }
    }

    /// IPv4 over Ethernet only: other hardware and protocol types are rare on a host.
    mutating func decodeARP() {
        guard let fixed = peek(8, "ARP header") else { return }
        let (hardware, proto) = (fixed.u16(0), fixed.u16(2))
        guard hardware == 1, proto == 0x0800, fixed.u8(4) == 6, fixed.u8(5) == 4 else {
            stopped = "ARP for hardware type \(hardware), protocol type \(PacketHeaders.EtherType(rawValue: proto)), "
                + "address lengths \(fixed.u8(4)) and \(fixed.u8(5)): not decoded"
            return
        }
        guard let header = take(28, "ARP header") else { return }
        arp = PacketHeaders.ARP(operation: header.u16(6), senderMAC: Self.mac(header.slice(8, 6)),
                                senderIP: Self.ipv4Text(header.slice(14, 4)), targetMAC: Self.mac(header.slice(18, 6)),
                                targetIP: Self.ipv4Text(header.slice(24, 4)))
    }

    // MARK: Network layer

    /// The fixed part of an IP header, not taken yet; nil, with `stopped` saying why, when
    /// it is cut short or of another version.
    mutating func peekIP(version: UInt8, fixedLength: Int) -> HeaderBytes? {
        guard let fixed = peek(fixedLength, "IPv\(version) header") else { return nil }
        guard fixed.u8(0) >> 4 == version else {
            stopped = "IP version \(fixed.u8(0) >> 4) in an IPv\(version) header"
            return nil
        }
        return fixed
    }

    mutating func decodeIPv4() {
        let start = reader.offset
        guard let fixed = peekIP(version: 4, fixedLength: 20) else { return }
        let headerLength = Int(fixed.u8(0) & 0x0f) * 4
        guard headerLength >= 20 else {
            stopped = "IPv4 header length \(headerLength) bytes, less than 20"
            return
        }
        guard let header = take(headerLength, "IPv4 header") else { return }
        let totalLength = Int(header.u16(2))
        let fragment = header.u16(6)
        let proto = header.u8(9)
        let decoded = PacketHeaders.IP(version: 4, source: Self.ipv4Text(header.slice(12, 4)),
                                       destination: Self.ipv4Text(header.slice(16, 4)), protocolNumber: proto,
                                       protocolName: PacketHeaderNames.ipProtocol(proto), ttl: header.u8(8),
                                       length: totalLength, headerLength: headerLength,
                                       fragmentOffset: Int(fragment & 0x1fff) * 8, moreFragments: fragment & 0x2000 != 0,
                                       extensionHeaders: [])
        ip = decoded
        // A total length of 0 is left unset on purpose (BIG TCP's packets over 64 KiB).
        if totalLength != 0 {
            guard totalLength >= headerLength else {
                stopped = "IPv4 total length \(totalLength), less than its \(headerLength)-byte header"
                return
            }
            reader.endPacket(at: start + totalLength, setBy: "IPv4 total length \(totalLength)")
        }
        decodeUpperLayer(decoded)
    }

    mutating func decodeIPv6() {
        let start = reader.offset
        guard let header = peekIP(version: 6, fixedLength: 40) else { return }
        _ = reader.take(40)
        let payloadLength = Int(header.u16(4))
        var decoded = PacketHeaders.IP(version: 6, source: IPAddressParser.ipv6Text(header.slice(8, 16)),
                                       destination: IPAddressParser.ipv6Text(header.slice(24, 16)), protocolNumber: header.u8(6),
                                       protocolName: nil, ttl: header.u8(7), length: payloadLength == 0 ? 0 : 40 + payloadLength,
                                       headerLength: 40, fragmentOffset: 0, moreFragments: false, extensionHeaders: [])
        // A payload length of 0 is a jumbogram's (its length is in a hop-by-hop option).
        if payloadLength != 0 {
            reader.endPacket(at: start + 40 + payloadLength, setBy: "IPv6 payload length \(payloadLength)")
        }
        walkExtensionHeaders(&decoded)
        decoded.protocolName = PacketHeaderNames.ipProtocol(decoded.protocolNumber)
        ip = decoded
        if stopped == nil { decodeUpperLayer(decoded) }
    }

    /// Hop-by-hop (0), routing (43), fragment (44) and destination options (60), up to the
    /// upper-layer protocol; `ip.protocolNumber` ends as the next header the walk reached.
    mutating func walkExtensionHeaders(_ ip: inout PacketHeaders.IP) {
        while [0, 43, 44, 60].contains(ip.protocolNumber) {
            guard ip.extensionHeaders.count < PacketHeaders.maximumExtensionHeaders else {
                stopped = "more than \(PacketHeaders.maximumExtensionHeaders) IPv6 extension headers"
                return
            }
            let name = Self.extensionHeaderName(ip.protocolNumber)
            let header: HeaderBytes
            if ip.protocolNumber == 44 {
                guard let fragment = take(8, name) else { return }
                ip.fragmentOffset = Int(fragment.u16(2) & 0xfff8)
                ip.moreFragments = fragment.u16(2) & 1 != 0
                header = fragment
            } else {
                guard let lengthByte = peek(2, name), let options = take((Int(lengthByte.u8(1)) + 1) * 8, name) else { return }
                header = options
            }
            ip.extensionHeaders.append(ip.protocolNumber)
            ip.headerLength += header.count
            ip.protocolNumber = header.u8(0)
            // A non-first fragment's next bytes are the middle of the packet, not headers.
            if ip.fragmentOffset > 0 { return }
        }
    }

    static func extensionHeaderName(_ number: UInt8) -> String {
        switch number {
        case 0: "IPv6 hop-by-hop options header"
        case 43: "IPv6 routing header"
        case 44: "IPv6 fragment header"
        default: "IPv6 destination options header"
        }
    }

    // MARK: Transport layer

    mutating func decodeUpperLayer(_ ip: PacketHeaders.IP) {
        if ip.fragmentOffset > 0 {
            stopped = "non-first fragment (offset \(ip.fragmentOffset)): no transport header"
            return
        }
        switch ip.protocolNumber {
        case 6: decodeTCP()
        case 17: decodeUDP()
        case 1: decodeICMP(version: 4)
        case 58: decodeICMP(version: 6)
        case 59: break  // IPv6's "no next header": nothing follows, nothing to explain
        case let number:
            let name = ip.protocolName.map { " (\($0))" } ?? ""
            stopped = "IP protocol \(number)\(name) not decoded"
        }
    }

    mutating func decodeUDP() {
        guard let header = take(8, "UDP header") else { return }
        let length = header.u16(4)
        udp = PacketHeaders.UDP(sourcePort: header.u16(0), destinationPort: header.u16(2), length: length)
        if length < 8 { stopped = "UDP length \(length), less than its 8-byte header" }
    }

    mutating func decodeTCP() {
        guard let fixed = peek(20, "TCP header") else { return }
        let dataOffset = Int(fixed.u8(12) >> 4)
        guard dataOffset >= 5 else {
            stopped = "TCP data offset \(dataOffset) (\(dataOffset * 4) bytes), less than 5 (20 bytes)"
            return
        }
        guard let header = take(dataOffset * 4, "TCP header") else { return }
        tcp = PacketHeaders.TCP(sourcePort: header.u16(0), destinationPort: header.u16(2), seq: header.u32(4),
                                ack: header.u32(8), headerLength: dataOffset * 4,
                                flags: PacketHeaders.TCPFlags(rawValue: header.u8(13)), window: header.u16(14))
    }

    mutating func decodeICMP(version: UInt8) {
        guard let header = take(8, version == 4 ? "ICMP header" : "ICMPv6 header") else { return }
        let type = header.u8(0)
        icmp = PacketHeaders.ICMP(version: version, type: type, code: header.u8(1),
                                  name: PacketHeaderNames.icmpType(type, version: version))
    }

    // MARK: Text

    static func mac(_ bytes: [UInt8]) -> String { HexText.bytes(bytes, separator: ":") }

    static func ipv4Text(_ bytes: [UInt8]) -> String { bytes.map(String.init).joined(separator: ".") }
}
