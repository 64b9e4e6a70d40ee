/// What the API knows about one customer since it was first seen (or re-seen after
/// being evicted): totals, when, how fast, and where its packets were dropped.
public struct CustomerActivity: Sendable {
    /// One place and reason of drops: the per-customer part of a `DropSite`.
    public struct Site: Hashable, Sendable {
        public var reason: UInt32
        /// Kernel address that freed the skb; 0 when unknown (counted through the fallback map).
        public var location: UInt64
        public var ifindex: UInt32
        public var netnsInode: UInt32
    }

    public private(set) var total = DropCount()
    public private(set) var firstSeen: Double
    public private(set) var lastSeen: Double
    /// Counts per site. A list, not a `Dictionary`: almost every customer has one or a
    /// few sites, and a one-entry dictionary costs twice the memory of a one-entry list.
    /// Past `indexedSites` sites, an index finds them (a customer dropping on many devices).
    public private(set) var sites: [(key: Site, value: DropCount)] = []
    private var siteIndex: [Site: Int]?
    static let indexedSites = 16
    public private(set) var window = RateWindow()

    init(at time: Double) {
        firstSeen = time
        lastSeen = time
    }

    mutating func add(_ site: DropSite, _ count: DropCount, at time: Double) {
        total += count
        lastSeen = max(lastSeen, time)
        let key = Site(reason: site.reason, location: site.location, ifindex: site.ifindex, netnsInode: site.netnsInode)
        let found = siteIndex.map { $0[key] } ?? sites.firstIndex { $0.key == key }
        if let index = found {
            sites[index].value += count
        } else {
            sites.append((key, count))
            if siteIndex != nil {
                siteIndex![key] = sites.count - 1
            } else if sites.count >= Self.indexedSites {
                siteIndex = Dictionary(uniqueKeysWithValues: sites.indices.map { (sites[$0].key, $0) })
            }
        }
        window.add(count.drops, at: time)
    }

    /// Drops and bytes per reason.
    public var reasons: [UInt32: DropCount] {
        sites.reduce(into: [:]) { $0[$1.key.reason, default: DropCount()] += $1.value }
    }

    /// Drops and bytes per device (ifindex in a network namespace).
    public var devices: [DeviceID: DropCount] {
        sites.reduce(into: [:]) { $0[DeviceID(ifindex: $1.key.ifindex, netnsInode: $1.key.netnsInode), default: DropCount()] += $1.value }
    }

    /// Drops and bytes per kernel address that dropped them.
    public var locations: [UInt64: DropCount] {
        sites.reduce(into: [:]) { $0[$1.key.location, default: DropCount()] += $1.value }
    }
}

/// A network device: an ifindex is only unique within its network namespace.
public struct DeviceID: Hashable, Sendable, Comparable {
    public var ifindex: UInt32
    public var netnsInode: UInt32

    public init(ifindex: UInt32, netnsInode: UInt32) {
        self.ifindex = ifindex
        self.netnsInode = netnsInode
    }

    public static func < (lhs: DeviceID, rhs: DeviceID) -> Bool {
        (lhs.netnsInode, lhs.ifindex) < (rhs.netnsInode, rhs.ifindex)
    }
}
