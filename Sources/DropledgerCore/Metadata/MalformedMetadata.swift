/// Why a metadata area is malformed: the check of docs/metadata-tlv.md that failed.
/// Offsets are from the start of the area (the TL byte).
public enum MalformedMetadata: Error, Hashable, Sendable {
    /// The area is longer than the kernel's 252-byte maximum.
    case areaTooLong(length: Int)
    /// `1 + TL > M`: the TL byte claims more entry bytes than the area holds.
    case totalLengthTooLarge(totalLength: Int, areaLength: Int)
    /// `p + 2 > M`: fewer than two bytes left for an entry's T and L.
    case truncatedEntryHeader(offset: Int, areaLength: Int)
    /// `L > 16` in the entry at `offset`.
    case valueTooLong(offset: Int, valueLength: Int)
    /// `p + 2 + L > M`: the entry at `offset` runs past the end of the area.
    case valueOverrunsArea(offset: Int, valueLength: Int, areaLength: Int)
}

extension MalformedMetadata: CustomStringConvertible {
    public var description: String {
        switch self {
        case .areaTooLong(let length):
            return "metadata area is \(length) bytes, longer than the maximum of \(MetadataTLV.maximumAreaLength)"
        case .totalLengthTooLarge(let totalLength, let areaLength):
            return "total length byte says \(totalLength) entry bytes, but a \(areaLength)-byte area holds at most \(areaLength - 1)"
        case .truncatedEntryHeader(let offset, let areaLength):
            return "entry header at offset \(offset) is truncated: needs 2 bytes, the \(areaLength)-byte area has \(areaLength - offset) left"
        case .valueTooLong(let offset, let valueLength):
            return "entry at offset \(offset) has value length \(valueLength), more than the maximum of \(MetadataTLV.maximumValueLength)"
        case .valueOverrunsArea(let offset, let valueLength, let areaLength):
            return "entry at offset \(offset) with value length \(valueLength) ends at \(offset + 2 + valueLength), past the end of the \(areaLength)-byte area"
        }
    }
}
