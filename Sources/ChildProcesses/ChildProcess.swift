import CLinux
import Glibc
import Synchronization

/// A child process for synchronous code: the demo's network tools and the
/// integration tests' commands, exporters and servers.
///
/// Started with posix_spawn: PATH searched, the signal mask cleared and every handler
/// back to its default (the exporter blocks its stop signals and may ignore others),
/// no descriptor inherited but the three it is given. Its standard input, output and
/// error are descriptors the caller owns, or /dev/null: no pipe between the two
/// processes, so neither can block the other.
///
/// Waiting blocks without the lock (`waitid` with `WNOWAIT` leaves the child to be
/// reaped); only the non-blocking reap and `kill` take it, so a signal never reaches a
/// pid that was reaped and reused. A child still running at `deinit` is killed and reaped.
///
/// Not Foundation's `Process`: its `waitUntilExit()` once hung here on a child that had
/// exited, and it would link Foundation into the exporter. Not swift-subprocess: it is
/// async and finishes each run on Swift's cooperative pool, so synchronous callers
/// blocked on that pool (test bodies run there) can starve it; the tests hung that way.
public final class ChildProcess: Sendable {
    public let processIdentifier: pid_t
    /// How it ended, once reaped.
    private let exit = Mutex<Exit?>(nil)

    /// Starts `arguments` with its standard streams on the given descriptors; nil is /dev/null.
    public init(_ arguments: [String], stdin: Int32? = nil, stdout: Int32? = nil, stderr: Int32? = nil) throws {
        precondition(!arguments.isEmpty, "no command")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, fd, flags) in [(Int32(0), stdin, O_RDONLY), (1, stdout, O_WRONLY), (2, stderr, O_WRONLY)] {
            if let fd { posix_spawn_file_actions_adddup2(&actions, fd, target) } else {
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", flags, 0)
            }
        }
        dl_spawn_close_from(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), everySignal = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&everySignal)
        sigdelset(&everySignal, SIGKILL)
        sigdelset(&everySignal, SIGSTOP)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &everySignal)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let error = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, environ)
        guard error == 0 else { throw SpawnError(arguments: arguments, errno: error) }
        processIdentifier = pid
    }

    deinit {
        if isRunning { kill(SIGKILL) }
        waitUntilExit()
    }

    public var isRunning: Bool { reap() == nil }

    /// SIGTERM, as systemd and Kubernetes stop a service.
    public func terminate() { kill(SIGTERM) }

    /// Sends `signal` unless the child has been reaped.
    public func kill(_ signal: Int32) {
        exit.withLock { exit in
            if exit == nil { _ = Glibc.kill(processIdentifier, signal) }
        }
    }

    /// Waits until the child has exited, and reaps it.
    @discardableResult
    public func waitUntilExit() -> Exit {
        if let exit = reap() { return exit }
        var info = siginfo_t()
        var waited: Int32
        repeat {
            waited = waitid(P_PID, id_t(processIdentifier), &info, WEXITED | WNOWAIT)
        } while waited < 0 && errno == EINTR
        // Exited (or reaped by another waiter meanwhile): the reap cannot block now.
        return reap() ?? .unknown(reason: "waitid: \(String(cString: strerror(errno)))")
    }

    /// The exit code, or the signal's number if a signal ended it (as Foundation's
    /// `Process` reports it); waits for the exit.
    public var terminationStatus: Int32 { waitUntilExit().code }

    /// How it ended if it has ended, reaping it; never blocks.
    private func reap() -> Exit? {
        exit.withLock { exit in
            if let exit { return exit }
            var status: Int32 = 0
            var result: pid_t
            repeat { result = waitpid(processIdentifier, &status, WNOHANG) } while result < 0 && errno == EINTR
            if result == processIdentifier {
                exit = Exit(waitStatus: status)
            } else if result < 0 {
                // Reaped by someone else (a waitpid(-1), or SIGCHLD ignored): its status is gone.
                exit = .unknown(reason: "waitpid: \(String(cString: strerror(errno)))")
            }
            return exit
        }
    }

    /// How a child ended.
    public enum Exit: Equatable, Sendable, CustomStringConvertible {
        case exited(Int32)
        case killed(signal: Int32)
        /// It was reaped by someone else, so how it ended is not known.
        case unknown(reason: String)

        /// WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as macros.
        init(waitStatus status: Int32) {
            let signal = status & 0x7f
            self = signal == 0 ? .exited((status >> 8) & 0xff) : .killed(signal: signal)
        }

        public var code: Int32 {
            switch self {
            case .exited(let code), .killed(signal: let code): code
            case .unknown: -1
            }
        }

        public var description: String {
            switch self {
            case .exited(let code): "exited \(code)"
            case .killed(let signal): "killed by signal \(signal)"
            case .unknown(let reason): "ended unobserved (\(reason))"
            }
        }
    }

    /// The child could not be started.
    public struct SpawnError: Error, CustomStringConvertible {
        public let arguments: [String]
        /// posix_spawn's error: ENOENT when the program is not on PATH.
        public let errno: Int32
        public var description: String {
            "starting `\(arguments.joined(separator: " "))`: \(String(cString: strerror(errno)))"
        }
    }
}
