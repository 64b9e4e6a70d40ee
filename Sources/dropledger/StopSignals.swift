import Glibc

/// SIGINT and SIGTERM (and, for `serve`, SIGHUP), blocked in every thread started
/// afterwards and taken synchronously by the main thread, so shutdown and reloads
/// run in one known place.
struct StopSignals {
    private var set = sigset_t()

    /// `reload`: SIGHUP too, which `wait` then returns like a stop signal.
    static func block(reload: Bool = false) -> StopSignals {
        var signals = StopSignals()
        sigemptyset(&signals.set)
        sigaddset(&signals.set, SIGINT)
        sigaddset(&signals.set, SIGTERM)
        if reload { sigaddset(&signals.set, SIGHUP) }
        pthread_sigmask(SIG_BLOCK, &signals.set, nil)
        return signals
    }

    /// Whether a stop signal is waiting (without waiting for one).
    mutating func pending() -> Bool {
        var waiting = sigset_t()
        sigpending(&waiting)
        return sigismember(&waiting, SIGINT) == 1 || sigismember(&waiting, SIGTERM) == 1
    }

    /// Waits for a stop signal, or at most `milliseconds`; returns the signal, nil on time-out.
    mutating func wait(milliseconds: UInt32) -> Int32? {
        var timeout = timespec(tv_sec: Int(milliseconds / 1000), tv_nsec: Int(milliseconds % 1000) * 1_000_000)
        let received = sigtimedwait(&set, nil, &timeout)
        return received > 0 ? received : nil
    }

    /// Waits for a stop signal, or at most `seconds`; returns the signal, nil on time-out.
    mutating func wait(seconds: UInt32? = nil) -> Int32? {
        guard let seconds else {
            var received: Int32 = 0
            sigwait(&set, &received)
            return received
        }
        var timeout = timespec(tv_sec: Int(seconds), tv_nsec: 0)
        let received = sigtimedwait(&set, nil, &timeout)
        return received > 0 ? received : nil
    }
}
