import Testing
@testable import DropledgerCore

@Suite struct TaggerSealTests {
    /// The check is fixed: bpf/metadata_parse.h (dl_check) computes the same numbers,
    /// and an area the tagger sealed must read as sealed on every kernel.
    @Test(arguments: [(UInt64(4242), UInt32(0xb33f_03bf)), (1, 0x9e37_79b9), (.max, 0x61c8_8646)])
    func checkOfKnownIDs(id: UInt64, check: UInt32) {
        #expect(TaggerSeal.check(id) == check)
    }

    /// The tagger's whole area, byte for byte: what pushing the guard, the check and the
    /// customer entry gives (metadata-tlv.md), M = round_up(9 + n, 4).
    @Test func areaIsThreePushes() throws {
        #expect(TaggerSeal.area(customer: 4242) == hex("0c .. .. .. 01 02 10 92 00 04 b3 3f 03 bf 00 00"))
        #expect(TaggerSeal.area(customer: 1).count == 12)
        #expect(TaggerSeal.area(customer: .max).count == 20)
        #expect(TaggerSeal.area(customer: 1 << 32, customerType: 42).count == 16)
        for id: UInt64 in [1, 255, 256, 1 << 24, 1 << 40, .max] {
            #expect(MetadataTLV.customer(in: TaggerSeal.area(customer: id)) == .id(id))
            #expect(TaggerSeal.verdict(of: TaggerSeal.area(customer: id), customer: id) == .intact)
        }
    }

    @Test func brokenAndAbsentSeals() throws {
        var sealed = TaggerSeal.area(customer: 4242)
        #expect(TaggerSeal.verdict(of: sealed, customer: 4243) == .broken)
        sealed[sealed.count - 3] ^= 1   // a check byte
        #expect(TaggerSeal.verdict(of: sealed, customer: 4242) == .broken)
        var plain = MetadataAreaWriter()
        try plain.push(type: 1, value: [0x10, 0x92])
        #expect(TaggerSeal.verdict(of: plain.bytes, customer: 4242) == .absent)
        var guardOnly = MetadataAreaWriter()
        try guardOnly.push(type: 0)
        try guardOnly.push(type: 1, value: [0x10, 0x92])
        #expect(TaggerSeal.verdict(of: guardOnly.bytes, customer: 4242) == .absent)
    }
}
