/// The JSON documents of the API. Field names are snake_case and stable; the README
/// shows each with real output.
///
/// A field that can be unknown (a name, a loss ratio without tagged traffic) is
/// written as `null`, never left out, so every document has the same keys.
public enum APIModels {
    public struct ReasonCount: Codable, Sendable {
        public let reason: String
        /// What the reason means, in one line; null for a reason without a description.
        public let description: String?
        public let drops: UInt64
        public let bytes: UInt64

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(reason, forKey: .reason)
            try c.encode(description, forKey: .description)
            try c.encode(drops, forKey: .drops)
            try c.encode(bytes, forKey: .bytes)
        }
    }

    public struct CustomerCount: Codable, Sendable {
        public let customer: String
        /// From `--customers FILE`; null without one.
        public let name: String?
        public let drops: UInt64
        public let bytes: UInt64

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(customer, forKey: .customer)
            try c.encode(name, forKey: .name)
            try c.encode(drops, forKey: .drops)
            try c.encode(bytes, forKey: .bytes)
        }
    }

    public struct CustomerSummary: Codable, Sendable {
        public let customer: String
        public let name: String?
        public let drops: UInt64
        public let bytes: UInt64
        /// Drops per second over the last 10 s.
        public let rate: Double
        /// Packets and bytes the tagger tagged for the customer since the exporter started.
        public let tagged_packets: UInt64
        public let tagged_bytes: UInt64
        /// drops / tagged_packets; null when nothing was tagged for the customer.
        public let loss_ratio: Double?
        public let top_reasons: [ReasonCount]

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(customer, forKey: .customer)
            try c.encode(name, forKey: .name)
            try c.encode(drops, forKey: .drops)
            try c.encode(bytes, forKey: .bytes)
            try c.encode(rate, forKey: .rate)
            try c.encode(tagged_packets, forKey: .tagged_packets)
            try c.encode(tagged_bytes, forKey: .tagged_bytes)
            try c.encode(loss_ratio, forKey: .loss_ratio)
            try c.encode(top_reasons, forKey: .top_reasons)
        }
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
        public let last10s: Double?
        public let last1m: Double?
        public let last5m: Double?

        enum CodingKeys: String, CodingKey {
            case last10s = "10s", last1m = "1m", last5m = "5m"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(last10s, forKey: .last10s)
            try c.encode(last1m, forKey: .last1m)
            try c.encode(last5m, forKey: .last5m)
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
        public let name: String?
        public let drops: UInt64
        public let bytes: UInt64
        public let tagged_packets: UInt64
        public let tagged_bytes: UInt64
        /// drops / tagged_packets since the exporter started; null when nothing was tagged.
        public let loss_ratio: Double?
        public let loss_ratios: LossRatios
        /// nil when the customer's detail was evicted (see `evicted`).
        public let first_seen: String?
        public let last_seen: String?
        public let rates: Rates?
        public let reasons: [ReasonCount]
        public let devices: [DeviceCount]
        public let functions: [FunctionCount]
        /// True when only the exact totals are left: the detail was evicted to bound memory.
        public let evicted: Bool

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(customer, forKey: .customer)
            try c.encode(name, forKey: .name)
            try c.encode(drops, forKey: .drops)
            try c.encode(bytes, forKey: .bytes)
            try c.encode(tagged_packets, forKey: .tagged_packets)
            try c.encode(tagged_bytes, forKey: .tagged_bytes)
            try c.encode(loss_ratio, forKey: .loss_ratio)
            try c.encode(loss_ratios, forKey: .loss_ratios)
            try c.encodeIfPresent(first_seen, forKey: .first_seen)
            try c.encodeIfPresent(last_seen, forKey: .last_seen)
            try c.encodeIfPresent(rates, forKey: .rates)
            try c.encode(reasons, forKey: .reasons)
            try c.encode(devices, forKey: .devices)
            try c.encode(functions, forKey: .functions)
            try c.encode(evicted, forKey: .evicted)
        }
    }

    public struct ReasonSummary: Codable, Sendable {
        public let reason: String
        public let description: String?
        public let drops: UInt64
        public let bytes: UInt64
        public let top_customers: [CustomerCount]

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(reason, forKey: .reason)
            try c.encode(description, forKey: .description)
            try c.encode(drops, forKey: .drops)
            try c.encode(bytes, forKey: .bytes)
            try c.encode(top_customers, forKey: .top_customers)
        }
    }

    public struct ReasonList: Codable, Sendable {
        public let reasons: [ReasonSummary]
    }

    public struct ErrorBody: Codable, Sendable {
        public let error: String
        public let status: Int
    }
}
