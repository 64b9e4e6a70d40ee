import Testing
@testable import DropledgerCore

@Suite struct MetadataTLVTests {
    struct MalformedCase: CustomTestStringConvertible, Sendable {
        var name: String
        var area: [UInt8]
        var error: MalformedMetadata
        var testDescription: String { name }
    }

    /// Every malformed shape docs/metadata-tlv.md names, with the check that must fail.
    static let malformedCases: [MalformedCase] = [
        MalformedCase(name: "TL too large (1 + TL > M)", area: hex("04 01 01 07"),
                      error: .totalLengthTooLarge(totalLength: 4, areaLength: 4)),
        MalformedCase(name: "TL = 255 in a small area", area: hex("ff 00 00 00"),
                      error: .totalLengthTooLarge(totalLength: 255, areaLength: 4)),
        MalformedCase(name: "truncated header: one byte left", area: hex("01 .. .. 07"),
                      error: .truncatedEntryHeader(offset: 3, areaLength: 4)),
        MalformedCase(name: "L > 16", area: hex("13 07 11") + [UInt8](repeating: 0, count: 17),
                      error: .valueTooLong(offset: 1, valueLength: 17)),
        MalformedCase(name: "L = 255", area: hex("03 07 ff 00"),
                      error: .valueTooLong(offset: 1, valueLength: 255)),
        MalformedCase(name: "value overruns area", area: hex("03 07 03 2a"),
                      error: .valueOverrunsArea(offset: 1, valueLength: 3, areaLength: 4)),
        // Entries (07 00) then one stray byte: the walk cannot end exactly at M.
        MalformedCase(name: "walk does not end exactly at M", area: hex("03 07 00 2a"),
                      error: .truncatedEntryHeader(offset: 3, areaLength: 4)),
        MalformedCase(name: "second entry overruns", area: hex("07 01 01 05 02 03 0a 0b"),
                      error: .valueOverrunsArea(offset: 4, valueLength: 3, areaLength: 8)),
        MalformedCase(name: "M > 252", area: [0] + [UInt8](repeating: 0, count: 255),
                      error: .areaTooLong(length: 256)),
    ]

    @Test(arguments: malformedCases)
    func malformedAreasNameTheFailedCheck(_ c: MalformedCase) {
        #expect(throws: c.error) { try MetadataTLV.entries(c.area) }
        #expect(MetadataTLV.customer(in: c.area) == .invalid)
        // Even when the malformed part holds the wanted type.
        #expect(MetadataTLV.customer(in: c.area, customerType: 7) == .invalid)
    }

    @Test func malformedDescriptionsSayWhatIsWrong() {
        #expect(MalformedMetadata.valueTooLong(offset: 1, valueLength: 17).description
                == "entry at offset 1 has value length 17, more than the maximum of 16")
        #expect(MalformedMetadata.totalLengthTooLarge(totalLength: 4, areaLength: 4).description
                == "total length byte says 4 entry bytes, but a 4-byte area holds at most 3")
    }

    struct CustomerCase: CustomTestStringConvertible, Sendable {
        var name: String
        var area: [UInt8]
        var customer: DropCustomer
        var testDescription: String { name }
    }

    static let customerCases: [CustomerCase] = [
        CustomerCase(name: "M = 0", area: [], customer: .none),
        CustomerCase(name: "TL = 0", area: hex("00 .. .. .."), customer: .none),
        CustomerCase(name: "wrong type only", area: hex("05 .. .. 0b 00 07 01 2a"), customer: .none),
        CustomerCase(name: "4-byte ID", area: hex("06 .. .. .. .. .. 01 04 00 00 10 e1"), customer: .id(4321)),
        CustomerCase(name: "1-byte ID", area: hex("03 01 01 2a"), customer: .id(42)),
        CustomerCase(name: "8-byte max ID", area: hex("0a .. .. .. .. .. 01 08 ff ff ff ff ff ff ff ff"),
                     customer: .id(UInt64.max)),
        CustomerCase(name: "customer not newest", area: hex("07 07 01 2a 01 02 01 00"), customer: .id(256)),
        CustomerCase(name: "repeated customer: newest wins", area: hex("07 01 01 05 01 02 00 09"), customer: .id(5)),
        CustomerCase(name: "customer L = 0 (flag)", area: hex("05 .. .. 01 00 07 01 2a"), customer: .invalid),
        CustomerCase(name: "customer found, later entry malformed", area: hex("07 01 01 05 02 01 0a 0b"), customer: .invalid),
        CustomerCase(name: "shadowed older customer entry is not interpreted", area: hex("07 01 01 05 01 00 07 00"),
                     customer: .id(5)),
    ]

    @Test(arguments: customerCases)
    func customerClassification(_ c: CustomerCase) {
        #expect(MetadataTLV.customer(in: c.area) == c.customer)
    }

    @Test(arguments: 9 ... 16)
    func customerValueLongerThan8IsInvalid(length: Int) throws {
        var area = MetadataAreaWriter()
        try area.push(type: 1, value: [UInt8](repeating: 1, count: length))
        #expect(try MetadataTLV.entries(area.bytes).count == 1)  // structurally fine
        #expect(MetadataTLV.customer(in: area.bytes) == .invalid)
    }

    @Test(arguments: 1 ... 8)
    func customerValueOf1To8BytesIsBigEndian(length: Int) throws {
        var area = MetadataAreaWriter()
        let value = (0 ..< length).map { UInt8(0x11 * ($0 + 1)) }
        try area.push(type: 1, value: value)
        let expected = value.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(MetadataTLV.customer(in: area.bytes) == .id(expected))
    }

    @Test func configurableCustomerType() throws {
        var area = MetadataAreaWriter()
        try area.push(type: 1, value: [1])
        try area.push(type: 200, value: [2])
        #expect(MetadataTLV.customer(in: area.bytes, customerType: 200) == .id(2))
        #expect(MetadataTLV.customer(in: area.bytes, customerType: 1) == .id(1))
        #expect(MetadataTLV.customer(in: area.bytes, customerType: 3) == .none)
    }

    @Test func areaOf252IsAccepted() throws {
        var area = [UInt8](repeating: 0, count: 252)
        area[0] = 2
        area[250] = 1; area[251] = 0  // a flag with the customer type: L = 0
        #expect(MetadataTLV.customer(in: area) == .invalid)
        area[0] = 0
        #expect(MetadataTLV.customer(in: area) == .none)
    }

    @Test func mNotMultipleOfFourIsNotChecked() {
        // The kernel guarantees M % 4 == 0; the BPF reader does not check it, nor do we.
        #expect(MetadataTLV.customer(in: hex("03 .. 01 01 2a")) == .id(42))
        #expect(MetadataTLV.customer(in: hex("00")) == .none)
        // TL = 3 starts the walk at 3: (2a, L=0), then one byte left for a header.
        #expect(MetadataTLV.customer(in: hex("03 01 01 2a 00 00")) == .invalid)
    }

    @Test func entriesAcceptsAnyCollection() throws {
        let area: ArraySlice<UInt8> = hex("ff 03 07 01 2a")[1...]
        #expect(try MetadataTLV.entries(area) == [MetadataEntry(type: 7, value: [42])])
    }

    @Test func labels() {
        #expect(DropCustomer.id(4321).label == "4321")
        #expect(DropCustomer.id(UInt64.max).label == "18446744073709551615")
        #expect(DropCustomer.none.label == "none")
        #expect(DropCustomer.invalid.label == "invalid")
        #expect(DropCustomer.other.label == "other")
    }

    @Test func customerOrder() {
        let shuffled: [DropCustomer] = [.other, .id(10), .none, .invalid, .id(2), .id(UInt64.max)]
        #expect(shuffled.sorted() == [.id(2), .id(10), .id(UInt64.max), .invalid, .none, .other])
    }
}
