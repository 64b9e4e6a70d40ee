/// Reader of the metadata TLV area (docs/metadata-tlv.md, v1).
///
/// The area is `[TL][free space][newest entry]...[oldest entry]`; entries are
/// `[T][L][V: L bytes]`. Every reader walks the whole area, so a malformed byte
/// anywhere makes the area malformed, whatever was found before it.
public enum MetadataTLV {
    /// The kernel's limit on the metadata area (a multiple of 4, at most 252).
    public static let maximumAreaLength = 252
    /// The longest value an entry may carry.
    public static let maximumValueLength = 16
    /// The customer entry's type unless configured otherwise.
    public static let defaultCustomerType: UInt8 = 1
    /// A customer value is a big-endian unsigned integer of 1 to 8 bytes.
    public static let customerValueLengths: ClosedRange<Int> = 1...8

    /// All entries, newest first, or the first check that failed.
    /// M is not checked for being a multiple of 4: the kernel guarantees it and the BPF reader does not check it.
    public static func entries(_ bytes: some Collection<UInt8>) throws(MalformedMetadata) -> [MetadataEntry] {
        let area = Array(bytes)
        var result: [MetadataEntry] = []
        // withUnsafeBytes only rethrows untyped errors, so the typed error travels in a Result.
        let outcome = area.withUnsafeBytes { buffer in
            Result { () throws(MalformedMetadata) in
                try walk(buffer) { type, offset, length in
                    result.append(MetadataEntry(type: type, value: Array(area[offset ..< offset + length])))
                }
            }
        }
        try outcome.get()
        return result
    }

    /// Checks the whole area; throws the first failed check.
    public static func validate(_ area: UnsafeRawBufferPointer) throws(MalformedMetadata) {
        try walk(area) { _, _, _ in }
    }

    /// Checks the whole area; throws the first failed check.
    public static func validate(_ area: [UInt8]) throws(MalformedMetadata) {
        try area.withUnsafeBytes { buffer in Result { () throws(MalformedMetadata) in try validate(buffer) } }.get()
    }

    /// The customer a packet's metadata area names. Does not allocate: this runs once per drop event.
    ///
    /// Only the newest customer entry is interpreted (older ones are shadowed and only
    /// walked for structure); its length must be 1...8, else the area is `invalid`.
    public static func customer(in area: UnsafeRawBufferPointer, customerType: UInt8 = defaultCustomerType) -> DropCustomer {
        if area.isEmpty { return .none }
        var valueOffset = -1
        var valueLength = 0
        do {
            try walk(area) { type, offset, length in
                if type == customerType && valueOffset < 0 {
                    valueOffset = offset
                    valueLength = length
                }
            }
        } catch {
            return .invalid
        }
        if valueOffset < 0 { return .none }
        guard customerValueLengths.contains(valueLength) else { return .invalid }
        var id: UInt64 = 0
        for i in valueOffset ..< valueOffset + valueLength {
            id = id << 8 | UInt64(area[i])
        }
        return .id(id)
    }

    /// Convenience for tests and callers holding an array.
    public static func customer(in area: [UInt8], customerType: UInt8 = defaultCustomerType) -> DropCustomer {
        area.withUnsafeBytes { customer(in: $0, customerType: customerType) }
    }

    /// The spec's parsing loop; `visit` gets (T, offset of V, L) for each entry, newest first.
    @inline(__always)
    static func walk(
        _ area: UnsafeRawBufferPointer,
        visit: (UInt8, Int, Int) -> Void
    ) throws(MalformedMetadata) {
        let m = area.count
        if m == 0 { return }
        // Defensive: the kernel never hands over more, and the BPF reader rejects it too.
        guard m <= maximumAreaLength else { throw .areaTooLong(length: m) }
        let totalLength = Int(area[0])
        guard 1 + totalLength <= m else { throw .totalLengthTooLarge(totalLength: totalLength, areaLength: m) }
        var p = m - totalLength
        while p < m {
            guard p + 2 <= m else { throw .truncatedEntryHeader(offset: p, areaLength: m) }
            let type = area[p]
            let length = Int(area[p + 1])
            guard length <= maximumValueLength else { throw .valueTooLong(offset: p, valueLength: length) }
            guard p + 2 + length <= m else { throw .valueOverrunsArea(offset: p, valueLength: length, areaLength: m) }
            visit(type, p + 2, length)
            p += 2 + length
        }
        // The checks above make the walk end exactly at p == m when it ends at all.
    }
}
