import ChildProcesses
import Foundation
import Glibc
import Testing

/// The HTTP port faces a network: hostile bytes, slow and numerous clients, and load.
/// libmicrohttpd's limits (connections, per-connection timeout, per-connection memory)
/// must hold and the exporter must keep answering. Short limits keep the suite fast.
@Suite(.serialized, .enabled(if: Privilege.kernelTestsEnabled, "needs root (set DROPLEDGER_SKIP_ROOT_TESTS=1 to skip)"))
struct HTTPHardeningTests {
    static let timeout = 2
    static let maxConnections = 8

    static func exporter() throws -> ExporterProcess {
        // Half the connections per host: these tests' clients all come from 127.0.0.1.
        try ExporterProcess(arguments: ["--web.connection-timeout", String(timeout),
                                        "--web.max-connections", String(maxConnections),
                                        "--web.max-connections-per-ip", String(maxConnections / 2)])
    }

    static func healthy(_ exporter: ExporterProcess) throws -> Bool {
        try exporter.get("/-/healthy").status == 200
    }

    @Test func malformedAndHostileRequestsGetErrorsNotCrashes() throws {
        let exporter = try Self.exporter()
        let hugeHeader = "GET /-/healthy HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 64 * 1024) + "\r\n\r\n"
        let manyHeaders = "GET /-/healthy HTTP/1.1\r\nHost: x\r\n"
            + (0..<4000).map { "X-H\($0): v\r\n" }.joined() + "\r\n"
        let cases: [(name: String, request: String, allowed: Set<Int>)] = [
            // A header beyond the per-connection memory: 431 (or closed), never a crash.
            ("huge header", hugeHeader, [431, 413, 400, 0]),
            ("many headers", manyHeaders, [431, 413, 400, 0]),
            ("huge URI", "GET /" + String(repeating: "a", count: 64 * 1024) + " HTTP/1.1\r\nHost: x\r\n\r\n", [414, 431, 400, 0]),
            ("garbage request line", "GARBAGE\r\n\r\n", [400, 0]),
            ("binary junk", String(decoding: (0..<512).map { UInt8(truncatingIfNeeded: $0 &* 37) }, as: UTF8.self) + "\r\n\r\n", [400, 0]),
            ("no version", "GET /-/healthy\r\n\r\n", [400, 505, 0]),
            ("unknown version", "GET /-/healthy HTTP/9.9\r\nHost: x\r\n\r\n", [505, 400, 0]),
            ("HTTP/1.1 without Host", "GET /-/healthy HTTP/1.1\r\n\r\n", [400, 200]),
            ("unknown method", "BREW /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", [405]),
            ("lower-case method", "get /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", [405, 400]),
            ("POST with a body", "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello", [405]),
            ("header without colon", "GET /-/healthy HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n", [400, 200, 0]),
            ("bad content length", "GET /-/healthy HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", [400, 413, 0]),
            ("absolute URI", "GET http://127.0.0.1/-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", [200, 404, 400]),
        ]
        for item in cases {
            let status = try RawClient.exchange(port: exporter.port, Array(item.request.utf8)).status
            #expect(item.allowed.contains(status), "\(item.name): got \(status)")
            #expect(exporter.process.isRunning, "\(item.name) killed the exporter:\n\(exporter.log())")
            #expect(try Self.healthy(exporter), "not healthy after \(item.name)")
        }
    }

    @Test func slowClientIsCutOffAfterTheTimeoutWhileOthersAreServed() throws {
        let exporter = try Self.exporter()
        let slow = try RawClient(port: exporter.port)
        try slow.send(Array("GET /-/healthy HTTP/1.1\r\nHo".utf8))
        let start = Date()
        // Meanwhile everybody else is answered at once.
        #expect(try Self.healthy(exporter))
        #expect(try exporter.get("/metrics").status == 200)
        let reply = slow.readAll(timeout: Double(Self.timeout) + 5)
        let elapsed = Date().timeIntervalSince(start)
        #expect(reply.closed, "the half request was not cut off")
        #expect(reply.bytes.isEmpty || String(decoding: reply.bytes, as: UTF8.self).hasPrefix("HTTP/1.1 408"))
        #expect(elapsed >= Double(Self.timeout) - 0.5 && elapsed < Double(Self.timeout) + 4, "cut off after \(elapsed)s")

        #expect(try Self.healthy(exporter))
        #expect(exporter.process.isRunning)
    }

    @Test func connectionsBeyondTheLimitWaitWhileExistingOnesAreServed() throws {
        let exporter = try Self.exporter()
        var idle: [RawClient] = []
        // One host each, so the per-address limit keeps out of the way of the total.
        for index in 0..<Self.maxConnections { idle.append(try RawClient(port: exporter.port, source: "127.0.0.\(index + 1)")) }
        Thread.sleep(forTimeInterval: 0.3)
        // Over the limit: not served while the limit is reached.
        let extra = try RawClient(port: exporter.port, source: "127.0.0.\(Self.maxConnections + 1)")
        try extra.send(Array("GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
        let early = extra.readAll(timeout: 1)
        #expect(early.bytes.isEmpty, "a connection beyond the limit was served: \(String(decoding: early.bytes, as: UTF8.self))")
        // The connections within the limit are served.
        try idle[0].send(Array("GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
        let served = idle[0].readAll(timeout: 3)
        #expect(String(decoding: served.bytes, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        // The idle ones time out, and the waiting one is answered.
        let late = extra.readAll(timeout: Double(Self.timeout) + 5)
        #expect(String(decoding: early.bytes + late.bytes, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        #expect(try Self.healthy(exporter))
        withExtendedLifetime(idle) {}
    }

    @Test func aBurstOfAbandonedConnectionsIsDrainedAtOnce() throws {
        // A long timeout: abandoned connections must be noticed when they close, not when they time out.
        // No per-address limit, which would close most of them at once from this one host.
        let exporter = try ExporterProcess(arguments: ["--web.connection-timeout", "10",
                                                       "--web.max-connections", String(Self.maxConnections),
                                                       "--web.max-connections-per-ip", String(Self.maxConnections)])
        var clients: [RawClient] = []
        // Beyond the limit connections wait in the kernel's backlog (128): stay within it,
        // or connecting itself takes SYN retries of seconds.
        for _ in 0..<100 { if let client = try? RawClient(port: exporter.port) { clients.append(client) } }
        #expect(clients.count == 100)
        // Half of them send part of a request, then everybody leaves.
        for client in clients.prefix(50) { try? client.send(Array("GET /metrics HTTP/1.1\r\nHost: x\r\n".utf8)) }
        clients.removeAll()
        let start = Date()
        #expect(try Self.healthy(exporter))
        #expect(Date().timeIntervalSince(start) < 3, "answered only after \(Date().timeIntervalSince(start))s")
        #expect(exporter.process.isRunning)
    }

    /// The idle timeout alone let one host trickling bytes on every connection keep all
    /// scrapes out; past its per-address share its connections are closed at once.
    @Test func oneHostCannotHoldEveryConnection() throws {
        let perHost = 2
        let exporter = try ExporterProcess(arguments: ["--web.connection-timeout", "30",
                                                       "--web.max-connections", String(Self.maxConnections),
                                                       "--web.max-connections-per-ip", String(perHost)])
        // As many slow clients as there are connections, all from one host.
        var slow: [RawClient] = []
        for _ in 0..<Self.maxConnections {
            let client = try RawClient(port: exporter.port)
            try? client.send(Array("GET /-/healthy HTTP/1.1\r\nHo".utf8))
            slow.append(client)
        }
        // Those beyond its share are closed at once, not held until the timeout.
        let start = Date()
        let closed = slow.filter { $0.readAll(timeout: 0.5).closed }.count
        #expect(closed == Self.maxConnections - perHost, "\(closed) of \(Self.maxConnections) closed")
        #expect(Date().timeIntervalSince(start) < 5)
        // Another host is answered at once; so is this one once its slow clients are gone.
        let other = try RawClient(port: exporter.port, source: "127.0.0.2")
        try other.send(Array("GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
        let reply = other.readAll(timeout: 3)
        #expect(String(decoding: reply.bytes, as: UTF8.self).hasPrefix("HTTP/1.1 200"), "another host was not served")
        slow.removeAll()
        Thread.sleep(forTimeInterval: 0.2) // for the server to see them close
        #expect(try Self.healthy(exporter))
        // One log line for the closed connections, not one each.
        let refusals = exporter.log().components(separatedBy: "Server reached connection limit").count - 1
        #expect(refusals == 1, "\(exporter.log())")
        #expect(exporter.process.isRunning)
    }

    @Test func wrkLoadDuringScrapes() throws {
        // wrk's 48 connections and the scrapes all come from this one host.
        let exporter = try ExporterProcess(arguments: ["--web.max-connections-per-ip", "64"])
        let base = "http://127.0.0.1:\(exporter.port)"
        let out = try TemporaryFile()
        let wrk = try ChildProcess(["wrk", "-t2", "-c48", "-d6s", "--timeout", "5s", base + "/metrics"], stdout: out.fd, stderr: out.fd)
        Thread.sleep(forTimeInterval: 1)
        var scrapes = 0
        let deadline = Date().addingTimeInterval(4)
        while Date() < deadline {
            let reply = try exporter.get("/metrics")
            #expect(reply.status == 200)
            #expect(reply.body.contains("dropledger_build_info"))
            #expect(try exporter.get("/api/v1/reasons").status == 200)
            scrapes += 1
        }
        wrk.waitUntilExit()
        let text = out.contents()
        #expect(wrk.terminationStatus == 0, "wrk: \(text)")
        #expect(scrapes >= 3, "only \(scrapes) scrapes answered during the load")
        let requests = text.firstMatch(of: /(\d+) requests in/).flatMap { Int($0.output.1) } ?? 0
        #expect(requests > 100, "wrk: \(text)")
        #expect(!text.contains("Non-2xx"), "wrk: \(text)")
        #expect(exporter.process.isRunning)
        #expect(try Self.healthy(exporter))
    }
}

/// A TCP client that says exactly what it is told, for requests curl would refuse to send.
final class RawClient {
    let fd: Int32

    /// `source` is the client's own address: on Linux all of 127/8 is loopback, so
    /// 127.0.0.2 and up play other hosts.
    init(port: UInt16, source: String = "127.0.0.1") throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(source)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if bound != 0 {
            close(fd)
            throw Command.Failure(command: ["bind", source], status: errno, output: String(cString: strerror(errno)))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0 {
            close(fd)
            throw Command.Failure(command: ["connect", String(port)], status: errno, output: String(cString: strerror(errno)))
        }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { throw Command.Failure(command: ["send"], status: errno, output: String(cString: strerror(errno))) }
            offset += n
        }
    }

    /// What arrives until the peer closes or `timeout` seconds pass.
    func readAll(timeout: Double) -> (bytes: [UInt8], closed: Bool) {
        var bytes: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return (bytes, false) }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, Int32(left * 1000) + 1) <= 0 { return (bytes, false) }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return (bytes, true) }
            bytes += buffer[..<n]
        }
    }

    /// Sends `request` and returns the status of the reply, 0 if the server just closed.
    static func exchange(port: UInt16, _ request: [UInt8]) throws -> (status: Int, text: String) {
        let client = try RawClient(port: port)
        try? client.send(request)
        let reply = client.readAll(timeout: 5)
        let text = String(decoding: reply.bytes, as: UTF8.self)
        let status = text.hasPrefix("HTTP/1.") ? Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0 : 0
        return (status, text)
    }
}
