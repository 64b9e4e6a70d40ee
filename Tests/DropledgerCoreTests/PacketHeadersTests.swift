import Foundation
import PropertyBased
import Testing
@testable import DropledgerCore

/// Hand-built frames, field by field (`hex`: space-separated pairs).
enum Frames {
    static let ethernetIPv4 = hex("02 00 00 00 00 02 02 00 00 00 00 01 08 00")
    static let ethernetIPv6 = hex("02 00 00 00 00 02 02 00 00 00 00 01 86 dd")

    /// IPv4 header, 20 bytes: ID 0x1234, TTL 64, 10.0.0.1 > 10.0.0.2 unless told.
    static func ipv4(totalLength: UInt16, protocol number: UInt8, fragment: UInt16 = 0, source: String = "0a 00 00 01") -> [UInt8] {
        [0x45, 0x00, UInt8(totalLength >> 8), UInt8(totalLength & 0xff), 0x12, 0x34, UInt8(fragment >> 8), UInt8(fragment & 0xff),
         0x40, number, 0x00, 0x00] + hex(source) + hex("0a 00 00 02")
    }

    /// IPv6 header, 40 bytes: hop limit 64, 2001:db8::1 > 2001:db8::2 unless told.
    static func ipv6(payloadLength: UInt16, nextHeader: UInt8,
                     source: String = "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01",
                     destination: String = "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02") -> [UInt8] {
        [0x60, 0x00, 0x00, 0x00, UInt8(payloadLength >> 8), UInt8(payloadLength & 0xff), nextHeader, 0x40]
            + hex(source) + hex(destination)
    }

    /// UDP 1234 > 53, length 16, then 8 bytes of payload.
    static let udp = hex("04 d2 00 35 00 10 00 00") + hex("de ad be ef ca fe ba be")
    static let ipv4UDP = ipv4(totalLength: 36, protocol: 17) + udp

    /// TCP SYN 50000 > 80, seq 1000, data offset 10 (MSS, SACK-permitted, timestamps, NOP, window scale).
    static let tcpSYN = hex("c3 50 00 50 00 00 03 e8 00 00 00 00 a0 02 fa f0 00 00 00 00")
        + hex("02 04 05 b4 04 02 08 0a 00 00 00 01 00 00 00 00 01 03 03 07")
    static let ipv4TCPSYN = ethernetIPv4 + ipv4(totalLength: 60, protocol: 6) + tcpSYN

    /// ICMP echo request, ID 1, sequence 1, then "abcd" (the total length says more: cut).
    static let ipv4ICMPEcho = ethernetIPv4 + ipv4(totalLength: 84, protocol: 1) + hex("08 00 f7 ff 00 01 00 01 61 62 63 64")

    /// UDP 5353 > 5353 in IPv6, then 4 bytes.
    static let ipv6UDP = ethernetIPv6 + ipv6(payloadLength: 12, nextHeader: 17) + hex("14 e9 14 e9 00 0c 00 00 01 02 03 04")

    /// Hop-by-hop (PadN) > fragment (offset 0, more, ID 0x1234) > TCP SYN-ACK 443 > 5555.
    static let ipv6HopByHopFragmentTCP = ethernetIPv6 + ipv6(payloadLength: 36, nextHeader: 0)
        + hex("2c 00 01 04 00 00 00 00") + hex("06 00 00 01 00 00 12 34")
        + hex("01 bb 15 b3 00 00 00 01 00 00 00 02 50 12 ff ff 00 00 00 00")

    /// ICMPv6 echo request, ID 7, sequence 1, then "abcd".
    static let ipv6ICMPEcho = ethernetIPv6 + ipv6(payloadLength: 12, nextHeader: 58) + hex("80 00 00 00 00 07 00 01 61 62 63 64")

    /// 802.1Q tag: PCP 3, VLAN 100.
    static let vlanIPv4UDP = hex("02 00 00 00 00 02 02 00 00 00 00 01 81 00") + hex("60 64 08 00") + ipv4UDP
    /// 802.1ad tag VLAN 200 outside an 802.1Q tag (PCP 1, DEI, VLAN 100).
    static let qinqIPv4UDP = hex("02 00 00 00 00 02 02 00 00 00 00 01 88 a8") + hex("00 c8 81 00") + hex("30 64 08 00") + ipv4UDP

    /// Offset 185 x 8 = 1480, last fragment: UDP's bytes are elsewhere.
    static let ipv4NonFirstFragment = ethernetIPv4 + ipv4(totalLength: 36, protocol: 17, fragment: 185) + [UInt8](repeating: 0x11, count: 16)

    /// ARP who-has 10.0.0.2 tell 10.0.0.1, broadcast, padded to 60 bytes.
    static let arpRequest = hex("ff ff ff ff ff ff 02 00 00 00 00 01 08 06")
        + hex("00 01 08 00 06 04 00 01 02 00 00 00 00 01 0a 00 00 01 00 00 00 00 00 00 0a 00 00 02")
        + [UInt8](repeating: 0, count: 18)

    /// LLDP: an EtherType with no decoder.
    static let lldp = hex("01 80 c2 00 00 0e 02 00 00 00 00 01 88 cc 02 07 04")

    static let valid: [[UInt8]] = [ethernetIPv4 + ipv4UDP, ipv4TCPSYN, ipv4ICMPEcho, ipv6UDP, ipv6HopByHopFragmentTCP,
                                   ipv6ICMPEcho, vlanIPv4UDP, qinqIPv4UDP, ipv4NonFirstFragment, arpRequest, lldp]
}

@Suite struct PacketHeadersTests {
    typealias H = PacketHeaders

    static let ethernet = H.Ethernet(source: "02:00:00:00:00:01", destination: "02:00:00:00:00:02", type: .ipv4)
    static let ipv4 = H.IP(version: 4, source: "10.0.0.1", destination: "10.0.0.2", protocolNumber: 17, protocolName: "udp",
                           ttl: 64, length: 36, headerLength: 20, fragmentOffset: 0, moreFragments: false, extensionHeaders: [])
    static let udp = H.UDP(sourcePort: 1234, destinationPort: 53, length: 16)

    @Test func ipv4UDP() {
        let decoded = H.decode(Frames.ethernetIPv4 + Frames.ipv4UDP, link: .ethernet)
        #expect(decoded == H(ethernet: Self.ethernet, ip: Self.ipv4, udp: Self.udp, headerLength: 42,
                             summary: "udp 10.0.0.1:1234 > 10.0.0.2:53", undecoded: "deadbeefcafebabe"))
        #expect(decoded.destinationPort == 53)
        #expect(decoded.sourcePrefix == "10.0.0.0/24")
        #expect(decoded.tcpFlagsText == nil)
    }

    @Test func ipv4TCPSYN() {
        let decoded = H.decode(Frames.ipv4TCPSYN, link: .ethernet)
        var ip = Self.ipv4
        (ip.protocolNumber, ip.protocolName, ip.length) = (6, "tcp", 60)
        let tcp = H.TCP(sourcePort: 50000, destinationPort: 80, seq: 1000, ack: 0, headerLength: 40, flags: .syn, window: 64240)
        #expect(decoded == H(ethernet: Self.ethernet, ip: ip, tcp: tcp, headerLength: 74,
                             summary: "tcp 10.0.0.1:50000 > 10.0.0.2:80", undecoded: ""))
        #expect(decoded.tcpFlagsText == "SYN")
        #expect(decoded.destinationPort == 80)
    }

    @Test func ipv4ICMPEcho() {
        let decoded = H.decode(Frames.ipv4ICMPEcho, link: .ethernet)
        var ip = Self.ipv4
        (ip.protocolNumber, ip.protocolName, ip.length) = (1, "icmp", 84)
        #expect(decoded == H(ethernet: Self.ethernet, ip: ip, icmp: H.ICMP(version: 4, type: 8, code: 0, name: "echo-request"),
                             headerLength: 42, summary: "icmp 10.0.0.1 > 10.0.0.2 echo-request", undecoded: "61626364"))
        #expect(decoded.destinationPort == nil)
    }

    static func ipv6(_ number: UInt8, _ name: String, length: Int) -> H.IP {
        H.IP(version: 6, source: "2001:db8::1", destination: "2001:db8::2", protocolNumber: number, protocolName: name,
             ttl: 64, length: length, headerLength: 40, fragmentOffset: 0, moreFragments: false, extensionHeaders: [])
    }

    @Test func ipv6UDP() {
        let decoded = H.decode(Frames.ipv6UDP, link: .ethernet)
        var ethernet = Self.ethernet
        ethernet.type = .ipv6
        #expect(decoded == H(ethernet: ethernet, ip: Self.ipv6(17, "udp", length: 52),
                             udp: H.UDP(sourcePort: 5353, destinationPort: 5353, length: 12), headerLength: 62,
                             summary: "udp [2001:db8::1]:5353 > [2001:db8::2]:5353", undecoded: "01020304"))
        #expect(decoded.sourcePrefix == "2001:db8::/48")
    }

    @Test func ipv6TCPAfterHopByHopAndFirstFragment() {
        let decoded = H.decode(Frames.ipv6HopByHopFragmentTCP, link: .ethernet)
        var ip = Self.ipv6(6, "tcp", length: 76)
        (ip.headerLength, ip.moreFragments, ip.extensionHeaders) = (56, true, [0, 44])
        var ethernet = Self.ethernet
        ethernet.type = .ipv6
        let tcp = H.TCP(sourcePort: 443, destinationPort: 5555, seq: 1, ack: 2, headerLength: 20, flags: [.syn, .ack], window: 65535)
        #expect(decoded == H(ethernet: ethernet, ip: ip, tcp: tcp, headerLength: 90,
                             summary: "tcp [2001:db8::1]:443 > [2001:db8::2]:5555", undecoded: ""))
        #expect(decoded.tcpFlagsText == "SYN,ACK")
    }

    @Test func ipv6ICMPEcho() {
        let decoded = H.decode(Frames.ipv6ICMPEcho, link: .ethernet)
        #expect(decoded.ip == Self.ipv6(58, "icmpv6", length: 52))
        #expect(decoded.icmp == H.ICMP(version: 6, type: 128, code: 0, name: "echo-request"))
        #expect(decoded.summary == "icmpv6 2001:db8::1 > 2001:db8::2 echo-request")
        #expect(decoded.headerLength == 62 && decoded.undecoded == "61626364" && decoded.stopped == nil)
    }

    @Test func singleVLANTag() {
        let decoded = H.decode(Frames.vlanIPv4UDP, link: .ethernet)
        var ethernet = Self.ethernet
        ethernet.type = .vlan
        #expect(decoded == H(ethernet: ethernet, vlans: [H.VLANTag(tpid: .vlan, id: 100, priority: 3, dei: false, type: .ipv4)],
                             ip: Self.ipv4, udp: Self.udp, headerLength: 46,
                             summary: "vlan 100 udp 10.0.0.1:1234 > 10.0.0.2:53", undecoded: "deadbeefcafebabe"))
    }

    @Test func qinq() {
        let decoded = H.decode(Frames.qinqIPv4UDP, link: .ethernet)
        #expect(decoded.ethernet?.type == .serviceVLAN)
        #expect(decoded.vlans == [H.VLANTag(tpid: .serviceVLAN, id: 200, priority: 0, dei: false, type: .vlan),
                                  H.VLANTag(tpid: .vlan, id: 100, priority: 1, dei: true, type: .ipv4)])
        #expect(decoded.ip == Self.ipv4 && decoded.udp == Self.udp && decoded.headerLength == 50)
        #expect(decoded.summary == "vlan 200,100 udp 10.0.0.1:1234 > 10.0.0.2:53")
    }

    @Test func moreThanEightTagsStop() {
        let tag = hex("00 01 81 00")
        let frame = hex("02 00 00 00 00 02 02 00 00 00 00 01 81 00") + Array([[UInt8]](repeating: tag, count: 9).joined())
        let decoded = H.decode(frame, link: .ethernet)
        #expect(decoded.vlans.count == 8 && decoded.headerLength == 14 + 32)
        #expect(decoded.stopped == "more than 8 VLAN tags")
        #expect(decoded.undecoded == "00018100")
    }

    @Test func rawIP() {
        let v4 = H.decode(Frames.ipv4UDP, link: .rawIP)
        #expect(v4 == H(ip: Self.ipv4, udp: Self.udp, headerLength: 28, summary: "udp 10.0.0.1:1234 > 10.0.0.2:53",
                        undecoded: "deadbeefcafebabe"))
        let v6 = H.decode(Array(Frames.ipv6UDP.dropFirst(14)), link: .rawIP)
        #expect(v6.ethernet == nil && v6.ip == Self.ipv6(17, "udp", length: 52) && v6.headerLength == 48)
        let v5 = H.decode(hex("50 00 00 14"), link: .rawIP)
        #expect(v5.stopped == "IP version 5, neither 4 nor 6" && v5.summary == "ip (header not decoded)" && v5.headerLength == 0)
        #expect(v5.undecoded == "50000014")
        #expect(H.decode([], link: .rawIP).stopped == "no bytes: the IP header is missing")
    }

    @Test func ipVersionMustMatchTheEtherType() {
        let v6InV4 = H.decode(Frames.ethernetIPv4 + Frames.ipv6(payloadLength: 0, nextHeader: 59), link: .ethernet)
        #expect(v6InV4.ip == nil && v6InV4.headerLength == 14 && v6InV4.stopped == "IP version 6 in an IPv4 header")
        #expect(v6InV4.summary == "ipv4 (header not decoded)")
        let v4InV6 = H.decode(Frames.ethernetIPv6 + Frames.ipv4UDP + [UInt8](repeating: 0, count: 12), link: .ethernet)
        #expect(v4InV6.ip == nil && v4InV6.headerLength == 14 && v4InV6.stopped == "IP version 4 in an IPv6 header")
    }

    @Test func nonFirstFragmentHasNoTransportHeader() {
        let decoded = H.decode(Frames.ipv4NonFirstFragment, link: .ethernet)
        #expect(decoded.ip?.fragmentOffset == 1480 && decoded.ip?.moreFragments == false)
        #expect(decoded.udp == nil && decoded.headerLength == 34)
        #expect(decoded.stopped == "non-first fragment (offset 1480): no transport header")
        #expect(decoded.summary == "ipv4 10.0.0.1 > 10.0.0.2 fragment offset 1480 proto 17")
        #expect(decoded.undecoded == String(repeating: "11", count: 16))

        // IPv6: the walk stops at the fragment header; what follows is the middle of the packet.
        let v6 = Frames.ethernetIPv6 + Frames.ipv6(payloadLength: 16, nextHeader: 44) + hex("3c 00 05 a8 00 00 12 34")
            + hex("00 01 02 03 04 05 06 07")
        let decoded6 = H.decode(v6, link: .ethernet)
        #expect(decoded6.ip?.fragmentOffset == 1448 && decoded6.ip?.extensionHeaders == [44] && decoded6.ip?.protocolNumber == 60)
        #expect(decoded6.headerLength == 62 && decoded6.undecoded == "0001020304050607")
        #expect(decoded6.stopped == "non-first fragment (offset 1448): no transport header")
        #expect(decoded6.summary == "ipv6 2001:db8::1 > 2001:db8::2 fragment offset 1448 proto 60")
    }

    @Test func badIHL() {
        var frame = Frames.ethernetIPv4 + Frames.ipv4UDP
        frame[14] = 0x43
        let decoded = H.decode(frame, link: .ethernet)
        #expect(decoded.ip == nil && decoded.udp == nil && decoded.headerLength == 14)
        #expect(decoded.stopped == "IPv4 header length 12 bytes, less than 20")
        #expect(decoded.summary == "ipv4 (header not decoded)")
        #expect(decoded.undecoded.hasPrefix("4300"))
        #expect(decoded.sourcePrefix == nil)
    }

    @Test func badTCPDataOffset() {
        var frame = Frames.ipv4TCPSYN
        frame[14 + 20 + 12] = 0x30
        let decoded = H.decode(frame, link: .ethernet)
        #expect(decoded.ip?.protocolNumber == 6 && decoded.tcp == nil && decoded.headerLength == 34)
        #expect(decoded.stopped == "TCP data offset 3 (12 bytes), less than 5 (20 bytes)")
        #expect(decoded.summary == "ipv4 10.0.0.1 > 10.0.0.2 proto 6")
        #expect(decoded.tcpFlagsText == nil)
    }

    @Test func unknownEtherType() {
        let decoded = H.decode(Frames.lldp, link: .ethernet)
        #expect(decoded.ethernet?.type == H.EtherType(rawValue: 0x88cc) && decoded.headerLength == 14)
        #expect(decoded.stopped == "EtherType 0x88cc not decoded")
        #expect(decoded.summary == "ethertype 0x88cc")
        #expect(decoded.undecoded == "020704")
    }

    @Test func arp() {
        let decoded = H.decode(Frames.arpRequest, link: .ethernet)
        #expect(decoded.arp == H.ARP(operation: 1, senderMAC: "02:00:00:00:00:01", senderIP: "10.0.0.1",
                                     targetMAC: "00:00:00:00:00:00", targetIP: "10.0.0.2"))
        #expect(decoded.ethernet?.destination == "ff:ff:ff:ff:ff:ff")
        #expect(decoded.headerLength == 42 && decoded.stopped == nil && decoded.undecoded == String(repeating: "00", count: 18))
        #expect(decoded.summary == "arp who-has 10.0.0.2 tell 10.0.0.1")
        #expect(decoded.sourcePrefix == nil)
    }

    @Test func ipLengthEndsThePacketBeforeTheBytesDo() {
        // Ethernet padding after a short packet is not decoded as headers...
        let padded = Frames.ethernetIPv4 + Frames.ipv4(totalLength: 28, protocol: 17) + hex("04 d2 00 35 00 08 00 00")
            + [UInt8](repeating: 0, count: 18)
        let decoded = H.decode(padded, link: .ethernet)
        #expect(decoded.udp == H.UDP(sourcePort: 1234, destinationPort: 53, length: 8) && decoded.stopped == nil)
        #expect(decoded.undecoded == String(repeating: "00", count: 18))
        // ... and a transport header the IP length cuts short is not decoded, though its bytes are there.
        let short = H.decode(Frames.ethernetIPv4 + Frames.ipv4(totalLength: 24, protocol: 17) + Frames.udp, link: .ethernet)
        #expect(short.udp == nil && short.headerLength == 34)
        #expect(short.stopped == "IPv4 total length 24 ends the packet in the UDP header (8 bytes needed, 4 left)")
        let tooShort = H.decode(Frames.ethernetIPv4 + Frames.ipv4(totalLength: 10, protocol: 17) + Frames.udp, link: .ethernet)
        #expect(tooShort.ip?.length == 10 && tooShort.udp == nil)
        #expect(tooShort.stopped == "IPv4 total length 10, less than its 20-byte header")
        let ipv6 = H.decode(Frames.ethernetIPv6 + Frames.ipv6(payloadLength: 4, nextHeader: 17) + Frames.udp, link: .ethernet)
        #expect(ipv6.stopped == "IPv6 payload length 4 ends the packet in the UDP header (8 bytes needed, 4 left)")
    }

    /// Cut after every byte: nothing traps, a header complete in the cut decodes as in the
    /// whole frame, one cut short is not decoded, and `stopped` says where.
    @Test(arguments: [Frames.ipv4TCPSYN, Frames.ipv6HopByHopFragmentTCP])
    func everyTruncationDecodesTheCompleteHeaders(_ frame: [UInt8]) {
        let whole = H.decode(frame, link: .ethernet)
        let ipEnd = 14 + (whole.ip?.headerLength ?? 0)
        for length in 0 ... frame.count {
            let cut = H.decode(Array(frame[..<length]), link: .ethernet)
            #expect(cut.headerLength <= length)
            #expect(cut.ethernet == (length >= 14 ? whole.ethernet : nil), "cut at \(length)")
            if length >= ipEnd || length < 14 + 40 { #expect(cut.ip == (length >= ipEnd ? whole.ip : nil), "cut at \(length)") }
            #expect(cut.tcp == (length == frame.count ? whole.tcp : nil), "cut at \(length)")
            #expect(cut.undecoded == HexText.bytes(frame[cut.headerLength ..< length]))
            #expect((cut.stopped == nil) == (length == frame.count), "cut at \(length): \(cut.stopped ?? "")")
        }
    }

    @Test func truncationMessagesSayWhereAndHowMuch() {
        let cases: [(Int, String, Int)] = [
            (10, "truncated in the Ethernet header (14 bytes needed, 10 left)", 0),
            (20, "truncated in the IPv4 header (20 bytes needed, 6 left)", 14),
            (40, "truncated in the TCP header (20 bytes needed, 6 left)", 34),
            (60, "truncated in the TCP header (40 bytes needed, 26 left)", 34),
        ]
        for (length, message, headerLength) in cases {
            let cut = H.decode(Array(Frames.ipv4TCPSYN[..<length]), link: .ethernet)
            #expect(cut.stopped == message)
            #expect(cut.headerLength == headerLength)
        }
        let ipv6 = H.decode(Array(Frames.ipv6HopByHopFragmentTCP[..<(14 + 40 + 8 + 4)]), link: .ethernet)
        #expect(ipv6.stopped == "truncated in the IPv6 fragment header (8 bytes needed, 4 left)")
        #expect(ipv6.ip?.extensionHeaders == [0] && ipv6.ip?.protocolNumber == 44 && ipv6.ip?.protocolName == "ipv6-frag")
        #expect(ipv6.summary == "ipv6 2001:db8::1 > 2001:db8::2 proto 44")
    }

    /// RFC 5952: lowercase, no leading zeros, the longest run of two or more zero groups as
    /// "::" (the leftmost of equals), a lone zero group kept.
    @Test(arguments: [
        ("20 01 0d b8 00 00 00 00 00 01 00 00 00 00 00 01", "2001:db8::1:0:0:1"),
        ("20 01 00 00 00 00 00 01 00 00 00 00 00 00 00 01", "2001:0:0:1::1"),
        ("20 01 0d b8 00 00 00 01 00 01 00 01 00 01 00 01", "2001:db8:0:1:1:1:1:1"),
        ("00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", "::"),
        ("fe 80 00 00 00 00 00 00 0a bc de f0 00 00 00 01", "fe80::abc:def0:0:1"),
    ])
    func ipv6AddressText(_ address: String, _ text: String) {
        let decoded = H.decode(Frames.ipv6(payloadLength: 0, nextHeader: 59, source: address), link: .rawIP)
        #expect(decoded.ip?.source == text)
        #expect(decoded.stopped == nil && decoded.ip?.length == 0)
    }

    @Test func sourcePrefix() {
        let v4 = H.decode(Frames.ipv4(totalLength: 20, protocol: 59, source: "0a 01 02 01"), link: .rawIP)
        #expect(v4.ip?.source == "10.1.2.1" && v4.sourcePrefix == "10.1.2.0/24")
        let v6 = H.decode(Frames.ipv6(payloadLength: 0, nextHeader: 59, source: "20 01 0d b8 00 01 00 02 00 00 00 00 00 00 00 05"),
                          link: .rawIP)
        #expect(v6.ip?.source == "2001:db8:1:2::5" && v6.sourcePrefix == "2001:db8:1::/48")
    }

    @Test func icmpNames() {
        func icmp(_ bytes: String, version: UInt8) -> String {
            let frame = version == 4 ? Frames.ipv4(totalLength: 0, protocol: 1) + hex(bytes)
                : Frames.ipv6(payloadLength: 0, nextHeader: 58) + hex(bytes)
            return H.decode(frame, link: .rawIP).summary
        }
        #expect(icmp("03 03 00 00 00 00 00 00", version: 4) == "icmp 10.0.0.1 > 10.0.0.2 destination-unreachable port-unreachable")
        #expect(icmp("0b 00 00 00 00 00 00 00", version: 4) == "icmp 10.0.0.1 > 10.0.0.2 time-exceeded ttl-exceeded")
        #expect(icmp("2a 05 00 00 00 00 00 00", version: 4) == "icmp 10.0.0.1 > 10.0.0.2 type 42 code 5")
        #expect(icmp("01 04 00 00 00 00 00 00", version: 6) == "icmpv6 2001:db8::1 > 2001:db8::2 destination-unreachable port-unreachable")
        #expect(icmp("02 00 00 00 00 00 05 00", version: 6) == "icmpv6 2001:db8::1 > 2001:db8::2 packet-too-big")
        #expect(icmp("87 00 00 00 00 00 00 00", version: 6) == "icmpv6 2001:db8::1 > 2001:db8::2 neighbor-solicitation")
        #expect(icmp("88 00 00 00 00 00 00 00", version: 6) == "icmpv6 2001:db8::1 > 2001:db8::2 neighbor-advertisement")
        #expect(icmp("85 00 00 00 00 00 00 00", version: 6) == "icmpv6 2001:db8::1 > 2001:db8::2 router-solicitation")
        #expect(icmp("81 00 00 00 00 00 00 00", version: 6) == "icmpv6 2001:db8::1 > 2001:db8::2 echo-reply")
    }

    @Test func otherProtocolsAreNamedNotDecoded() {
        let gre = H.decode(Frames.ipv4(totalLength: 0, protocol: 47) + hex("00 00 08 00"), link: .rawIP)
        #expect(gre.summary == "ipv4 10.0.0.1 > 10.0.0.2 proto 47")
        #expect(gre.stopped == "IP protocol 47 (gre) not decoded" && gre.ip?.protocolName == "gre")
        let unnamed = H.decode(Frames.ipv4(totalLength: 0, protocol: 253), link: .rawIP)
        #expect(unnamed.stopped == "IP protocol 253 not decoded" && unnamed.ip?.protocolName == nil)
    }

    @Test func jsonOfOneSample() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let sample = H.decode(Frames.vlanIPv4UDP, link: .ethernet)
        let json = String(decoding: try encoder.encode(sample), as: UTF8.self)
        #expect(json == """
            {"arp":null,"ethernet":{"destination":"02:00:00:00:00:02","source":"02:00:00:00:00:01","type":"0x8100"},\
            "header_length":46,"icmp":null,"ip":{"destination":"10.0.0.2","extension_headers":[],"fragment_offset":0,\
            "header_length":20,"length":36,"more_fragments":false,"protocol":17,"protocol_name":"udp","source":"10.0.0.1",\
            "ttl":64,"version":4},"stopped":null,"summary":"vlan 100 udp 10.0.0.1:1234 > 10.0.0.2:53","tcp":null,\
            "udp":{"destination_port":53,"length":16,"source_port":1234},"undecoded":"deadbeefcafebabe",\
            "vlans":[{"dei":false,"id":100,"priority":3,"tpid":"0x8100","type":"0x0800"}]}
            """)
        #expect(try JSONDecoder().decode(H.self, from: Data(json.utf8)) == sample)

        let tcp = String(decoding: try encoder.encode(H.decode(Frames.ipv6HopByHopFragmentTCP, link: .ethernet).tcp), as: UTF8.self)
        #expect(tcp == """
            {"ack":2,"destination_port":5555,"flags":["SYN","ACK"],"header_length":20,"seq":1,"source_port":443,"window":65535}
            """)
    }

    /// Valid frames with a few bytes changed and cut anywhere: the invariants the fuzz
    /// target checks (Tests/Fuzz/HeadersFuzz.swift), on every `swift test`.
    @Test func mutatedFramesKeepTheInvariants() async {
        let input = zip(Gen.int(in: 0 ... Frames.valid.count - 1), zip(Gen.int(in: 0 ... 99), Gen.uint8()).array(of: 0 ... 4),
                        Gen.int(in: 0 ... 100))
        await propertyCheck(count: 2000, input: input) { index, changes, cut in
            var frame = Frames.valid[index]
            for (position, value) in changes where position < frame.count { frame[position] = value }
            frame = Array(frame.prefix(cut))
            for link in SampleLinkType.allCases {
                let decoded = H.decode(frame, link: link)
                #expect(decoded.headerLength <= frame.count)
                var again = H.decode(Array(frame[..<decoded.headerLength]), link: link)
                (again.undecoded, again.stopped) = (decoded.undecoded, decoded.stopped)
                #expect(again == decoded, "\(frame)")
            }
        }
    }
}
