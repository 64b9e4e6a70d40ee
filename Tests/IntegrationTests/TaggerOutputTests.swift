import DropledgerCore
import Testing

/// The tagger's output bytes, from BPF_PROG_TEST_RUN on the real kernel, against
/// what `MetadataAreaWriter` (the spec's writer) makes of the same input: the
/// metadata area must match byte for byte, and the frame must come out unchanged.
@Suite(.serialized, .needsTagger, .enabled(if: Privilege.kernelTestsEnabled, "needs root (set DROPLEDGER_SKIP_ROOT_TESTS=1 to skip)"))
struct TaggerOutputTests {
    static let xdpPass: UInt32 = 2
    static let customer: UInt64 = 4242
    static let prefixes = ["192.0.2.0/24=4242", "192.0.2.128/25=77", "2001:db8::/32=4242", "2001:db8:1::/48=18446744073709551615"]
    static let v4Frame = TaggerFrames.ipv4(source: [10, 0, 0, 2], destination: [192, 0, 2, 7])

    /// The area MetadataAreaWriter makes by pushing `customer` onto `area`. A new area
    /// starts with the tagger's seal: a guard, then a check entry (TaggerSeal, bpf/tagger.bpf.c).
    static func expected(_ area: [UInt8], customer: UInt64 = customer, type: UInt8 = 1) throws -> [UInt8] {
        if area.isEmpty { return TaggerSeal.area(customer: customer, customerType: type) }
        var writer = try MetadataAreaWriter(area: area)
        try writer.push(type: type, value: MetadataTLV.customerValue(customer))
        return writer.bytes
    }

    static func counts(_ result: String, _ value: UInt64 = 1) -> [String: UInt64] {
        var counts = ["tagged": 0, "no_match": 0, "not_ip": 0, "area_full": 0, "malformed_area": 0] as [String: UInt64]
        counts[result] = value
        return counts
    }

    @Test(arguments: [
        ("IPv4", TaggerFrames.ipv4(source: [10, 0, 0, 2], destination: [192, 0, 2, 7]), UInt64(4242)),
        ("IPv4, longest prefix wins", TaggerFrames.ipv4(source: [10, 0, 0, 2], destination: [192, 0, 2, 200]), 77),
        ("IPv6", TaggerFrames.ipv6(source: [0xfd] + Array(repeating: 0, count: 14) + [2],
                                   destination: [0x20, 0x01, 0x0d, 0xb8, 0, 2] + Array(repeating: 0, count: 9) + [1]), 4242),
        ("IPv6, 8-byte customer", TaggerFrames.ipv6(source: [0xfd] + Array(repeating: 0, count: 15),
                                   destination: [0x20, 0x01, 0x0d, 0xb8, 0, 1] + Array(repeating: 0, count: 10)), UInt64.max),
        ("802.1Q", TaggerFrames.ipv4(source: [10, 0, 0, 2], destination: [192, 0, 2, 7], tags: [0x8100]), 4242),
        ("QinQ (802.1ad + 802.1Q)", TaggerFrames.ipv4(source: [10, 0, 0, 2], destination: [192, 0, 2, 7], tags: [0x88a8, 0x8100]), 4242),
        ("802.1Q over IPv6", TaggerFrames.ipv6(source: [0xfd] + Array(repeating: 0, count: 15),
                                               destination: [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 12), tags: [0x8100]), 4242),
    ] as [(String, [UInt8], UInt64)])
    func tagsAPacketWithoutArea(name: String, frame: [UInt8], customer: UInt64) throws {
        let result = try TaggerRunResult.run(frame: frame, prefixes: Self.prefixes)
        #expect(result.action == Self.xdpPass)
        #expect(result.meta == (try Self.expected([], customer: customer)), "\(name)")
        #expect(result.frame == frame, "the packet itself is never changed")
        #expect(result.counts == Self.counts("tagged"))
    }

    @Test(arguments: [
        ("fits in free space", hex("05 00 00 00 00 00 00 0b 00 07 01 2a")),
        ("grows the area", hex("03 07 01 2a")),
        ("grows over several entries", hex("09 00 00 13 02 ca fe 0b 00 07 01 2a")),
        ("older customer entry stays", hex("04 00 00 00 01 02 01 00")),
    ])
    func pushesOnTopOfExistingEntries(name: String, area: [UInt8]) throws {
        let result = try TaggerRunResult.run(frame: Self.v4Frame, meta: area, prefixes: Self.prefixes)
        #expect(result.action == Self.xdpPass)
        #expect(result.meta == (try Self.expected(area)), "\(name)")
        #expect(Array(result.meta.suffix(Int(area[0]))) == Array(area.suffix(Int(area[0]))),
                "existing entries stay where they are, untouched")
        #expect(MetadataTLV.customer(in: result.meta) == .id(Self.customer))
        #expect(result.frame == Self.v4Frame)
        #expect(result.counts == Self.counts("tagged"))
    }

    @Test func repeatedPushesStackUp() throws {
        var expected: [UInt8] = []
        for _ in 0..<5 { expected = try Self.expected(expected) }
        let result = try TaggerRunResult.run(frame: Self.v4Frame, prefixes: Self.prefixes, extra: ["--runs", "5"])
        #expect(result.meta == expected)
        #expect(try MetadataTLV.entries(result.meta).count == 5 + 2, "five customer entries on the seal (check and guard)")
        #expect(result.counts == Self.counts("tagged", 5))
    }

    @Test func customTLVTypeAndSourceMatch() throws {
        let frame = TaggerFrames.ipv4(source: [192, 0, 2, 9], destination: [10, 0, 0, 1])
        let result = try TaggerRunResult.run(frame: frame, prefixes: Self.prefixes,
                                             extra: ["--match", "source", "--customer-tlv-type", "42"])
        #expect(result.meta == (try Self.expected([], type: 42)))
        #expect(result.counts == Self.counts("tagged"))
    }

    /// Flags pushed until one more customer entry would make the area longer than `limit`.
    static func areaOneEntryShortOf(_ limit: Int) throws -> [UInt8] {
        var writer = MetadataAreaWriter()
        while true {
            var trial = writer
            try trial.push(type: 9)
            var withCustomer = trial
            try? withCustomer.push(type: 1, value: MetadataTLV.customerValue(customer))
            writer = trial
            if withCustomer.bytes.count > limit || withCustomer == trial { return writer.bytes }
        }
    }

    /// BPF_PROG_TEST_RUN gives a frame 256 bytes of headroom of which the kernel's
    /// struct xdp_frame keeps 40: an input area is at most 216 bytes and cannot grow
    /// past that. This is the "bpf_xdp_adjust_meta refused" path (also what 6.1's
    /// 32-byte cap hits); the 252-byte check itself cannot be reached in a test run.
    @Test func fullAreaPassesUntouched() throws {
        let area = try Self.areaOneEntryShortOf(216)
        #expect(area.count <= 216)
        #expect(try Self.expected(area).count > 216)
        let result = try TaggerRunResult.run(frame: Self.v4Frame, meta: area, prefixes: Self.prefixes)
        #expect(result.action == Self.xdpPass)
        #expect(result.meta == area, "byte for byte as it came in")
        #expect(result.frame == Self.v4Frame)
        #expect(result.counts == Self.counts("area_full"))
    }

    /// And with room to grow, the same area takes the entry exactly as the writer does.
    @Test func nearlyFullAreaGrowsToTheLimit() throws {
        let area = try Self.areaOneEntryShortOf(216)
        var smaller = try MetadataAreaWriter(area: area)
        while (1 + smaller.totalLength + 3) & ~3 > 212, smaller.pop() != nil {}
        // Drop the freed words in front so the area is shorter (entries stay at the end).
        let tl = smaller.totalLength
        var trimmed = Array(smaller.bytes.suffix(tl))
        let length = (1 + tl + 3) & ~3
        trimmed = [UInt8(tl)] + Array(repeating: 0, count: length - 1 - tl) + trimmed
        let result = try TaggerRunResult.run(frame: Self.v4Frame, meta: trimmed, prefixes: Self.prefixes)
        #expect(result.meta == (try Self.expected(trimmed)))
        #expect(result.meta.count == 216, "grown right up to what the test run's headroom allows")
        #expect(result.counts == Self.counts("tagged"))
    }

    @Test(arguments: [
        ("TL beyond the area", hex("ff 00 00 00")),
        ("TL fills the area", hex("04 01 02 10")),
    ])
    func malformedAreaPassesUntouched(name: String, area: [UInt8]) throws {
        let result = try TaggerRunResult.run(frame: Self.v4Frame, meta: area, prefixes: Self.prefixes)
        #expect(result.action == Self.xdpPass)
        #expect(result.meta == area, "\(name)")
        #expect(result.counts == Self.counts("malformed_area"))
    }

    @Test func nonIPAndUnmatchedPassUntagged() throws {
        let arp = try TaggerRunResult.run(frame: TaggerFrames.arp(), prefixes: Self.prefixes)
        #expect(arp.meta.isEmpty && arp.frame == TaggerFrames.arp() && arp.action == Self.xdpPass)
        #expect(arp.counts == Self.counts("not_ip"))

        let truncated = Array(Self.v4Frame.prefix(14 + 10))
        let short = try TaggerRunResult.run(frame: truncated, prefixes: Self.prefixes)
        #expect(short.meta.isEmpty && short.counts == Self.counts("not_ip"))

        let area = hex("03 07 01 2a")
        let other = TaggerFrames.ipv4(source: [10, 0, 0, 2], destination: [198, 51, 100, 1])
        let unmatched = try TaggerRunResult.run(frame: other, meta: area, prefixes: Self.prefixes)
        #expect(unmatched.meta == area && unmatched.frame == other)
        #expect(unmatched.counts == Self.counts("no_match"))
    }
}

/// Bytes from the spec's notation: hex pairs separated by spaces.
private func hex(_ text: String) -> [UInt8] {
    text.split(separator: " ").map { UInt8($0, radix: 16)! }
}
