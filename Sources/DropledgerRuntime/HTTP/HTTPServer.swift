import CMicroHTTPD
import DropledgerCore
import Glibc
import Logging
import SystemPackage

/// libmicrohttpd serving `handler` from its own threads until `stop()` or deinit.
public final class HTTPServer: @unchecked Sendable {
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    private final class Context {
        let handler: Handler
        let logger: Logger
        init(handler: @escaping Handler, logger: Logger) {
            self.handler = handler
            self.logger = logger
        }
    }

    private var server: OpaquePointer?
    private let context: Unmanaged<Context>
    /// The port actually bound (differs from the requested one when that was 0).
    public let port: UInt16

    public init(listen address: ListenAddress, limits: HTTPLimits = HTTPLimits(), logger: Logger,
                handler: @escaping Handler) throws {
        let socket = try ListeningSocket.open(address)
        port = socket.port
        context = Unmanaged.passRetained(Context(handler: handler, logger: logger))
        var cLimits = dl_http_limits(threads: limits.threads, connection_limit: limits.connectionLimit,
                                     connection_timeout_s: limits.connectionTimeoutSeconds,
                                     connection_memory: limits.connectionMemoryBytes)
        server = dl_http_start(socket.fd, &cLimits, { ctx, request, reply in
            let context = Unmanaged<Context>.fromOpaque(ctx!).takeUnretainedValue()
            let response = context.handler(HTTPRequest(request!))
            HTTPServer.fill(reply!, with: response)
        }, { ctx, message in
            let context = Unmanaged<Context>.fromOpaque(ctx!).takeUnretainedValue()
            context.logger.warning("libmicrohttpd: \(String(cString: message!).trimmingSuffix("\n"))")
        }, context.toOpaque())
        if server == nil {
            close(socket.fd)
            context.release()
            throw RuntimeError("starting the HTTP server on \(address)")
        }
    }

    deinit { stop() }

    public func stop() {
        guard let running = server else { return }
        server = nil
        dl_http_stop(running)
        context.release()
    }

    private static func fill(_ reply: UnsafeMutablePointer<dl_http_reply>, with response: HTTPResponse) {
        reply.pointee.status = UInt32(response.status)
        reply.pointee.content_type = StaticHeader.intern(response.contentType)
        reply.pointee.content_encoding = response.contentEncoding.map(StaticHeader.intern)
        reply.pointee.allow = response.allow.map(StaticHeader.intern)
        // libmicrohttpd free()s the body once it is sent.
        let body = malloc(max(response.body.count, 1))!.assumingMemoryBound(to: UInt8.self)
        response.body.withUnsafeBufferPointer { body.update(from: $0.baseAddress!, count: $0.count) }
        reply.pointee.body = body
        reply.pointee.body_len = response.body.count
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
