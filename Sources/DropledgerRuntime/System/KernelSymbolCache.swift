import DropledgerCore
import Glibc
import Synchronization

/// `/proc/kallsyms`, read on first use and again (at most once a minute) when an
/// address is not covered, e.g. after a module was loaded.
final class KernelSymbolCache: Sendable {
    private struct State {
        var symbols: KernelSymbols?
        var loadedAt: Double = 0
    }
    private let state = Mutex(State())

    func function(containing address: UInt64, now: Double) -> String? {
        state.withLock { state in
            if state.symbols == nil || (state.symbols?.function(containing: address) == nil && now - state.loadedAt > 60) {
                state.symbols = KernelSymbols(kallsyms: Self.readKallsyms())
                state.loadedAt = now
            }
            return state.symbols?.function(containing: address)
        }
    }

    /// `/proc/kallsyms` shows addresses only to an opener with CAP_SYSLOG (when
    /// kptr_restrict is 1), and decides it when the file is opened. Opened here while
    /// the process still has it, the descriptor keeps showing addresses after the
    /// capability is dropped: rereading it (rewound) also covers modules loaded later.
    static let heldKallsyms = Mutex<Int32>(-1)

    /// Opens and keeps `/proc/kallsyms` (see `heldKallsyms`); call before dropping capabilities.
    public static func holdKallsyms() {
        heldKallsyms.withLock { fd in
            if fd < 0 { fd = open("/proc/kallsyms", O_RDONLY | O_CLOEXEC) }
        }
    }

    private static func readKallsyms() -> String {
        let held: String? = heldKallsyms.withLock { fd in
            guard fd >= 0, lseek(fd, 0, SEEK_SET) == 0 else { return nil }
            return try? ProcFiles.readAll(fd, "/proc/kallsyms")
        }
        return held ?? (try? ProcFiles.read("/proc/kallsyms")) ?? ""
    }
}
