/// The JSON documents of the API. Field names are snake_case and stable; the README
/// shows each with real output.
///
/// A field that can be unknown (a name, a loss ratio without tagged traffic) is
/// written as `null`, never left out, so every document has the same keys (`Nullable`).
public enum APIModels {
    public struct ReasonCount: Codable, Sendable {
        public let reason: String
        /// What the reason means, in one line; null for a reason without a description.
        @Nullable public var description: String?
        public let drops: UInt64
        public let bytes: UInt64
    }

    public struct CustomerCount: Codable, Sendable {
        public let customer: String
        /// From `--customers FILE`; null without one.
        @Nullable public var name: String?
        public let drops: UInt64
        public let bytes: UInt64
    }

    public struct CustomerSummary: Codable, Sendable {
        public let customer: String
        @Nullable public var name: String?
        public let drops: UInt64
        public let bytes: UInt64
        /// Drops per second over the last 10 s.
        public let rate: Double
        /// Packets and bytes the tagger tagged for the customer since the exporter started.
        public let tagged_packets: UInt64
        public let tagged_bytes: UInt64
        /// drops / tagged_packets; null when nothing was tagged for the customer.
        @Nullable public var loss_ratio: Double?
        public let top_reasons: [ReasonCount]
    }

    public struct CustomerList: Codable, Sendable {
        public let customers: [CustomerSummary]
        public let sort: String
        /// With `?reason=`, `drops` and `bytes` are that reason's; `rate` stays the customer's.
        public let reason: String?
        public let tracked_customers: Int
        public let evicted_customers: UInt64
    }

    /// Drops / tagged packets over the last 10 s, 1 min and 5 min; null for a window
    /// in which nothing was tagged for the customer.
    public struct LossRatios: Codable, Sendable {
        @Nullable public var last10s: Double?
        @Nullable public var last1m: Double?
        @Nullable public var last5m: Double?

        enum CodingKeys: String, CodingKey {
            case last10s = "10s", last1m = "1m", last5m = "5m"
        }
    }

    public struct Rates: Codable, Sendable {
        public let last10s: Double
        public let last1m: Double
        public let last5m: Double

        enum CodingKeys: String, CodingKey {
            case last10s = "10s", last1m = "1m", last5m = "5m"
        }
    }

    public struct DeviceCount: Codable, Sendable {
        /// nil when the device is gone or its namespace cannot be entered.
        public let interface: String?
        public let ifindex: UInt32
        public let netns: UInt32
        /// The `ip netns` name, when it has one.
        public let netns_name: String?
        public let drops: UInt64
        public let bytes: UInt64
    }

    public struct FunctionCount: Codable, Sendable {
        public let function: String
        public let drops: UInt64
        public let bytes: UInt64
    }

    public struct CustomerDetail: Codable, Sendable {
        public let customer: String
        @Nullable public var name: String?
        public let drops: UInt64
        public let bytes: UInt64
        public let tagged_packets: UInt64
        public let tagged_bytes: UInt64
        /// drops / tagged_packets since the exporter started; null when nothing was tagged.
        @Nullable public var loss_ratio: Double?
        public let loss_ratios: LossRatios
        /// nil when the customer's detail was evicted (see `evicted`).
        public let first_seen: String?
        public let last_seen: String?
        public let rates: Rates?
        public let reasons: [ReasonCount]
        public let devices: [DeviceCount]
        public let functions: [FunctionCount]
        /// True when the detail (`first_seen`, `last_seen`, `rates`, `loss_ratios`, `devices`,
        /// `functions`) does not cover all of the drops: it was evicted to bound memory, and
        /// if the customer dropped again since, restarted then (`first_seen`). `drops`,
        /// `bytes`, `reasons` and `loss_ratio` are the exact totals either way.
        public let evicted: Bool
        /// Where the customer's kept samples came from (`--samples.keep` of them).
        public let top_sources: TopSources
    }

    /// The source prefixes and destination ports most of a customer's kept samples have.
    public struct TopSources: Codable, Sendable, Equatable {
        /// Kept samples these are counted from.
        public let samples: Int
        public let prefixes: [PrefixCount]
        public let destination_ports: [PortCount]
    }

    public struct PrefixCount: Codable, Sendable, Equatable {
        /// The /24 of an IPv4 source, the /48 of an IPv6 one.
        public let prefix: String
        public let samples: Int
    }

    public struct PortCount: Codable, Sendable, Equatable {
        public let `protocol`: String
        public let port: UInt16
        public let samples: Int
    }

    /// One sampled drop.
    public struct Sample: Codable, Sendable {
        /// The order the exporter received samples in (`GET /api/v1/samples?after=`).
        public let sequence: UInt64
        /// RFC 3339, milliseconds; `time_unix_ns` to the nanosecond.
        public let time: String
        public let time_unix_ns: UInt64
        public let customer: String
        @Nullable public var name: String?
        public let reason: String
        @Nullable public var function: String?
        @Nullable public var interface: String?
        public let ifindex: UInt32
        public let netns: UInt32
        @Nullable public var netns_name: String?
        /// On the wire, from the start of `bytes`.
        public let length: UInt32
        public let segments: UInt16
        /// What `bytes` start with: "ethernet", "raw_ip" (the MAC header was gone), or null (nothing copied).
        @Nullable public var link: String?
        /// One line: protocol, addresses and ports (`udp 10.0.0.1:5000 > 10.0.0.2:53`).
        public let summary: String
        /// TCP flags, e.g. "SYN"; null when not TCP.
        @Nullable public var tcp_flags: String?
        @Nullable public var headers: PacketHeaders?
        /// The bytes kept, in hex: headers only unless `--samples.payload`.
        public let bytes: String
    }

    public struct SampleList: Codable, Sendable {
        public let samples: [Sample]
        /// The sequence to ask `/api/v1/samples?after=` next, to follow from here.
        public let last: UInt64
        /// With `/api/v1/samples?after=`: samples after it no longer kept (the client fell behind).
        @Nullable public var missed: UInt64?
    }

    public struct ReasonSummary: Codable, Sendable {
        public let reason: String
        @Nullable public var description: String?
        public let drops: UInt64
        public let bytes: UInt64
        public let top_customers: [CustomerCount]
    }

    public struct ReasonList: Codable, Sendable {
        public let reasons: [ReasonSummary]
    }

    public struct ErrorBody: Codable, Sendable {
        public let error: String
        public let status: Int
    }
}


extension APIModels.Sample {
    /// The sample as a capture's packet, with a comment naming what the capture alone
    /// cannot say: the customer, the reason, the function and the interface.
    public var pcapngPacket: PcapNGPacket {
        let who = customer + (name.map { " (\($0))" } ?? "")
        let comment = "dropledger: customer \(who), reason \(reason), function \(function ?? "?"), "
            + "interface \(interface ?? "ifindex \(ifindex)"), netns \(netns)"
        return PcapNGPacket(interface: interface ?? "ifindex \(ifindex)", link: link == "ethernet" ? .ethernet : .rawIP,
                            timestampNanoseconds: time_unix_ns, originalLength: Int(length),
                            bytes: HexText.decode(bytes) ?? [], comment: comment)
    }
}
