import CMicroHTTPD
import CGzip
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

    /// Whether the server speaks TLS (`tls_server_config` in the web config).
    public let isTLS: Bool

    /// Serves `handler` on `address`; `webConfigFile` (exporter-toolkit format) adds TLS
    /// and basic auth, read and checked here so a bad file fails before anything listens.
    public init(listen address: ListenAddress, limits: HTTPLimits = HTTPLimits(), webConfigFile: String? = nil,
                logger: Logger, handler: @escaping Handler) throws {
        let web = try webConfigFile.map(LoadedWebConfig.load)
        isTLS = web?.isTLS ?? false
        let socket = try ListeningSocket.open(address)
        port = socket.port
        context = Unmanaged.passRetained(Context(handler: handler, logger: logger))
        var cLimits = dl_http_limits(threads: limits.threads, connection_limit: limits.connectionLimit,
                                     per_ip_connection_limit: limits.connectionsPerAddress,
                                     connection_timeout_s: limits.connectionTimeoutSeconds,
                                     connection_memory: limits.connectionMemoryBytes)
        // C copies of the secrets for the duration of dl_http_start, which copies them again.
        var owned: [UnsafeMutablePointer<CChar>] = []
        func copy(_ text: String?) -> UnsafePointer<CChar>? {
            guard let text, let pointer = strdup(text) else { return nil }
            owned.append(pointer)
            return UnsafePointer(pointer)
        }
        defer {
            for pointer in owned {
                explicit_bzero(pointer, strlen(pointer))
                free(pointer)
            }
        }
        let users = (web?.config.basicAuthUsers ?? []).map { dl_http_user(name: copy($0.name), hash: copy($0.hash)) }
        let cert = copy(web?.certPEM), key = copy(web?.keyPEM)
        server = users.withUnsafeBufferPointer { usersBuffer in
            var security = dl_http_security(tls_cert_pem: cert, tls_key_pem: key,
                                            users: usersBuffer.baseAddress, user_count: usersBuffer.count)
            return dl_http_start(socket.fd, &cLimits, &security, { ctx, request, reply in
                let context = Unmanaged<Context>.fromOpaque(ctx!).takeUnretainedValue()
                let request = HTTPRequest(request!)
                let response = HTTPCompression.negotiate(context.handler(request),
                                                         acceptEncoding: request.header("Accept-Encoding"))
                HTTPServer.fill(reply!, with: response)
            }, { ctx, message in
                let context = Unmanaged<Context>.fromOpaque(ctx!).takeUnretainedValue()
                context.logger.warning("libmicrohttpd: \(String(cString: message!).trimmingSuffix("\n"))")
            }, context.toOpaque())
        }
        // The server listens on a duplicate of its own (see dl_http_start): this one is ours.
        close(socket.fd)
        if server == nil {
            context.release()
            if let web, let tls = web.config.tls {
                throw RuntimeError("starting the HTTPS server on \(address) with cert_file \(tls.certFile) and key_file \(tls.keyFile)",
                                   hint: "Check that the key belongs to the certificate (the libmicrohttpd warning above says more)")
            }
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
        reply.pointee.vary = response.vary.map(StaticHeader.intern)
        // libmicrohttpd free()s the body once it is sent.
        let body = malloc(max(response.body.count, 1))!.assumingMemoryBound(to: UInt8.self)
        response.body.withUnsafeBufferPointer { body.update(from: $0.baseAddress!, count: $0.count) }
        reply.pointee.body = body
        reply.pointee.body_len = response.body.count
    }
}

/// gzip for responses worth compressing, when the client accepts it (Prometheus
/// always sends `Accept-Encoding: gzip`; a 100k-series exposition shrinks ~20×).
public enum HTTPCompression {
    /// Smaller bodies go out as they are: the gzip framing alone is 18 bytes.
    public static let minimumBytes = 1024

    /// Compresses a successful, not yet encoded body of `minimumBytes` or more when
    /// `acceptEncoding` allows gzip. Such a response says `Vary: Accept-Encoding` either
    /// way, so a cache in between keeps the two representations apart.
    public static func negotiate(_ response: HTTPResponse, acceptEncoding: String?) -> HTTPResponse {
        guard response.status == 200, response.contentEncoding == nil,
              response.body.count >= minimumBytes else { return response }
        var response = response
        response.vary = "Accept-Encoding"
        if acceptsGzip(acceptEncoding), let compressed = gzip(response.body), compressed.count < response.body.count {
            response.body = compressed
            response.contentEncoding = "gzip"
        }
        return response
    }

    /// Whether an `Accept-Encoding` value (RFC 9110 §12.5.3) accepts gzip: `gzip` or
    /// `x-gzip` with a non-zero weight, or else `*` with a non-zero weight.
    public static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        var gzipWeight: Double?, anyWeight: Double?
        for element in header.split(separator: ",") {
            let parts = element.split(separator: ";")
            guard let first = parts.first else { continue }
            let coding = first.trimmingCharacters(in: " \t").lowercased()
            var weight = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0].trimmingCharacters(in: " \t").lowercased() == "q" {
                    weight = Double(pair[1].trimmingCharacters(in: " \t")) ?? 0
                }
            }
            if coding == "gzip" || coding == "x-gzip" { gzipWeight = max(gzipWeight ?? 0, weight) }
            if coding == "*" { anyWeight = weight }
        }
        return (gzipWeight ?? anyWeight ?? 0) > 0
    }

    /// `bytes` in the gzip format (RFC 1952), or nil if compression fails.
    public static func gzip(_ bytes: [UInt8]) -> [UInt8]? {
        gzip(expectedBytes: bytes.count) { write in bytes.withUnsafeBytes { write($0) } }
    }

    /// What `produce` writes, in pieces, compressed as they come (ISA-L's igzip at level
    /// 1: see CGzip), or nil if compression fails. Each call has its own stream: scrapes
    /// may run concurrently.
    public static func gzip(expectedBytes: Int, _ produce: ((UnsafeRawBufferPointer) -> Void) -> Void) -> [UInt8]? {
        // An exposition shrinks about 9 times: a first output buffer of an eighth.
        guard let stream = dl_gzip_new(max(expectedBytes / 8, 4096)) else { return nil }
        defer { dl_gzip_free(stream) }
        var failed = false
        produce { piece in
            if !failed, piece.count > 0, dl_gzip_write(stream, piece.baseAddress, piece.count) != 0 { failed = true }
        }
        var output: UnsafeMutablePointer<UInt8>?
        var count = 0
        guard !failed, dl_gzip_finish(stream, &output, &count) == 0, let output else { return nil }
        defer { free(output) }
        return Array(UnsafeBufferPointer(start: output, count: count))
    }

    /// What each of `parts` writes, in pieces, as one gzip member of their concatenation:
    /// the parts are compressed at once, the first on this thread and each other on one of
    /// its own (on one thread after another if a thread cannot start), and joined (see
    /// `dl_gzip_join`). Nil if compression fails.
    public static func gzip(expectedBytes: Int, parts: [Part]) -> [UInt8]? {
        guard !parts.isEmpty else { return gzip(expectedBytes: expectedBytes) { _ in } }
        let streams = PartStreams(count: parts.count, expectedOutput: max(expectedBytes / 8 / parts.count, 4096))
        guard let streams else { return nil }
        var threads: [pthread_t] = []
        for index in parts.indices.dropFirst() {
            if let thread = try? Threads.start({ streams.compress(index, parts[index]) }) {
                threads.append(thread)
            } else {
                streams.compress(index, parts[index])
            }
        }
        streams.compress(0, parts[0])
        for thread in threads { pthread_join(thread, nil) }
        return streams.joined()
    }

    /// One part of a body: writes its pieces, in order, to the function it is given.
    public typealias Part = @Sendable ((UnsafeRawBufferPointer) -> Void) -> Void

    /// The parts' compressors; each is used by one thread at a time (`compress(index,...)`),
    /// and joined after every thread is done (pthread_join orders their writes before).
    private final class PartStreams: @unchecked Sendable {
        private let streams: [OpaquePointer]
        /// One flag per part, each written by its own thread: raw memory, not an array,
        /// whose concurrent element writes would be concurrent accesses to one variable.
        private let failed: UnsafeMutableBufferPointer<Bool>

        init?(count: Int, expectedOutput: Int) {
            var streams: [OpaquePointer] = []
            for _ in 0 ..< count {
                guard let stream = dl_gzip_new_part(expectedOutput) else {
                    streams.forEach { dl_gzip_free($0) }
                    return nil
                }
                streams.append(stream)
            }
            self.streams = streams
            failed = .allocate(capacity: count)
            failed.initialize(repeating: false)
        }

        deinit {
            streams.forEach { dl_gzip_free($0) }
            failed.deallocate()
        }

        func compress(_ index: Int, _ part: Part) {
            let stream = streams[index]
            var failed = false
            part { piece in
                if !failed, piece.count > 0, dl_gzip_write(stream, piece.baseAddress, piece.count) != 0 { failed = true }
            }
            if dl_gzip_end_part(stream, index == streams.count - 1 ? 1 : 0) != 0 { failed = true }
            self.failed[index] = failed
        }

        func joined() -> [UInt8]? {
            guard !failed.contains(true) else { return nil }
            var output: UnsafeMutablePointer<UInt8>?
            var count = 0
            let joined = streams.map(Optional.some).withUnsafeBufferPointer { dl_gzip_join($0.baseAddress, $0.count, &output, &count) }
            guard joined == 0, let output else { return nil }
            defer { free(output) }
            return Array(UnsafeBufferPointer(start: output, count: count))
        }
    }

    /// A response whose large body the `parts` write in pieces, compressed as they come and
    /// at once (`gzip(expectedBytes:parts:)`), if `acceptEncoding` allows gzip: the whole
    /// plain body never exists. Nil otherwise (or if compression fails): the caller sends
    /// the plain body. The same headers as `negotiate` gives a body it compresses.
    public static func gzipped(status: Int, contentType: String, acceptEncoding: String?, expectedBytes: Int,
                               parts: [Part]) -> HTTPResponse? {
        guard acceptsGzip(acceptEncoding), let compressed = gzip(expectedBytes: expectedBytes, parts: parts) else { return nil }
        var response = HTTPResponse(status: status, contentType: contentType, body: compressed, contentEncoding: "gzip")
        response.vary = "Accept-Encoding"
        return response
    }

    /// `/metrics`'s answer for an exposition: when the client accepts gzip, its two parts
    /// rendered and compressed at once (the 15 MB of 100k series are never held whole);
    /// else the plain text.
    public static func metricsResponse(_ rendering: DropMetrics.Rendering, acceptEncoding: String?) -> HTTPResponse {
        let parts: [Part] = (0 ..< DropMetrics.Rendering.parts).map { part in { write in rendering.write(part: part, into: write) } }
        if let gzipped = gzipped(status: 200, contentType: PrometheusText.contentType, acceptEncoding: acceptEncoding,
                                 expectedBytes: 150 * 2 * rendering.seriesCount + 64 * 1024, parts: parts) {
            return gzipped
        }
        return HTTPResponse(status: 200, contentType: PrometheusText.contentType, body: rendering.bytes())
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return String(text)
    }
}

extension String {
    package func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
