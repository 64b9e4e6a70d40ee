import DropledgerCore
import Glibc
import SystemPackage

/// Binds the listening socket ourselves (rather than letting libmicrohttpd do it)
/// so a failure such as "address in use" reaches the user with its errno.
struct ListeningSocket {
    let fd: Int32
    let port: UInt16

    static func open(_ address: ListenAddress) throws -> ListeningSocket {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = address.host == nil ? AF_INET6 : AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(address.host, String(address.port), &hints, &list)
        if status != 0 {
            if address.host == nil { return try openIPv4Any(address) }
            throw RuntimeError("resolving listen address \(address): \(String(cString: gai_strerror(status)))",
                               hint: "Check --web.listen-address")
        }
        defer { freeaddrinfo(list) }
        var lastError = RuntimeError("no usable address for \(address)")
        var entry = list
        while let info = entry {
            entry = info.pointee.ai_next
            do {
                return try bindAndListen(family: info.pointee.ai_family, address: info.pointee.ai_addr,
                                         length: info.pointee.ai_addrlen, display: address)
            } catch let error as RuntimeError {
                lastError = error
                if error.errno == .addressInUse || error.errno == .permissionDenied { break }
            }
        }
        if address.host == nil, lastError.errno == .addressFamilyNotSupported { return try openIPv4Any(address) }
        throw lastError
    }

    private static func openIPv4Any(_ address: ListenAddress) throws -> ListeningSocket {
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = address.port.bigEndian
        return try withUnsafePointer(to: &sin) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                try bindAndListen(family: AF_INET, address: $0, length: socklen_t(MemoryLayout<sockaddr_in>.size),
                                  display: address)
            }
        }
    }

    private static func bindAndListen(family: Int32, address: UnsafePointer<sockaddr>!, length: socklen_t,
                                      display: ListenAddress) throws -> ListeningSocket {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw RuntimeError("creating a socket for \(display)", errno: Errno(rawValue: errno)) }
        var on: Int32 = 1, off: Int32 = 0
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        // `:port` means every address, IPv4 included, on the one IPv6 socket.
        if family == AF_INET6 && display.host == nil {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &off, socklen_t(MemoryLayout<Int32>.size))
        }
        if bind(fd, address, length) != 0 {
            let error = Errno(rawValue: errno)
            close(fd)
            throw RuntimeError("listening on \(display)", errno: error,
                               hint: error == .addressInUse
                                   ? "Another process (perhaps another dropledger) has that port; pick another with --web.listen-address"
                                   : "Check --web.listen-address")
        }
        if listen(fd, 128) != 0 {
            let error = Errno(rawValue: errno)
            close(fd)
            throw RuntimeError("listening on \(display)", errno: error)
        }
        var bound = sockaddr_storage()
        var boundLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let port: UInt16 = withUnsafeMutablePointer(to: &bound) { storage in
            storage.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &boundLength) }
            if Int32(storage.pointee.ss_family) == AF_INET6 {
                return storage.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
            return storage.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
        return ListeningSocket(fd: fd, port: port)
    }
}
