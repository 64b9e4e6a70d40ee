import DropledgerCore

/// A prefixes file (`CIDR CUSTOMER` lines) read into a table; errors name the file and line.
public enum PrefixesFile {
    public static func read(_ path: String, into table: inout PrefixTable) throws {
        let contents = try ProcFiles.read(path)
        try table.add(file: contents, name: path)
    }
}
