import CMicroHTTPD

/// A request as libmicrohttpd hands it over. Valid only during the handler call:
/// a handler must not keep it.
public struct HTTPRequest {
    private let raw: OpaquePointer

    init(_ raw: OpaquePointer) { self.raw = raw }

    public var method: String { String(cString: dl_http_method(raw)) }
    public var path: String { String(cString: dl_http_path(raw)) }

    public func header(_ name: String) -> String? {
        dl_http_header(raw, name).map { String(cString: $0) }
    }

    public func query(_ name: String) -> String? {
        dl_http_query(raw, name).map { String(cString: $0) }
    }

    /// Every query argument in request order; the value is nil for a bare `?flag`.
    public var queryItems: [(name: String, value: String?)] {
        final class Items { var list: [(name: String, value: String?)] = [] }
        let items = Items()
        withExtendedLifetime(items) {
            dl_http_query_each(raw, { ctx, name, value in
                let items = Unmanaged<Items>.fromOpaque(ctx!).takeUnretainedValue()
                items.list.append((String(cString: name!), value.map { String(cString: $0) }))
            }, Unmanaged.passUnretained(items).toOpaque())
        }
        return items.list
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    public var contentEncoding: String?
    public var allow: String?
    /// The Vary header; set by the server when it may compress the body.
    public var vary: String?

    public init(status: Int, contentType: String, body: [UInt8], contentEncoding: String? = nil, allow: String? = nil) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.contentEncoding = contentEncoding
        self.allow = allow
    }

    public static func text(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
    }
}

/// Limits that keep one slow or hostile client from starving the others.
public struct HTTPLimits: Sendable {
    public var threads: UInt32 = 2
    public var connectionLimit: UInt32 = 64
    /// Connections from one IP address; libmicrohttpd closes more at once, so one host
    /// cannot hold every slot of `connectionLimit`.
    public var connectionsPerAddress: UInt32 = 16
    public var connectionTimeoutSeconds: UInt32 = 10
    public var connectionMemoryBytes: Int = 32 * 1024

    public init() {}
}
