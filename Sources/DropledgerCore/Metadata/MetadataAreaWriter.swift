/// Builds metadata areas the way the XDP tagger does ("Pushing and popping" in
/// docs/metadata-tlv.md), for tests and the injector. Free space is written as 0
/// so areas are byte-for-byte reproducible.
public struct MetadataAreaWriter: Hashable, Sendable {
    /// The area from `data_meta` up to the packet; `bytes.count` is M.
    public private(set) var bytes: [UInt8]

    /// Why a push was refused; the area is unchanged.
    public enum PushError: Error, Hashable, Sendable, CustomStringConvertible {
        case valueTooLong(length: Int)
        case areaWouldExceedMaximum(requiredLength: Int)

        public var description: String {
            switch self {
            case .valueTooLong(let length):
                return "metadata value of \(length) bytes is longer than the maximum of \(MetadataTLV.maximumValueLength)"
            case .areaWouldExceedMaximum(let requiredLength):
                return "metadata area would grow to \(requiredLength) bytes, more than the maximum of \(MetadataTLV.maximumAreaLength)"
            }
        }
    }

    /// A packet without a metadata area (M = 0).
    public init() {
        bytes = []
    }

    /// Continues from an existing area, which must be well-formed.
    public init(area: [UInt8]) throws(MalformedMetadata) {
        try MetadataTLV.validate(area)
        bytes = area
    }

    /// Bytes the entries occupy (the TL byte); 0 when there is no area.
    public var totalLength: Int { bytes.isEmpty ? 0 : Int(bytes[0]) }

    /// Pushes an entry as the newest, growing the area by a multiple of 4 if needed.
    public mutating func push(type: UInt8, value: [UInt8] = []) throws(PushError) {
        guard value.count <= MetadataTLV.maximumValueLength else { throw .valueTooLong(length: value.count) }
        let n = 2 + value.count
        let newLength: Int
        if bytes.isEmpty {
            newLength = Self.roundUpToFour(1 + n)
        } else {
            let free = bytes.count - 1 - totalLength
            newLength = free < n ? bytes.count + Self.roundUpToFour(n - free) : bytes.count
        }
        guard newLength <= MetadataTLV.maximumAreaLength else { throw .areaWouldExceedMaximum(requiredLength: newLength) }

        let oldTotalLength = totalLength
        if newLength > bytes.count {
            // Like bpf_xdp_adjust_meta(-g): entries stay put, new space opens in front.
            bytes.insert(contentsOf: repeatElement(0, count: newLength - bytes.count), at: 0)
        }
        let entryOffset = newLength - oldTotalLength - n
        // Clear the free space (including a TL byte left behind by growth) so output is deterministic.
        for i in 1 ..< entryOffset { bytes[i] = 0 }
        bytes[entryOffset] = type
        bytes[entryOffset + 1] = UInt8(value.count)
        for (i, byte) in value.enumerated() { bytes[entryOffset + 2 + i] = byte }
        bytes[0] = UInt8(oldTotalLength + n)
    }

    /// Removes and returns the newest entry; the area keeps its length. `nil` if there are no entries.
    @discardableResult
    public mutating func pop() -> MetadataEntry? {
        let tl = totalLength
        guard tl > 0 else { return nil }
        let m = bytes.count
        let p = m - tl
        let length = Int(bytes[p + 1])
        let entry = MetadataEntry(type: bytes[p], value: Array(bytes[p + 2 ..< p + 2 + length]))
        for i in p ..< p + 2 + length { bytes[i] = 0 }
        bytes[0] = UInt8(tl - 2 - length)
        return entry
    }

    private static func roundUpToFour(_ n: Int) -> Int { (n + 3) & ~3 }
}

extension MetadataTLV {
    /// Big-endian bytes of a customer ID, without leading zero bytes (at least one byte).
    public static func customerValue(_ id: UInt64) -> [UInt8] {
        let byteCount = max(1, (64 - id.leadingZeroBitCount + 7) / 8)
        return (0 ..< byteCount).reversed().map { UInt8(truncatingIfNeeded: id >> (8 * UInt64($0))) }
    }
}
