import Testing
@testable import DropledgerCore

@Suite struct PrefixTableTests {
    @Test(arguments: [
        ("192.0.2.0/24", "192.0.2.0/24", [192, 0, 2, 0] as [UInt8]),
        ("10.0.0.1", "10.0.0.1/32", [10, 0, 0, 1]),
        ("0.0.0.0/0", "0.0.0.0/0", [0, 0, 0, 0]),
        ("2001:DB8::/32", "2001:db8::/32", [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 12)),
        ("2001:db8:0:0:1::/80", "2001:db8:0:0:1::/80", [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1] + Array(repeating: 0, count: 6)),
        ("::ffff:192.0.2.1", "::ffff:c000:201/128", Array(repeating: 0, count: 10) + [0xff, 0xff, 192, 0, 2, 1]),
        ("::/0", "::/0", Array(repeating: 0, count: 16)),
    ])
    func parsesPrefixes(text: String, canonical: String, address: [UInt8]) throws {
        let prefix = try IPPrefix(parsing: text)
        #expect(prefix.description == canonical)
        #expect(prefix.address == address)
    }

    @Test(arguments: [
        ("10.0.0.1/8", "has host bits set (did you mean 10.0.0.0/8?)"),
        ("2001:db8::1/64", "has host bits set (did you mean 2001:db8::/64?)"),
        ("10.0.0.0/33", "prefix length outside 0...32"),
        ("2001:db8::/129", "prefix length outside 0...128"),
        ("10.0.0.0/", "prefix length outside"),
        ("10.0.0.0/+8", "prefix length outside"),
        ("256.0.0.0/8", "is not an IPv4 or IPv6 prefix"),
        ("010.0.0.0/8", "is not an IPv4 or IPv6 prefix"),
        ("1:2:3:4:5:6:7:8:9/64", "is not an IPv4 or IPv6 prefix"),
        ("1::2::3/64", "is not an IPv4 or IPv6 prefix"),
        ("example.com/24", "is not an IPv4 or IPv6 prefix"),
    ])
    func rejectsBadPrefixes(text: String, message: String) {
        #expect {
            try IPPrefix(parsing: text)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func parsesFlagsAndFiles() throws {
        var table = PrefixTable()
        try table.add(file: """
            # customers of the lab
            10.0.0.0/8     5      # the default

            10.1.0.0/16\t18446744073709551615
              2001:db8::/32 7
            """, name: "p.txt")
        try table.add(flag: "10.1.2.0/24=9")
        #expect(table.entries.map(\.customer) == [5, UInt64.max, 7, 9])
        #expect(table.entries.map(\.prefix.description) == ["10.0.0.0/8", "10.1.0.0/16", "2001:db8::/32", "10.1.2.0/24"])
        #expect(table.entries[1].value == [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
        #expect(table.entries[0].value == [5])
    }

    @Test(arguments: [
        ("10.0.0.0/8 0", "p.txt:2: customer 0 is out of range: IDs are 1...18446744073709551615 (0 is reserved)"),
        ("10.0.0.0/8 18446744073709551616", "p.txt:2: customer 18446744073709551616 is out of range"),
        ("10.0.0.0/8 0x10", "p.txt:2: customer '0x10' is not a decimal number"),
        ("10.0.0.0/8", "p.txt:2: expected 'CIDR CUSTOMER', got '10.0.0.0/8'"),
        ("10.0.0.1/8 5", "p.txt:2: '10.0.0.1/8' has host bits set"),
        ("192.0.2.0/24 6", "p.txt:2: prefix 192.0.2.0/24 is already given at p.txt:1"),
    ])
    func namesTheBadLine(line: String, message: String) {
        var table = PrefixTable()
        #expect {
            try table.add(file: "192.0.2.0/24 5\n\(line)\n", name: "p.txt")
        } throws: { error in
            "\(error)" == message || "\(error)".hasPrefix(message)
        }
    }

    @Test func nestedPrefixesAreAllowedDuplicatesAreNot() throws {
        var table = PrefixTable()
        try table.add(flag: "10.0.0.0/8=1")
        try table.add(flag: "10.1.0.0/16=2")
        #expect(throws: PrefixTableError(source: "--prefix '10.1.0.0/16=3'",
                                         problem: "prefix 10.1.0.0/16 is already given at --prefix '10.1.0.0/16=2'")) {
            try table.add(flag: "10.1.0.0/16=3")
        }
        #expect(throws: PrefixTableError.self) { try table.add(flag: "10.0.0.0/8") }
    }

    @Test func taggerMetricsFamily() {
        let family = TaggerMetrics.family(["eth1": [.tagged: 5, .noMatch: 2], "eth0": [.areaFull: 1]])
        #expect(family.name == "dropledger_tagger_packets_total")
        #expect(family.type == .counter)
        let lines = family.samples.map { "\($0.labels.map { "\($0.name)=\($0.value)" }.joined(separator: ",")) \($0.value)" }
        #expect(lines == [
            "interface=eth0,result=tagged integer(0)", "interface=eth0,result=no_match integer(0)",
            "interface=eth0,result=not_ip integer(0)", "interface=eth0,result=area_full integer(1)",
            "interface=eth0,result=malformed_area integer(0)",
            "interface=eth1,result=tagged integer(5)", "interface=eth1,result=no_match integer(2)",
            "interface=eth1,result=not_ip integer(0)", "interface=eth1,result=area_full integer(0)",
            "interface=eth1,result=malformed_area integer(0)",
        ])
    }
}
