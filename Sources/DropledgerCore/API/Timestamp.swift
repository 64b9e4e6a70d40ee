import FoundationEssentials

enum Timestamp {
    /// RFC 3339 in UTC with milliseconds, e.g. 2026-11-22T08:40:01.123Z.
    static func iso8601(_ unixSeconds: Double) -> String {
        Date(timeIntervalSince1970: unixSeconds).formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
