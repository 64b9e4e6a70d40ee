/// A request to the JSON API, parsed and validated: anything malformed is an
/// `APIError` saying what is wrong, before any data is read.
public struct APIRequest: Sendable, Hashable {
    public enum Route: Sendable, Hashable {
        /// `/api/v1/customers`
        case customers(limit: Int, reason: String?, sort: Sort)
        /// `/api/v1/customers/{id}`
        case customer(DropCustomer)
        /// `/api/v1/reasons`
        case reasons(limit: Int)
        /// `/api/v1/customers/{id}/samples` (JSON or text) and `.../samples.pcapng`
        case samples(DropCustomer, reason: String?, limit: Int, pcapng: Bool)
        /// `/api/v1/samples`: every customer's samples after a sequence number (or the
        /// newest `limit` without one), oldest first
        case recentSamples(after: UInt64?, customer: DropCustomer?, reason: String?, limit: Int)
    }

    public enum Sort: String, Sendable, Hashable, CaseIterable {
        /// Most drops since the start; drops per second over 10 s; drops / tagged packets since the start.
        case drops, rate, loss
    }

    public enum Format: String, Sendable, Hashable {
        case json, text
    }

    public let route: Route
    public let format: Format

    public static let prefix = "/api/v1/"
    public static let defaultLimit = 100
    public static let maximumLimit = 100_000

    /// `query` in request order (a value is nil for `?flag`); `accept` is the Accept header.
    public init(method: String, path: String, query: [(name: String, value: String?)], accept: String?) throws(APIError) {
        let parts = path.hasPrefix(Self.prefix)
            ? path.dropFirst(Self.prefix.count).split(separator: "/", omittingEmptySubsequences: false) : []
        let allowed: Set<String>
        let route: Route
        let parameters = try Self.parameters(query)
        switch (parts.first, parts.count) {
        case ("customers", 1):
            allowed = ["limit", "reason", "sort", "format"]
            guard method == "GET" || method == "HEAD" else { throw .methodNotAllowed(method) }
            let sortText = parameters["sort"] ?? "drops"
            guard let sort = Sort(rawValue: sortText) else {
                throw .badRequest("sort must be drops, rate or loss, got '\(sortText)'")
            }
            route = .customers(limit: try Self.limit(parameters["limit"]), reason: parameters["reason"], sort: sort)
        case ("customers", 2) where !parts[1].isEmpty:
            allowed = ["format"]
            guard method == "GET" || method == "HEAD" else { throw .methodNotAllowed(method) }
            route = .customer(try Self.customer(parts[1]))
        case ("customers", 3) where parts[2] == "samples" || parts[2] == "samples.pcapng":
            allowed = parts[2] == "samples" ? ["limit", "reason", "format"] : ["limit", "reason"]
            guard method == "GET" || method == "HEAD" else { throw .methodNotAllowed(method) }
            route = .samples(try Self.customer(parts[1]), reason: parameters["reason"],
                             limit: try Self.limit(parameters["limit"]), pcapng: parts[2] == "samples.pcapng")
        case ("samples", 1):
            allowed = ["after", "customer", "reason", "limit", "format"]
            guard method == "GET" || method == "HEAD" else { throw .methodNotAllowed(method) }
            var after: UInt64?
            if let text = parameters["after"] {
                guard let value = UInt64(text), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                    throw .badRequest("after must be a sample's sequence number (0 or more), got '\(text)'")
                }
                after = value
            }
            var customer: DropCustomer?
            if let text = parameters["customer"] { customer = try Self.customer(Substring(text)) }
            route = .recentSamples(after: after, customer: customer, reason: parameters["reason"],
                                   limit: try Self.limit(parameters["limit"]))
        case ("reasons", 1):
            allowed = ["limit", "format"]
            guard method == "GET" || method == "HEAD" else { throw .methodNotAllowed(method) }
            route = .reasons(limit: try Self.limit(parameters["limit"], default: 10))
        default:
            throw .notFound("no such API path: \(path); try /api/v1/customers, /api/v1/customers/{id}, /api/v1/customers/{id}/samples, /api/v1/customers/{id}/samples.pcapng, /api/v1/samples or /api/v1/reasons")
        }
        if let unknown = parameters.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw .badRequest("unknown query parameter '\(unknown)'; this path takes \(allowed.sorted().joined(separator: ", "))")
        }
        self.route = route
        if let format = parameters["format"] {
            guard let parsed = Format(rawValue: format) else { throw .badRequest("format must be json or text, got '\(format)'") }
            self.format = parsed
        } else {
            self.format = accept.map(Self.prefersText) == true ? .text : .json
        }
    }

    public static func isAPIPath(_ path: String) -> Bool { path.hasPrefix(prefix) || path == "/api/v1" }

    private static func parameters(_ query: [(name: String, value: String?)]) throws(APIError) -> [String: String] {
        var result: [String: String] = [:]
        for (name, value) in query {
            guard result[name] == nil else { throw .badRequest("query parameter '\(name)' given twice") }
            result[name] = value ?? ""
        }
        return result
    }

    private static func customer(_ text: Substring) throws(APIError) -> DropCustomer {
        guard let customer = DropCustomer(label: String(text)) else {
            throw .badRequest("'\(text)' is not a customer: use a decimal ID from 0 to 18446744073709551615, none, invalid or other")
        }
        return customer
    }

    private static func limit(_ text: String?, default fallback: Int = defaultLimit) throws(APIError) -> Int {
        guard let text else { return fallback }
        guard let value = Int(text), value >= 1, value <= maximumLimit else {
            throw .badRequest("limit must be a whole number from 1 to \(maximumLimit), got '\(text)'")
        }
        return value
    }

    /// `Accept: text/plain` (and not JSON first) asks for the table.
    private static func prefersText(_ accept: String) -> Bool {
        let types = accept.split(separator: ",").map { String($0.split(separator: ";").first?.trimmingSpaces() ?? "") }
        guard let text = types.firstIndex(of: "text/plain") else { return false }
        guard let json = types.firstIndex(where: { $0 == "application/json" }) else { return true }
        return text < json
    }
}

extension DropCustomer {
    /// The inverse of `label`: a decimal ID, `none`, `invalid` or `other`.
    public init?(label: String) {
        switch label {
        case "none": self = .none
        case "invalid": self = .invalid
        case "other": self = .other
        default:
            guard !label.isEmpty, label.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let id = UInt64(label) else { return nil }
            self = .id(id)
        }
    }
}
