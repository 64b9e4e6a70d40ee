import DropledgerCore
import Glibc
import Synchronization
import SystemPackage

/// `--customers FILE`, read at start and again on `reload()` (SIGHUP). A file that
/// fails to read or parse at a reload leaves the names as they were.
public final class CustomerNamesFile: Sendable {
    public let path: String
    private let current: Mutex<CustomerNames>
    private let fixed: Bool

    /// Reads `path` now: a missing or bad file is an error at start.
    public init(path: String) throws {
        self.path = path
        current = Mutex(try Self.read(path))
        fixed = false
    }

    /// Names that are not in a file (the demo's); `source` stands for the path in messages.
    public init(fixed names: CustomerNames, source: String) {
        path = source
        current = Mutex(names)
        fixed = true
    }

    public var names: CustomerNames { current.withLock { $0 } }

    public func name(of id: UInt64) -> String? { current.withLock { $0[id] } }

    /// Reads the file again; on error the names stay as they were and the error says why.
    @discardableResult
    public func reload() throws -> Int {
        if fixed { return self.names.count }
        let names = try Self.read(path)
        current.withLock { $0 = names }
        return names.count
    }

    static func read(_ path: String) throws -> CustomerNames {
        let text: String
        do {
            text = try ProcFiles.read(path)
        } catch let error as RuntimeError {
            throw RuntimeError("reading the customer names: \(error.operation)", errno: error.errno,
                               hint: "--customers takes a readable file of 'ID NAME' lines")
        }
        do {
            return try CustomerNames.parse(text, file: path)
        } catch {
            throw RuntimeError("\(error)")
        }
    }
}
