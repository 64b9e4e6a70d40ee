/// The names the decoder gives numbers: IP protocols, ICMP and ICMPv6 types and codes.
enum PacketHeaderNames {
    /// IANA's keyword, lowercase, for the protocols seen in practice.
    static func ipProtocol(_ number: UInt8) -> String? {
        switch number {
        case 0: "hopopt"
        case 1: "icmp"
        case 2: "igmp"
        case 4: "ipip"
        case 6: "tcp"
        case 17: "udp"
        case 41: "ipv6"
        case 43: "ipv6-route"
        case 44: "ipv6-frag"
        case 47: "gre"
        case 50: "esp"
        case 51: "ah"
        case 58: "icmpv6"
        case 59: "ipv6-nonxt"
        case 60: "ipv6-opts"
        case 89: "ospf"
        case 103: "pim"
        case 112: "vrrp"
        case 115: "l2tp"
        case 132: "sctp"
        case 136: "udplite"
        case 137: "mpls-in-ip"
        default: nil
        }
    }

    /// ICMP (`version` 4) or ICMPv6 (6) type names.
    static func icmpType(_ type: UInt8, version: UInt8) -> String? {
        if version == 4 {
            switch type {
            case 0: "echo-reply"
            case 3: "destination-unreachable"
            case 4: "source-quench"
            case 5: "redirect"
            case 8: "echo-request"
            case 9: "router-advertisement"
            case 10: "router-solicitation"
            case 11: "time-exceeded"
            case 12: "parameter-problem"
            case 13: "timestamp-request"
            case 14: "timestamp-reply"
            default: nil
            }
        } else {
            switch type {
            case 1: "destination-unreachable"
            case 2: "packet-too-big"
            case 3: "time-exceeded"
            case 4: "parameter-problem"
            case 128: "echo-request"
            case 129: "echo-reply"
            case 130: "multicast-listener-query"
            case 131: "multicast-listener-report"
            case 132: "multicast-listener-done"
            case 133: "router-solicitation"
            case 134: "router-advertisement"
            case 135: "neighbor-solicitation"
            case 136: "neighbor-advertisement"
            case 137: "redirect"
            case 143: "multicast-listener-report-v2"
            default: nil
            }
        }
    }

    /// The code's name for destination-unreachable and time-exceeded, the types whose
    /// code says what happened; nil for the others.
    static func icmpCode(_ code: UInt8, type: UInt8, version: UInt8) -> String? {
        switch (version, type) {
        case (4, 3):
            switch code {
            case 0: "net-unreachable"
            case 1: "host-unreachable"
            case 2: "protocol-unreachable"
            case 3: "port-unreachable"
            case 4: "fragmentation-needed"
            case 5: "source-route-failed"
            case 6: "net-unknown"
            case 7: "host-unknown"
            case 9: "net-prohibited"
            case 10: "host-prohibited"
            case 13: "administratively-prohibited"
            default: nil
            }
        case (4, 11), (6, 3):
            switch code {
            case 0: version == 4 ? "ttl-exceeded" : "hop-limit-exceeded"
            case 1: "reassembly-time-exceeded"
            default: nil
            }
        case (6, 1):
            switch code {
            case 0: "no-route"
            case 1: "administratively-prohibited"
            case 2: "beyond-scope"
            case 3: "address-unreachable"
            case 4: "port-unreachable"
            case 5: "source-address-failed-policy"
            case 6: "reject-route"
            default: nil
            }
        default:
            nil
        }
    }
}
