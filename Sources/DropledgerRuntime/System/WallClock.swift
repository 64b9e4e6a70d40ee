import Glibc

enum WallClock {
    /// Unix time in seconds: when the API says a customer was first and last seen.
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
