/// `PacketHeaders.summary`: one line for the CLI, made from the decoded headers alone (so
/// the bytes cut at `headerLength` summarize the same).
enum PacketSummary {
    static func line(_ headers: PacketHeaders, link: SampleLinkType) -> String {
        let tags = headers.vlans.isEmpty ? "" : "vlan " + headers.vlans.map { String($0.id) }.joined(separator: ",") + " "
        return tags + packet(headers, link: link)
    }

    private static func packet(_ headers: PacketHeaders, link: SampleLinkType) -> String {
        if let ip = headers.ip {
            if let tcp = headers.tcp {
                return "tcp \(endpoint(ip.source, tcp.sourcePort)) > \(endpoint(ip.destination, tcp.destinationPort))"
            }
            if let udp = headers.udp {
                return "udp \(endpoint(ip.source, udp.sourcePort)) > \(endpoint(ip.destination, udp.destinationPort))"
            }
            if let icmp = headers.icmp {
                return "\(icmp.version == 4 ? "icmp" : "icmpv6") \(ip.source) > \(ip.destination) \(message(icmp))"
            }
            let fragment = ip.fragmentOffset > 0 ? " fragment offset \(ip.fragmentOffset)" : ""
            return "ipv\(ip.version) \(ip.source) > \(ip.destination)\(fragment) proto \(ip.protocolNumber)"
        }
        if let arp = headers.arp {
            switch arp.operation {
            case 1: return "arp who-has \(arp.targetIP) tell \(arp.senderIP)"
            case 2: return "arp reply \(arp.senderIP) is-at \(arp.senderMAC)"
            default: return "arp operation \(arp.operation) \(arp.senderIP) > \(arp.targetIP)"
            }
        }
        guard let ethernet = headers.ethernet else {
            return link == .ethernet ? "ethernet (header not decoded)" : "ip (header not decoded)"
        }
        let type = headers.vlans.last?.type ?? ethernet.type
        switch type {
        case .ipv4: return "ipv4 (header not decoded)"
        case .ipv6: return "ipv6 (header not decoded)"
        case .arp: return "arp (header not decoded)"
        case _ where type.rawValue < 0x0600: return "802.3 length \(type.rawValue)"
        default: return "ethertype \(type)"
        }
    }

    /// "10.0.0.1:53", "[2001:db8::1]:53".
    private static func endpoint(_ address: String, _ port: UInt16) -> String {
        address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    /// "echo-request", "destination-unreachable port-unreachable", "type 42 code 0".
    private static func message(_ icmp: PacketHeaders.ICMP) -> String {
        guard let name = icmp.name else { return "type \(icmp.type) code \(icmp.code)" }
        guard let code = PacketHeaderNames.icmpCode(icmp.code, type: icmp.type, version: icmp.version) else { return name }
        return "\(name) \(code)"
    }
}
