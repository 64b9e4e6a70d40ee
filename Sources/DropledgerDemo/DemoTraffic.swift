import DropledgerRuntime
import Glibc
import Synchronization

/// Real sockets, from the lab's clients to the customers' addresses on the edge,
/// dropped by the edge's kernel in the ways an SRE meets every day: UDP to a closed
/// port, a firewall rule, a receiver too slow to read, TCP to a closed port, and
/// corrupt checksums. Each client and the edge's slow reader run on their own
/// thread, inside their namespace.
public final class DemoTraffic: Sendable {
    private let running = Atomic<Bool>(true)
    private let threads = Mutex<[pthread_t]>([])
    /// Packets sent to each customer's address (what its tagger should count), by ID.
    private let sent = Mutex<[UInt64: UInt64]>([:])

    public init() {}

    /// Packets the clients sent to each customer so far: every one crosses the tagger.
    public var sentPerCustomer: [UInt64: UInt64] { sent.withLock { $0 } }

    public func start() throws {
        // The slow reader: sockets with the smallest receive buffer, never read.
        let readers = try spawn(inNamespace: DemoLab.edge) { [self] in
            let sockets = DemoLab.customers.map { Self.boundUDP($0.address, DemoLab.slowReaderPort, receiveBuffer: 1) }
            while running.load(ordering: .relaxed) { usleep(100_000) }
            sockets.forEach { close($0) }
        }
        // The served port: a reader that drains everything, so that traffic is delivered.
        let served = try spawn(inNamespace: DemoLab.edge) { [self] in
            let sockets = DemoLab.customers.map {
                Self.boundUDP($0.address, DemoLab.servedPort, receiveBuffer: 4 << 20, flags: Int32(SOCK_NONBLOCK.rawValue))
            }
            var buffer = [UInt8](repeating: 0, count: 2048)
            while running.load(ordering: .relaxed) {
                for fd in sockets {
                    while buffer.withUnsafeMutableBytes({ recv(fd, $0.baseAddress, $0.count, 0) }) >= 0 {}
                }
                usleep(2_000)
            }
            sockets.forEach { close($0) }
        }
        var started = [readers, served]
        usleep(200_000)  // let the readers bind before packets arrive
        for (client, source) in DemoLab.clients {
            started.append(try spawn(inNamespace: client) { [self] in sendLoop(source: source) })
        }
        threads.withLock { $0 = started }
    }

    public func stop() {
        running.store(false, ordering: .relaxed)
        let handles = threads.withLock { handles in
            defer { handles = [] }
            return handles
        }
        for handle in handles { pthread_join(handle, nil) }
    }

    /// Every 10 ms, per customer (scaled by its weight): UDP to a closed port, to the
    /// firewalled port, to the slow reader, corrupt UDP, and now and then a TCP SYN to
    /// a closed port; plus a little traffic to the edge's own address, which no
    /// customer owns (counted as `none`).
    private func sendLoop(source: String) {
        let udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        let raw = socket(AF_INET, Int32(SOCK_RAW.rawValue), Int32(IPPROTO_RAW))
        defer { close(udp); close(raw) }
        let payload = [UInt8](repeating: 0x64, count: 64)
        var tick = 0
        while running.load(ordering: .relaxed) {
            for customer in DemoLab.customers {
                var packets: UInt64 = 0
                for _ in 0..<customer.weight {
                    packets += send(udp, payload, to: customer.address, DemoLab.closedPort)
                    packets += send(udp, payload, to: customer.address, DemoLab.firewalledPort)
                    packets += send(udp, payload, to: customer.address, DemoLab.slowReaderPort)
                }
                for _ in 0..<customer.served {
                    packets += send(udp, payload, to: customer.address, DemoLab.servedPort)
                }
                if tick % 2 == 0 {
                    packets += sendCorruptUDP(raw, from: source, to: customer.address)
                }
                if tick % 10 == 0 { packets += tcpSYN(to: customer.address) }
                sent.withLock { $0[customer.id, default: 0] += packets }
            }
            if tick % 5 == 0 { send(udp, payload, to: DemoLab.edgeAddress, DemoLab.closedPort) }
            tick += 1
            usleep(10_000)
        }
    }

    /// 1 if the datagram left, else 0 (a full socket buffer: MSG_DONTWAIT).
    @discardableResult
    private func send(_ fd: Int32, _ payload: [UInt8], to host: String, _ port: UInt16) -> UInt64 {
        var address = Self.address(host, port)
        let result = payload.withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT), $0,
                           socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        return result >= 0 ? 1 : 0
    }

    /// A UDP datagram whose checksum is wrong: built by hand on a raw socket.
    private func sendCorruptUDP(_ fd: Int32, from source: String, to destination: String) -> UInt64 {
        var src = in_addr(), dst = in_addr()
        inet_pton(AF_INET, source, &src)
        inet_pton(AF_INET, destination, &dst)
        var packet: [UInt8] = [0x45, 0, 0, 36, 0, 0, 0x40, 0, 64, 17, 0, 0]  // the kernel fills the IP checksum
        packet += withUnsafeBytes(of: src.s_addr, Array.init) + withUnsafeBytes(of: dst.s_addr, Array.init)
        packet += [0x9c, 0x40, 0x00, UInt8(DemoLab.closedPort), 0, 16, 0xde, 0xad]  // bad checksum 0xdead
        packet += [UInt8](repeating: 0x21, count: 8)
        return send(fd, packet, to: destination, 0)
    }

    /// One SYN to a closed port: the edge answers with a reset, so it is sent once.
    private func tcpSYN(to host: String) -> UInt64 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        var address = Self.address(host, DemoLab.closedTCPPort)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        // Closed at once: the SYN has left (EINPROGRESS), and no retransmission follows.
        let errno = Glibc.errno
        close(fd)
        return errno == EINPROGRESS ? 1 : 0
    }

    /// A UDP socket bound to `host:port` with `receiveBuffer` bytes of receive buffer.
    private static func boundUDP(_ host: String, _ port: UInt16, receiveBuffer: Int32, flags: Int32 = 0) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | flags, 0)
        var size = receiveBuffer
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.address(host, port)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return fd
    }

    private static func address(_ host: String, _ port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        return address
    }

    private func spawn(inNamespace ns: String, _ body: @escaping @Sendable () -> Void) throws -> pthread_t {
        try Threads.start {
            guard (try? NetworkNamespace.enter(ns)) != nil else { return }
            body()
        }
    }
}
