import CLinux
import Glibc

/// The terminal for `top`: keys without Enter or echo, an alternate screen, and
/// everything put back as it was on exit. Without a terminal it just prints.
final class Terminal {
    private var saved = termios()
    private let interactive = isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1

    init() {
        guard interactive else { return }
        tcgetattr(STDIN_FILENO, &saved)
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG)  // ISIG off: Ctrl-C arrives as a key
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw)
        write("\u{1B}[?1049h\u{1B}[?25l")  // alternate screen, hide the cursor
    }

    func restore() {
        guard interactive else { return }
        write("\u{1B}[?25h\u{1B}[?1049l")
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
    }

    var size: (rows: Int, columns: Int) {
        var rows: UInt16 = 0, columns: UInt16 = 0
        guard dl_terminal_size(STDOUT_FILENO, &rows, &columns) == 0, rows > 0, columns > 0 else { return (24, 100) }
        return (Int(rows), Int(columns))
    }

    func draw(_ screen: String) {
        write(interactive ? "\u{1B}[H\u{1B}[2J" + screen.replacingNewlines() : screen + "\n")
    }

    /// Waits up to `seconds` for q, Q or Ctrl-C; true if one came.
    func waitForQuit(seconds: Double) -> Bool {
        guard interactive else {
            usleep(UInt32(seconds * 1_000_000))
            return false
        }
        var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, Int32(seconds * 1000)) > 0 else { return false }
        var key: UInt8 = 0
        return read(STDIN_FILENO, &key, 1) == 1 && (key == UInt8(ascii: "q") || key == UInt8(ascii: "Q") || key == 3)
    }

    private func write(_ text: String) {
        var text = text
        _ = text.withUTF8 { Glibc.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
    }
}

private extension String {
    /// Raw mode keeps output processing, but be explicit: each line starts at column 0.
    func replacingNewlines() -> String { split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n") }
}
