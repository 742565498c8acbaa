import Foundation
#if canImport(Glibc)
import Glibc
#endif

// Foundation's `FileHandle` readers on Linux give up when read(2) is interrupted (EINTR): the throwing ones throw,
// the deprecated non-throwing ones (`readDataToEndOfFile`, `availableData`, `readData(ofLength:)`) trap, which once
// killed a whole CI run. Tests read their children's pipes and files through these instead, which retry.
extension FileHandle {
    /// At most `count` bytes from one read; empty at end of file.
    public func readRetrying(upTo count: Int) throws -> Data {
        var buffer = [UInt8](repeating: 0, count: count)
        while true {
            let got = buffer.withUnsafeMutableBytes { Glibc.read(fileDescriptor, $0.baseAddress, count) }
            if got >= 0 { return Data(buffer.prefix(got)) }
            guard errno == EINTR else { throw TestSupportError("read: \(String(cString: strerror(errno)))") }
        }
    }

    /// Everything up to end of file.
    public func readToEndRetrying() throws -> Data {
        var all = Data()
        while case let chunk = try readRetrying(upTo: 65_536), !chunk.isEmpty { all.append(chunk) }
        return all
    }

    /// The bytes before the next newline (read one at a time, so nothing after it is taken from the pipe), or what
    /// came before end of file.
    public func readLineRetrying() throws -> Data {
        var line = Data()
        while case let byte = try readRetrying(upTo: 1), let first = byte.first, first != UInt8(ascii: "\n") {
            line.append(first)
        }
        return line
    }
}
