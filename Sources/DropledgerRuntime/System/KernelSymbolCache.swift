import DropledgerCore
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
                state.symbols = KernelSymbols(kallsyms: (try? ProcFiles.read("/proc/kallsyms")) ?? "")
                state.loadedAt = now
            }
            return state.symbols?.function(containing: address)
        }
    }
}
