import Testing
@testable import DropledgerCore

@Suite struct PcapNGTests {
    /// 2023-11-14 22:13:20.123456789 UTC: 0x17979cfe_3d85cd15 ns.
    static let timestamp: UInt64 = 1_700_000_000_123_456_789

    static let sectionHeader = hex("0a 0d 0d 0a 30 00 00 00")  // SHB, 48 bytes
        + hex("4d 3c 2b 1a 01 00 00 00 ff ff ff ff ff ff ff ff")  // magic, version 1.0, section length unknown
        + hex("04 00 0a 00") + Array("dropledger".utf8) + hex("00 00")  // shb_userappl, 10 bytes + 2 padding
        + hex("00 00 00 00 30 00 00 00")  // opt_endofopt, length again

    static func interfaceDescription(linkType: UInt8, name: String) -> [UInt8] {
        hex("01 00 00 00 28 00 00 00")  // IDB, 40 bytes (for a 4-byte name)
            + [linkType, 0x00] + hex("00 00 00 00 00 00")  // link type, reserved, snaplen 0
            + hex("02 00 04 00") + Array(name.utf8)  // if_name
            + hex("09 00 01 00 09 00 00 00")  // if_tsresol = 9 (ns), 3 bytes padding
            + hex("00 00 00 00 28 00 00 00")  // opt_endofopt, length again
    }

    @Test func tinyFileExactBytes() {
        let packet = PcapNGPacket(interface: "eth0", link: .ethernet, timestampNanoseconds: Self.timestamp,
                                  originalLength: 60, bytes: [1, 2, 3, 4, 5], comment: "hi")
        let expected = Self.sectionHeader + Self.interfaceDescription(linkType: 1, name: "eth0")
            + hex("06 00 00 00 34 00 00 00")  // EPB, 52 bytes
            + hex("00 00 00 00 fe 9c 97 17 15 cd 85 3d")  // interface 0, timestamp high, low
            + hex("05 00 00 00 3c 00 00 00")  // captured 5, original 60
            + hex("01 02 03 04 05 00 00 00")  // data, 3 bytes padding
            + hex("01 00 02 00 68 69 00 00")  // opt_comment "hi", 2 bytes padding
            + hex("00 00 00 00 34 00 00 00")  // opt_endofopt, length again
        #expect(PcapNGWriter.file([packet]) == expected)
    }

    @Test func anEmptyFileIsASectionHeader() {
        #expect(PcapNGWriter.file([]) == Self.sectionHeader)
    }

    @Test func interfacesAreDescribedOnceEach() {
        var writer = PcapNGWriter()
        func packet(_ interface: String, _ link: SampleLinkType, comment: String = "") -> PcapNGPacket {
            PcapNGPacket(interface: interface, link: link, timestampNanoseconds: 1, originalLength: 0, bytes: [0xaa, 0xbb, 0xcc, 0xdd],
                         comment: comment)
        }
        /// An EPB without options, 36 bytes: timestamp 1 ns, 4 bytes captured, original length raised to 4.
        func enhancedPacket(interface: UInt8) -> [UInt8] {
            hex("06 00 00 00 24 00 00 00") + [interface, 0, 0, 0] + hex("00 00 00 00 01 00 00 00")
                + hex("04 00 00 00 04 00 00 00 aa bb cc dd 24 00 00 00")
        }
        #expect(writer.append(packet("eth0", .ethernet)) == Self.sectionHeader + Self.interfaceDescription(linkType: 1, name: "eth0")
                + enhancedPacket(interface: 0))
        #expect(writer.append(packet("eth0", .ethernet)) == enhancedPacket(interface: 0))
        #expect(writer.append(packet("eth0", .rawIP)) == Self.interfaceDescription(linkType: 101, name: "eth0") + enhancedPacket(interface: 1))
        #expect(writer.append(packet("tun0", .rawIP)) == Self.interfaceDescription(linkType: 101, name: "tun0") + enhancedPacket(interface: 2))
        #expect(writer.append(packet("eth0", .ethernet)) == enhancedPacket(interface: 0))
    }

    @Test func blocksStayAlignedAndLengthsRepeat() {
        let comments = ["", "a", "ab", "abc", "abcd", "é", String(repeating: "ü", count: 40_000)]
        var writer = PcapNGWriter()
        for (index, comment) in comments.enumerated() {
            let bytes = writer.append(PcapNGPacket(interface: "veth-\(index % 2)", link: .ethernet, timestampNanoseconds: 0,
                                                   originalLength: 1, bytes: [UInt8](repeating: 7, count: index), comment: comment))
            var offset = 0
            while offset < bytes.count {
                let length = Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16
                #expect(length % 4 == 0 && offset + length <= bytes.count)
                #expect(bytes[offset + length - 4 ..< offset + length] == bytes[offset + 4 ..< offset + 8])
                offset += length
            }
            #expect(offset == bytes.count)
        }
        // The 80,000-byte comment is cut to 65,534 bytes: whole two-byte "ü"s, valid UTF-8.
        let long = writer.append(PcapNGPacket(interface: "veth-0", link: .ethernet, timestampNanoseconds: 0, originalLength: 0,
                                              bytes: [], comment: String(repeating: "ü", count: 40_000)))
        #expect(long[28 ..< 32] == [0x01, 0x00, 0xfe, 0xff])
        #expect(String(validating: long[32 ..< 32 + 65_534], as: UTF8.self) == String(repeating: "ü", count: 32_767))
    }
}
