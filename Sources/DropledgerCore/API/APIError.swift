/// An API failure with its HTTP status; rendered as JSON `{"error": ..., "status": ...}`.
public enum APIError: Error, Sendable, Hashable, CustomStringConvertible {
    case badRequest(String)
    case notFound(String)
    case methodNotAllowed(String)

    public var status: Int {
        switch self {
        case .badRequest: 400
        case .notFound: 404
        case .methodNotAllowed: 405
        }
    }

    public var description: String {
        switch self {
        case .badRequest(let message), .notFound(let message): message
        case .methodNotAllowed(let method): "method \(method) not allowed: the API answers GET and HEAD"
        }
    }
}
