/// Packets and bytes the tagger tagged for one customer. Additions wrap instead of
/// trapping, like `DropCount`.
public struct TrafficCount: Hashable, Sendable {
    public var packets: UInt64
    public var bytes: UInt64

    public init(packets: UInt64 = 0, bytes: UInt64 = 0) {
        self.packets = packets
        self.bytes = bytes
    }

    public static func + (lhs: TrafficCount, rhs: TrafficCount) -> TrafficCount {
        TrafficCount(packets: lhs.packets &+ rhs.packets, bytes: lhs.bytes &+ rhs.bytes)
    }

    public static func += (lhs: inout TrafficCount, rhs: TrafficCount) {
        lhs.packets &+= rhs.packets
        lhs.bytes &+= rhs.bytes
    }
}
