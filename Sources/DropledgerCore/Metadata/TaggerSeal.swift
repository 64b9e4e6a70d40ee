/// The two entries dropledger's tagger writes under the customer entry of every new
/// area, as its oldest entries (bpf/tagger.bpf.c, read in bpf/metadata_read.h):
///
/// ```
/// … [customer: T L ID] [check: 00 04 C C C C] [guard: 00 00] | packet
/// ```
///
/// * The guard, a flag of type 0, takes the two bytes a forwarding host writes as zeros
///   (`neigh_hh_output`), so they were zero already.
/// * The check, type 0 with a 4-byte value derived from the customer ID, lets the reader
///   trust the area without asking how the skb got there: bytes a TC program shifted or
///   a MAC header overwrote do not walk as a valid area ending in these 8 bytes with the
///   check of the ID they hold.
///
/// Both are ordinary entries of metadata-tlv.md: the bytes equal pushing the guard, the
/// check, then the customer entry. Type 0 is therefore never a customer type.
public enum TaggerSeal {
    /// The type of the guard and the check.
    public static let entryType: UInt8 = 0
    /// The check entry's value length.
    public static let checkLength = 4

    /// The check of a customer ID: the high 32 bits of a Fibonacci hash, so that every
    /// byte of the ID moves it. Must equal dl_check() in bpf/metadata_read.h.
    public static func check(_ id: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: (id &* 0x9E37_79B9_7F4A_7C15) >> 32)
    }

    /// The check as the entry's big-endian value.
    public static func checkBytes(_ id: UInt64) -> [UInt8] {
        let c = check(id)
        return [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: c >> $0) }
    }

    /// The area the tagger makes for a packet that had none.
    public static func area(customer id: UInt64, customerType: UInt8 = MetadataTLV.defaultCustomerType) -> [UInt8] {
        var writer = MetadataAreaWriter()
        // Within the format's limits by construction (20 bytes at most), so these cannot throw.
        try! writer.push(type: entryType)
        try! writer.push(type: entryType, value: checkBytes(id))
        try! writer.push(type: customerType, value: MetadataTLV.customerValue(id))
        return writer.bytes
    }

    /// What the seal says about an area whose customer entry names `id`.
    public enum Verdict: Hashable, Sendable {
        /// No seal: another tagger's area, or one pushed onto an existing area.
        case absent
        /// The seal holds for this ID.
        case intact
        /// A check entry whose value is not this ID's: the bytes were changed.
        case broken
    }

    /// Reads the seal of a well-formed area, the way the kfree_skb program does.
    public static func verdict(of area: [UInt8], customer id: UInt64) -> Verdict {
        guard let entries = try? MetadataTLV.entries(area), entries.count >= 2 else { return .absent }
        let guardEntry = entries[entries.count - 1], checkEntry = entries[entries.count - 2]
        guard guardEntry.type == entryType, guardEntry.value.isEmpty,
              checkEntry.type == entryType, checkEntry.value.count == checkLength else { return .absent }
        return checkEntry.value == checkBytes(id) ? .intact : .broken
    }
}
