import CBPFPrograms
import Logging
import Synchronization

/// Routes libbpf's messages into swift-log, and keeps the most recent ones so a
/// failed load can show the verifier's last lines in its error.
public final class LibBPFLog: Sendable {
    public static let shared = LibBPFLog()

    private struct State {
        var logger = Logger(label: "dropledger.libbpf")
        var recent: [String] = []
    }
    private let state = Mutex(State())
    private static let kept = 40

    private init() {}

    /// Starts routing; libbpf otherwise prints straight to stderr.
    public func install(logger: Logger) {
        state.withLock { $0.logger = logger }
        dl_libbpf_set_log { level, line in
            guard let line else { return }
            LibBPFLog.shared.record(level: level, line: String(cString: line))
        }
    }

    private func record(level: Int32, line: String) {
        state.withLock { state in
            state.recent.append(line)
            if state.recent.count > Self.kept { state.recent.removeFirst(state.recent.count - Self.kept) }
            // libbpf's levels: 0 warn, 1 info, 2 debug. Its warnings are only
            // interesting when something fails, and the failure reports them.
            state.logger.debug("\(line)", metadata: ["libbpf_level": "\(level)"])
        }
    }

    /// The last `count` lines libbpf logged, e.g. the tail of a verifier log.
    public func recentLines(_ count: Int = 12) -> [String] {
        state.withLock { Array($0.recent.suffix(count)) }
    }

    func clearRecent() {
        state.withLock { $0.recent.removeAll() }
    }
}
