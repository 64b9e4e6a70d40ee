import Glibc

/// A plain OS thread for the loops that must not share a cooperative pool
/// (the ring consumer blocks in epoll; traffic threads move into namespaces).
package enum Threads {
    package static func start(_ body: @escaping @Sendable () -> Void) throws -> pthread_t {
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

extension Threads {
    /// Moves a thread to SCHED_FIFO at `priority` (1-99); 0 leaves it at normal scheduling.
    /// Needs CAP_SYS_NICE: without it this throws and the thread keeps its priority.
    static func setRealtimePriority(_ thread: pthread_t, priority: Int32) throws {
        guard priority > 0 else { return }
        var parameters = sched_param(sched_priority: priority)
        let err = pthread_setschedparam(thread, SCHED_FIFO, &parameters)
        if err != 0 {
            throw RuntimeError("setting SCHED_FIFO priority \(priority) on the ring consumer", errno: .init(rawValue: err))
        }
    }
}
