/// The headers at the start of a dropped packet, decoded as far as its bytes are valid
/// (`decode(_:link:)`): Ethernet II, 802.1Q and 802.1ad tags, ARP, IPv4 or IPv6 (its
/// extension headers walked), then UDP, TCP, ICMP or ICMPv6.
///
/// A header is decoded whole or not at all: one cut short, or whose length field is
/// impossible, is left undecoded and `stopped` says why.
///
/// JSON (`Codable`): field names are snake_case and stable. Every key is always written;
/// a header that was not decoded, or a name that is not known, is `null` (`Nullable`),
/// as in the API's documents.
public struct PacketHeaders: Sendable, Equatable, Codable {
    @Nullable public var ethernet: Ethernet?
    /// Outermost first; empty without tags.
    public var vlans: [VLANTag]
    @Nullable public var arp: ARP?
    @Nullable public var ip: IP?
    @Nullable public var udp: UDP?
    @Nullable public var tcp: TCP?
    /// ICMP or ICMPv6.
    @Nullable public var icmp: ICMP?
    /// Bytes from the start through the end of the last header decoded completely.
    /// User space keeps only `bytes[0..<headerLength]` unless payload is allowed.
    public var headerLength: Int
    /// One short line for the CLI: "udp 10.0.0.1:1234 > 10.0.0.2:53",
    /// "tcp [2001:db8::1]:443 > [2001:db8::2]:5555", "vlan 100 icmp 10.0.0.1 > 10.0.0.2 echo-request",
    /// "ipv4 10.0.0.1 > 10.0.0.2 proto 47", "arp who-has 10.0.0.2 tell 10.0.0.1", "ethertype 0x88cc".
    /// Made from the decoded headers only.
    public var summary: String
    /// The bytes after `headerLength`, as lowercase hex ("" when there are none).
    public var undecoded: String
    /// Why decoding ended before a transport (or ARP) header, or what is wrong with the one
    /// decoded: "truncated in the TCP header (20 bytes needed, 6 left)", "EtherType 0x88cc
    /// not decoded", a non-first fragment, "UDP length 4, less than its 8-byte header".
    /// nil when decoding got through.
    @Nullable public var stopped: String?

    enum CodingKeys: String, CodingKey {
        case ethernet, vlans, arp, ip, udp, tcp, icmp, summary, undecoded, stopped
        case headerLength = "header_length"
    }

    public init(ethernet: Ethernet? = nil, vlans: [VLANTag] = [], arp: ARP? = nil, ip: IP? = nil, udp: UDP? = nil,
                tcp: TCP? = nil, icmp: ICMP? = nil, headerLength: Int, summary: String, undecoded: String,
                stopped: String? = nil) {
        self.ethernet = ethernet
        self.vlans = vlans
        self.arp = arp
        self.ip = ip
        self.udp = udp
        self.tcp = tcp
        self.icmp = icmp
        self.headerLength = headerLength
        self.summary = summary
        self.undecoded = undecoded
        self.stopped = stopped
    }

    /// The "/24" of an IPv4 source ("10.1.2.0/24") or the "/48" of an IPv6 one
    /// ("2001:db8:1::/48"); nil without a decoded IP header.
    public var sourcePrefix: String? {
        guard let ip else { return nil }
        if let v4 = IPAddressParser.ipv4(ip.source) { return IPPrefix(containing: v4, length: 24).description }
        if let v6 = IPAddressParser.ipv6(ip.source) { return IPPrefix(containing: v6, length: 48).description }
        return nil
    }

    /// The TCP or UDP destination port.
    public var destinationPort: UInt16? { tcp?.destinationPort ?? udp?.destinationPort }

    /// The TCP flags set, comma-separated in header order ("SYN", "SYN,ACK"); "" for a
    /// TCP header with none set, nil without a TCP header.
    public var tcpFlagsText: String? { tcp.map { $0.flags.names.joined(separator: ",") } }
}

extension PacketHeaders {
    /// An EtherType or TPID; JSON writes it as "0x0800".
    public struct EtherType: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        public static let ipv4 = EtherType(rawValue: 0x0800)
        public static let arp = EtherType(rawValue: 0x0806)
        public static let vlan = EtherType(rawValue: 0x8100)
        public static let ipv6 = EtherType(rawValue: 0x86dd)
        public static let serviceVLAN = EtherType(rawValue: 0x88a8)

        public var description: String { "0x" + HexText.digits(rawValue, width: 4) }

        public init(from decoder: any Decoder) throws {
            let text = try decoder.singleValueContainer().decode(String.self)
            guard text.hasPrefix("0x"), let value = UInt16(text.dropFirst(2), radix: 16) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an EtherType: \(text)"))
            }
            rawValue = value
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(description)
        }
    }

    public struct Ethernet: Sendable, Equatable, Codable {
        /// "02:00:00:00:00:01".
        public var source: String
        public var destination: String
        /// The header's own type field: 0x8100 when a tag follows.
        public var type: EtherType
    }

    /// An 802.1Q (TPID 0x8100) or 802.1ad (0x88a8) tag.
    public struct VLANTag: Sendable, Equatable, Codable {
        public var tpid: EtherType
        /// 0...4095.
        public var id: UInt16
        /// PCP, 0...7.
        public var priority: UInt8
        public var dei: Bool
        /// The EtherType after the tag.
        public var type: EtherType
    }

    /// ARP for IPv4 over Ethernet (the only kind decoded).
    public struct ARP: Sendable, Equatable, Codable {
        /// 1 request, 2 reply.
        public var operation: UInt16
        public var senderMAC: String
        public var senderIP: String
        public var targetMAC: String
        public var targetIP: String

        enum CodingKeys: String, CodingKey {
            case operation
            case senderMAC = "sender_mac", senderIP = "sender_ip", targetMAC = "target_mac", targetIP = "target_ip"
        }
    }

    /// IPv4, or IPv6 with its extension headers.
    public struct IP: Sendable, Equatable, Codable {
        /// 4 or 6.
        public var version: UInt8
        /// Dotted quad, or RFC 5952 text (lowercase, the longest run of zero groups as "::").
        public var source: String
        public var destination: String
        /// What follows the IP headers decoded: IPv4's protocol; for IPv6, the next header
        /// the extension-header walk reached (the upper-layer protocol unless it stopped).
        public var protocolNumber: UInt8
        /// "tcp", "udp", "icmp", "icmpv6", "gre", ...; null for a number not named here.
        @Nullable public var protocolName: String?
        /// IPv4's TTL, IPv6's hop limit.
        public var ttl: UInt8
        /// The packet's length as its header says (IPv4's total length; IPv6's 40 plus its
        /// payload length); 0 where the header leaves it unset (BIG TCP, jumbograms).
        public var length: Int
        /// IPv4's IHL in bytes; for IPv6, 40 plus the extension headers walked.
        public var headerLength: Int
        /// In bytes (IPv4's field, or IPv6's fragment header's, times 8); 0 when not fragmented.
        public var fragmentOffset: Int
        public var moreFragments: Bool
        /// IPv6's extension headers walked, in order (0 hop-by-hop, 43 routing, 44 fragment,
        /// 60 destination options); empty for IPv4.
        public var extensionHeaders: [UInt8]

        enum CodingKeys: String, CodingKey {
            case version, source, destination, ttl, length
            case protocolNumber = "protocol", protocolName = "protocol_name", headerLength = "header_length"
            case fragmentOffset = "fragment_offset", moreFragments = "more_fragments", extensionHeaders = "extension_headers"
        }
    }

    public struct UDP: Sendable, Equatable, Codable {
        public var sourcePort: UInt16
        public var destinationPort: UInt16
        /// The header's length field: header and payload.
        public var length: UInt16

        enum CodingKeys: String, CodingKey {
            case length
            case sourcePort = "source_port", destinationPort = "destination_port"
        }
    }

    public struct TCP: Sendable, Equatable, Codable {
        public var sourcePort: UInt16
        public var destinationPort: UInt16
        public var seq: UInt32
        public var ack: UInt32
        /// The data offset in bytes: 20 plus the options.
        public var headerLength: Int
        public var flags: TCPFlags
        public var window: UInt16

        enum CodingKeys: String, CodingKey {
            case seq, ack, flags, window
            case sourcePort = "source_port", destinationPort = "destination_port", headerLength = "header_length"
        }
    }

    /// The eight TCP flag bits; JSON writes the set ones' names in header order: ["SYN", "ACK"].
    public struct TCPFlags: OptionSet, Hashable, Sendable, Codable {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        public static let fin = TCPFlags(rawValue: 0x01)
        public static let syn = TCPFlags(rawValue: 0x02)
        public static let rst = TCPFlags(rawValue: 0x04)
        public static let psh = TCPFlags(rawValue: 0x08)
        public static let ack = TCPFlags(rawValue: 0x10)
        public static let urg = TCPFlags(rawValue: 0x20)
        public static let ece = TCPFlags(rawValue: 0x40)
        public static let cwr = TCPFlags(rawValue: 0x80)

        /// Bit order: FIN is bit 0.
        static let allNames = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"]

        public var names: [String] {
            Self.allNames.indices.filter { rawValue & (1 << $0) != 0 }.map { Self.allNames[$0] }
        }

        public init(from decoder: any Decoder) throws {
            var bits: UInt8 = 0
            for name in try decoder.singleValueContainer().decode([String].self) {
                guard let bit = Self.allNames.firstIndex(of: name) else {
                    throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a TCP flag: \(name)"))
                }
                bits |= 1 << bit
            }
            rawValue = bits
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(names)
        }
    }

    /// ICMP (protocol 1) or ICMPv6 (58): the first 8 bytes.
    public struct ICMP: Sendable, Equatable, Codable {
        /// 4 for ICMP, 6 for ICMPv6.
        public var version: UInt8
        public var type: UInt8
        public var code: UInt8
        /// "echo-request", "destination-unreachable", "neighbor-solicitation", ...; null
        /// for a type not named here.
        @Nullable public var name: String?
    }
}
