import Glibc

/// CLOCK_BOOTTIME: monotonic across suspend, the same for every process on the host,
/// so a tagger's attach time and an exporter's start compare.
enum BootClock {
    static func nanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_BOOTTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
