import CDropledgerABI

/// Who a dropped packet is attributed to: the `customer` label of the drop metrics.
public enum DropCustomer: Hashable, Sendable {
    /// A customer ID read from the packet's metadata area.
    case id(UInt64)
    /// No metadata area, or no customer entry in it.
    case none
    /// A malformed metadata area, or a customer entry with a bad value length.
    case invalid
    /// Customers summed together (over `--max-customers`, or to bound memory); never decoded from a packet.
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

/// The encoding every layer uses for a customer's kind: `enum dl_status` of
/// bpf/dropledger.h, which the BPF program writes into events and fallback keys, the
/// `folded` map and the consumer's tables store, and this type decodes.
extension DropCustomer {
    public static let customerStatus = UInt8(DL_STATUS_CUSTOMER.rawValue)
    public static let noneStatus = UInt8(DL_STATUS_NONE.rawValue)
    public static let invalidStatus = UInt8(DL_STATUS_INVALID.rawValue)
    public static let otherStatus = UInt8(DL_STATUS_OTHER.rawValue)

    /// Decodes `status` (and `id`, read only with `DL_STATUS_CUSTOMER`); nil for a value
    /// no layer writes.
    @inlinable
    public init?(status: UInt8, id: UInt64) {
        switch status {
        case Self.customerStatus: self = .id(id)
        case Self.noneStatus: self = .none
        case Self.invalidStatus: self = .invalid
        case Self.otherStatus: self = .other
        default: return nil
        }
    }

    /// `enum dl_status`, and the ID (0 for the kinds without one).
    @inlinable
    public var encoded: (status: UInt8, id: UInt64) {
        switch self {
        case .id(let id): (Self.customerStatus, id)
        case .none: (Self.noneStatus, 0)
        case .invalid: (Self.invalidStatus, 0)
        case .other: (Self.otherStatus, 0)
        }
    }
}

/// Exposition order: numeric IDs ascending (numerically, so 2 < 10), then the
/// others by their labels (`invalid`, `none`, `other`), as they sort as label values.
extension DropCustomer: Comparable {
    public static func < (lhs: DropCustomer, rhs: DropCustomer) -> Bool {
        switch (lhs, rhs) {
        case (.id(let a), .id(let b)): return a < b
        case (.id, _): return true
        case (_, .id): return false
        default: return lhs.label < rhs.label
        }
    }
}

extension DropCustomer: CustomStringConvertible {
    public var description: String { label }
}
