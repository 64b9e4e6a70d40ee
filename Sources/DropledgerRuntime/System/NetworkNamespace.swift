import CLinux
import Glibc
import Synchronization

/// Moves the calling thread into a named network namespace (`ip netns` names):
/// sockets it opens afterwards live there. Other threads are not affected.
public enum NetworkNamespace {
    /// Runs `body` on a thread inside the namespace `name` and waits for it:
    /// the caller's own thread stays where it is.
    public static func run<T: Sendable>(in name: String, _ body: @escaping @Sendable () throws -> T) throws -> T {
        try run(inPath: "/run/netns/\(name)", body)
    }

    /// The same, for a namespace file such as /proc/PID/ns/net.
    public static func run<T: Sendable>(inPath path: String, _ body: @escaping @Sendable () throws -> T) throws -> T {
        let result = Mutex<Result<T, any Error>?>(nil)
        let thread = try Threads.start {
            let outcome = Result { () throws -> T in
                try enter(path: path)
                return try body()
            }
            result.withLock { $0 = outcome }
        }
        pthread_join(thread, nil)
        return try result.withLock { $0! }.get()
    }

    package static func enter(_ name: String) throws {
        try enter(path: "/run/netns/\(name)")
    }

    static func enter(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw RuntimeError("opening network namespace \(path)", errno: .init(rawValue: errno)) }
        defer { close(fd) }
        if dl_enter_netns(fd) != 0 {
            throw RuntimeError("entering network namespace \(path)", errno: .init(rawValue: errno))
        }
    }
}
