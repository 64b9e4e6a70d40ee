/// Text from /proc that does not have the expected shape.
public enum ProcParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `/proc/self/stat` has no `)` closing the command name.
    case missingCommandEnd
    /// `/proc/self/stat` has fewer fields than needed.
    case tooFewStatFields(found: Int)
    /// A field that should be a number is not.
    case notANumber(field: String, text: String)
    /// `/proc/stat` has no `btime` line.
    case missingBootTime
    /// `/proc/self/limits` has no `Max open files` line.
    case missingOpenFilesLimit

    public var description: String {
        switch self {
        case .missingCommandEnd: return "/proc/self/stat: no ')' closing the command name"
        case .tooFewStatFields(let found): return "/proc/self/stat: only \(found) fields after the command name, need 22"
        case .notANumber(let field, let text): return "\(field): '\(text)' is not a number"
        case .missingBootTime: return "/proc/stat: no btime line"
        case .missingOpenFilesLimit: return "/proc/self/limits: no 'Max open files' line"
        }
    }
}
