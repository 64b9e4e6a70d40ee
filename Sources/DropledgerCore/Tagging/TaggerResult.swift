/// What the tagger did with a packet: the `result` label of
/// `dropledger_tagger_packets_total`, in the order of `enum tagger_result` (bpf/tagger.h).
public enum TaggerResult: Int, CaseIterable, Hashable, Sendable {
    /// The customer entry was pushed.
    case tagged = 0
    /// An IP packet whose address matched no prefix.
    case noMatch = 1
    /// Not IPv4/IPv6 after up to two VLAN tags, or too short to read the address.
    case notIP = 2
    /// The area would exceed 252 bytes, or the kernel refused to grow it (6.1 allows 32).
    case areaFull = 3
    /// An existing area whose total-length byte does not fit it.
    case malformedArea = 4

    /// The Prometheus label value.
    public var label: String {
        switch self {
        case .tagged: "tagged"
        case .noMatch: "no_match"
        case .notIP: "not_ip"
        case .areaFull: "area_full"
        case .malformedArea: "malformed_area"
        }
    }
}
