/// The JSON documents of the API. Field names are snake_case and stable; the README
/// shows each with real output.
public enum APIModels {
    public struct ReasonCount: Codable, Sendable {
        public let reason: String
        public let drops: UInt64
        public let bytes: UInt64
    }

    public struct CustomerCount: Codable, Sendable {
        public let customer: String
        public let drops: UInt64
        public let bytes: UInt64
    }

    public struct CustomerSummary: Codable, Sendable {
        public let customer: String
        public let drops: UInt64
        public let bytes: UInt64
        /// Drops per second over the last 10 s.
        public let rate: Double
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
        public let drops: UInt64
        public let bytes: UInt64
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
