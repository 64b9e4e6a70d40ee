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
        /// True when only the exact totals are left: the detail was evicted to bound memory.
        public let evicted: Bool
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

/// An optional API field written as `null` when absent: synthesized `Encodable` leaves
/// plain optionals out (`encodeIfPresent`), which would make the documents' keys vary.
@propertyWrapper
public struct Nullable<Value: Codable & Sendable>: Codable, Sendable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

extension Nullable: Equatable where Value: Equatable {}
