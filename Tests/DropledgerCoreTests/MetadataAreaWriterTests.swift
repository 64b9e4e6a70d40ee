import Testing
@testable import DropledgerCore

@Suite struct MetadataAreaWriterTests {
    /// The worked example of docs/metadata-tlv.md, step by step, byte for byte.
    @Test func workedExample() throws {
        var area = MetadataAreaWriter()
        try area.push(type: 7, value: [42])
        #expect(area.bytes == hex("03 07 01 2a"))
        try area.push(type: 11)
        #expect(area.bytes == hex("05 .. .. 0b 00 07 01 2a"))
        try area.push(type: 19, value: [0xca, 0xfe])
        #expect(area.bytes == hex("09 .. .. 13 02 ca fe 0b 00 07 01 2a"))

        #expect(try MetadataTLV.entries(area.bytes) == [
            MetadataEntry(type: 19, value: [0xca, 0xfe]),
            MetadataEntry(type: 11),
            MetadataEntry(type: 7, value: [42]),
        ])

        #expect(area.pop() == MetadataEntry(type: 19, value: [0xca, 0xfe]))
        #expect(area.bytes == hex("05 .. .. .. .. .. .. 0b 00 07 01 2a"))
    }

    @Test func pushFitsInFreeSpaceWithoutGrowing() throws {
        var area = try MetadataAreaWriter(area: hex("05 .. .. .. .. .. .. 0b 00 07 01 2a"))
        try area.push(type: 1, value: [1, 2, 3, 4])
        #expect(area.bytes == hex("0b 01 04 01 02 03 04 0b 00 07 01 2a"))
    }

    @Test func growthRoundsToFour() throws {
        var area = MetadataAreaWriter()
        try area.push(type: 1, value: Array(repeating: 0xaa, count: 16))  // 1 + 18 → 20
        #expect(area.bytes.count == 20)
        #expect(area.totalLength == 18)
        try area.push(type: 2, value: [1])  // needs 3, free 1 → grow 4
        #expect(area.bytes.count == 24)
        #expect(area.totalLength == 21)
        #expect(try MetadataTLV.entries(area.bytes).map(\.type) == [2, 1])
    }

    @Test func pushBeyond252FailsAndLeavesAreaUnchanged() throws {
        var area = MetadataAreaWriter()
        // 13 entries of 18 bytes = 234 entry bytes; area 1 + 234 → 236.
        for _ in 0 ..< 13 { try area.push(type: 5, value: Array(repeating: 1, count: 16)) }
        #expect(area.bytes.count == 236)
        let before = area
        #expect(throws: MetadataAreaWriter.PushError.areaWouldExceedMaximum(requiredLength: 256)) {
            try area.push(type: 6, value: Array(repeating: 2, count: 16))
        }
        #expect(area == before)
        // A small one still fits: free 1, need 2 → 240.
        try area.push(type: 6)
        #expect(area.bytes.count == 240)
    }

    @Test func valueLongerThan16IsRefused() {
        var area = MetadataAreaWriter()
        #expect(throws: MetadataAreaWriter.PushError.valueTooLong(length: 17)) {
            try area.push(type: 1, value: Array(repeating: 0, count: 17))
        }
        #expect(area.bytes.isEmpty)
    }

    @Test func popOnEmptyAreaReturnsNil() throws {
        var area = MetadataAreaWriter()
        #expect(area.pop() == nil)
        try area.push(type: 3)
        #expect(area.pop() == MetadataEntry(type: 3))
        #expect(area.pop() == nil)
        #expect(area.bytes == hex("00 .. .. .."))
    }

    @Test func startingFromMalformedAreaFails() {
        #expect(throws: MalformedMetadata.self) { try MetadataAreaWriter(area: hex("09 00 00 00")) }
    }

    static let customerValues: [(UInt64, [UInt8])] = [
        (0, [0]),
        (1, [1]),
        (4321, [0x10, 0xe1]),
        (0x1_0000, [1, 0, 0]),
        (UInt64.max, [UInt8](repeating: 0xff, count: 8)),
    ]

    @Test(arguments: customerValues)
    func customerValueIsMinimalBigEndian(id: UInt64, bytes: [UInt8]) {
        #expect(MetadataTLV.customerValue(id) == bytes)
    }
}
