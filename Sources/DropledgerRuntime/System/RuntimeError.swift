import SystemPackage

/// A failure of the runtime layer, carrying the errno and the operation that failed,
/// and saying what a user can do about it.
public struct RuntimeError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let errno: Errno?
    public let hint: String?

    public init(_ operation: String, errno: Errno? = nil, hint: String? = nil) {
        self.operation = operation
        self.errno = errno
        self.hint = hint
    }

    /// Builds an error from a libbpf-style return value (`-errno`) or the C `errno`.
    package static func libbpf(_ operation: String, returned code: Int32, hint: String? = nil) -> RuntimeError {
        RuntimeError(operation, errno: Errno(rawValue: code < 0 ? -code : Glibc.errno), hint: hint)
    }

    public var description: String {
        var text = operation
        if let errno { text += ": \(errno.description) (errno \(errno.rawValue))" }
        if let hint { text += ". \(hint)" }
        return text
    }
}

import Glibc
