import Foundation

/// A command in a detached tmux pane, read as a person would see it (`top`).
final class TmuxPane {
    let session: String

    init(_ command: String, columns: Int = 120, rows: Int = 20) throws {
        session = "dl\(getpid())-\(UUID().uuidString.prefix(6))"
        // The tmux server must not inherit our pipes, or reading them never ends.
        try Command.run(["bash", "-c", "tmux new-session -d -s \(session) -x \(columns) -y \(rows) '\(command)' >/dev/null 2>&1 </dev/null"])
    }

    deinit { _ = try? Command.capture(["tmux", "kill-session", "-t", session]) }

    /// The screen once `ready` holds for it, or after `tries` reads 0.2 s apart.
    func screen(tries: Int = 30, until ready: (String) -> Bool) throws -> String {
        var screen = ""
        for _ in 0..<tries {
            Thread.sleep(forTimeInterval: 0.2)
            screen = try Command.run(["tmux", "capture-pane", "-p", "-t", session])
            if ready(screen) { break }
        }
        return screen
    }

    func send(keys: String) throws { try Command.run(["tmux", "send-keys", "-t", session, keys]) }
}
