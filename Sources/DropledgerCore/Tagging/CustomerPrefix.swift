/// One mapping of the tagger: packets whose address falls in `prefix` belong to `customer`.
public struct CustomerPrefix: Hashable, Sendable {
    public let prefix: IPPrefix
    public let customer: UInt64

    public init(prefix: IPPrefix, customer: UInt64) {
        self.prefix = prefix
        self.customer = customer
    }

    /// Customer IDs the tagger accepts. 0 is reserved, so that a zeroed value can
    /// never pass for a customer; the largest is what 8 value bytes hold.
    public static let customerRange: ClosedRange<UInt64> = 1...UInt64.max

    /// The customer entry's value: minimal big-endian bytes, as the reader decodes them.
    public var value: [UInt8] { MetadataTLV.customerValue(customer) }
}
