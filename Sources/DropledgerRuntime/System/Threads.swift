import Glibc

/// A plain OS thread for the loops that must not share a cooperative pool
/// (the ring consumer blocks in epoll; traffic threads move into namespaces).
enum Threads {
    static func start(_ body: @escaping @Sendable () -> Void) throws -> pthread_t {
        let box = Unmanaged.passRetained(Body(body))
        var handle = pthread_t()
        let err = pthread_create(&handle, nil, { raw in
            Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, box.toOpaque())
        if err != 0 {
            box.release()
            throw RuntimeError("starting a thread", errno: .init(rawValue: err))
        }
        return handle
    }

    private final class Body: Sendable {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }
}
