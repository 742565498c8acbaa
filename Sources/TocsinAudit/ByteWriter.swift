/// Writes UTF-8 into a buffer its caller sized (an audit entry's hashed fields, an audit detail's JSON): whole
/// strings copied, numbers without a temporary string, every write checked against the size.
struct ByteWriter {
    let buffer: UnsafeMutableBufferPointer<UInt8>
    private(set) var end = 0

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) { self.buffer = buffer }

    mutating func put(_ byte: UInt8) {
        // Checked in release builds too: a wrong size estimate must stop the daemon, never write past the string.
        precondition(end < buffer.count, "the buffer is sized from these fields")
        buffer[end] = byte
        end += 1
    }

    mutating func put(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            guard let source = bytes.baseAddress else { return }
            precondition(end + bytes.count <= buffer.count, "the buffer is sized from these fields")
            (buffer.baseAddress! + end).update(from: source, count: bytes.count)
            end += bytes.count
        }
    }

    /// A text that needs no escape, in quotes.
    mutating func putQuoted(_ text: String) {
        put(UInt8(ascii: "\""))
        put(text)
        put(UInt8(ascii: "\""))
    }

    /// `number` in decimal, as `String(number)` writes it.
    mutating func put(_ number: Int64) {
        if number < 0 { put(UInt8(ascii: "-")) }
        var magnitude = number.magnitude
        let first = end
        repeat {
            put(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        var low = first, high = end - 1
        while low < high {
            buffer.swapAt(low, high)
            low += 1
            high -= 1
        }
    }
}
