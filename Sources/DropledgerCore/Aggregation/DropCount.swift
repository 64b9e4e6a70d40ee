/// Exact counts for one series. Additions wrap instead of trapping: a counter must
/// never crash the exporter, and 2^64 packets will not be reached.
public struct DropCount: Hashable, Sendable {
    public var drops: UInt64
    public var bytes: UInt64

    public init(drops: UInt64 = 0, bytes: UInt64 = 0) {
        self.drops = drops
        self.bytes = bytes
    }

    public static func + (lhs: DropCount, rhs: DropCount) -> DropCount {
        DropCount(drops: lhs.drops &+ rhs.drops, bytes: lhs.bytes &+ rhs.bytes)
    }

    public static func += (lhs: inout DropCount, rhs: DropCount) {
        lhs.drops &+= rhs.drops
        lhs.bytes &+= rhs.bytes
    }
}
