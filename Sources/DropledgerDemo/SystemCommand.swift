import CLinux
import DropledgerRuntime
import Glibc

/// Runs the system's network tools (ip, nft, ethtool) for the demo lab.
///
/// posix_spawn rather than Foundation's Process: Foundation would add some 50 MB
/// to a binary that links its runtime statically, for four short commands.
enum SystemCommand {
    @discardableResult
    static func run(_ arguments: [String], input: String? = nil) throws -> String {
        var stdinPipe: [Int32] = [-1, -1], outputPipe: [Int32] = [-1, -1]
        guard dl_pipe_cloexec(&stdinPipe) == 0, dl_pipe_cloexec(&outputPipe) == 0 else {
            throw RuntimeError("creating a pipe for \(arguments[0])", errno: .init(rawValue: errno))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 2)
        // The exporter blocks its stop signals; the tools must not inherit that.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))

        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, environ)
        close(stdinPipe[0])
        close(outputPipe[1])
        defer { close(outputPipe[0]) }
        guard spawned == 0 else {
            close(stdinPipe[1])
            throw RuntimeError("running \(arguments[0])", errno: .init(rawValue: spawned), hint: "Install it (make deps) and retry")
        }
        if let input {
            _ = input.utf8CString.withUnsafeBytes { write(stdinPipe[1], $0.baseAddress, $0.count - 1) }
        }
        close(stdinPipe[1])
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(outputPipe[0], $0.baseAddress, $0.count) }
            if n <= 0 { break }
            output += chunk[..<n]
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = String(decoding: output, as: UTF8.self)
        guard status == 0 else {
            throw RuntimeError("`\(arguments.joined(separator: " "))` failed: \(text.trimmingSuffix("\n"))")
        }
        return text
    }
}
