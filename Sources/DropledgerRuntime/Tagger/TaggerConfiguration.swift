import CBPFPrograms

/// How the tagger is loaded and attached.
public struct TaggerConfiguration: Sendable, Hashable {
    /// Where the XDP program runs. No silent fallback: `native` fails on a driver without XDP support.
    public enum Mode: String, Sendable, CaseIterable {
        case native, generic

        var flags: UInt32 { self == .native ? UInt32(XDP_FLAGS_DRV_MODE) : UInt32(XDP_FLAGS_SKB_MODE) }
    }

    /// Which address of the packet picks the customer.
    public enum Match: String, Sendable, CaseIterable {
        case destination, source
    }

    public var mode: Mode
    public var match: Match
    public var customerTLVType: UInt8
    /// Counts tagged packets and bytes per customer; off only to measure what that costs (`make bench`).
    public var countsTraffic: Bool

    public init(mode: Mode = .native, match: Match = .destination, customerTLVType: UInt8 = 1, countsTraffic: Bool = true) {
        self.countsTraffic = countsTraffic
        self.mode = mode
        self.match = match
        self.customerTLVType = customerTLVType
    }
}
