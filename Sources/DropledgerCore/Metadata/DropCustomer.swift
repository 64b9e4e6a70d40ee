/// Who a dropped packet is attributed to: the `customer` label of the drop metrics.
public enum DropCustomer: Hashable, Sendable {
    /// A customer ID read from the packet's metadata area.
    case id(UInt64)
    /// No metadata area, or no customer entry in it.
    case none
    /// A malformed metadata area, or a customer entry with a bad value length.
    case invalid
    /// Series folded together (e.g. over a cardinality limit); never decoded from a packet.
    case other

    /// The Prometheus label value: the decimal ID, or the case name.
    public var label: String {
        switch self {
        case .id(let value): return String(value)
        case .none: return "none"
        case .invalid: return "invalid"
        case .other: return "other"
        }
    }
}

/// Exposition order: numeric IDs ascending (numerically, so 2 < 10), then
/// `invalid`, `none`, `other` (alphabetical, like the labels themselves).
/// Written out instead of synthesized so reordering the cases cannot change the output.
extension DropCustomer: Comparable {
    private var rank: Int {
        switch self {
        case .id: return 0
        case .invalid: return 1
        case .none: return 2
        case .other: return 3
        }
    }

    public static func < (lhs: DropCustomer, rhs: DropCustomer) -> Bool {
        if case .id(let a) = lhs, case .id(let b) = rhs { return a < b }
        return lhs.rank < rhs.rank
    }
}

extension DropCustomer: CustomStringConvertible {
    public var description: String { label }
}
