/// What a sampled packet's bytes start with. The raw values are the kernel record's.
public enum SampleLinkType: UInt8, Sendable, CaseIterable {
    /// An Ethernet II header: the packet had a MAC header.
    case ethernet = 1
    /// The IP header: the packet had no MAC header (a tunnel or a layer-3 device).
    case rawIP = 2
}
