import Foundation

/// A child process started with posix_spawn and reaped with waitpid.
///
/// Not Foundation's `Process`: its `waitUntilExit()` was seen to hang here on a
/// child that had already exited (a zombie nobody reaped), wedging the suite.
final class ChildProcess: @unchecked Sendable {
    let processIdentifier: pid_t
    private var status: Int32?
    private let lock = NSLock()

    /// Starts `arguments` (PATH is searched) with stdin from /dev/null and stdout and
    /// stderr to the given descriptors (or /dev/null).
    init(_ arguments: [String], stdout: Int32? = nil, stderr: Int32? = nil, stdin: Int32? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdin { posix_spawn_file_actions_adddup2(&actions, stdin, 0) } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        if let stdout { posix_spawn_file_actions_adddup2(&actions, stdout, 1) } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        if let stderr { posix_spawn_file_actions_adddup2(&actions, stderr, 2) } else {
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
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
        let err = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, environ)
        guard err == 0 else {
            throw Command.Failure(command: arguments, status: -1, output: String(cString: strerror(err)))
        }
        processIdentifier = pid
    }

    var isRunning: Bool { reap(blocking: false) == nil }

    func waitUntilExit() { _ = reap(blocking: true) }

    /// The exit code, or the signal number if a signal ended it (as `Process` reports it).
    var terminationStatus: Int32 { reap(blocking: true) ?? -1 }

    func terminate() { kill(processIdentifier, SIGTERM) }

    private func reap(blocking: Bool) -> Int32? {
        lock.lock()
        defer { lock.unlock() }
        if let status { return status }
        var raw: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(processIdentifier, &raw, blocking ? 0 : WNOHANG) } while result < 0 && errno == EINTR
        guard result == processIdentifier else { return nil }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as macros.
        let signal = raw & 0x7f
        status = signal == 0 ? (raw >> 8) & 0xff : signal
        return status
    }
}
