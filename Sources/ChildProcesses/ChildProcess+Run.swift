extension ChildProcess {
    /// What a child that ran to completion left.
    public struct Outcome: Sendable {
        public let exit: Exit
        public let stdout: String
        public let stderr: String
    }

    /// Runs `arguments` to completion with `input` on its standard input. Input and
    /// output go through unlinked temporary files, not pipes: no write can block on a
    /// child that does not read, and nothing the child leaves running can keep a read
    /// from ending.
    public static func run(_ arguments: [String], input: String? = nil) throws -> Outcome {
        let stdin = try TemporaryFile(), stdout = try TemporaryFile(), stderr = try TemporaryFile()
        if let input { try stdin.write(input) }
        let child = try ChildProcess(arguments, stdin: stdin.fd, stdout: stdout.fd, stderr: stderr.fd)
        let exit = child.waitUntilExit()
        return Outcome(exit: exit, stdout: stdout.contents(), stderr: stderr.contents())
    }
}
