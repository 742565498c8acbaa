import ArgumentParser
import FoundationEssentials
import Glibc

/// Output helpers: human text to stdout, problems to stderr, JSON lines for scripts.
enum Console {
    static func error(_ text: String) {
        put("tocsinctl: \(text)\n", to: STDERR_FILENO)
    }

    static func note(_ text: String) {
        put("\(text)\n", to: STDERR_FILENO)
    }

    static func jsonLine(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return }
        out(data + Data("\n".utf8))
    }

    static func json(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        guard let data = try? encoder.encode(value) else { return }
        out(data + Data("\n".utf8))
    }

    /// Raw text to standard output, unbuffered (streams such as `audit export`).
    static func write(_ text: String) {
        guard !text.isEmpty else { return }
        out(text.utf8)
    }

    /// Standard output, whole or the command fails: a full disk under `audit export > file` must not leave a cut
    /// export behind an exit 0 (cut at an entry's end, it would even verify).
    private static func out(_ bytes: some Collection<UInt8>) {
        guard let failure = put(bytes, to: STDOUT_FILENO) else { return }
        standardOutputFailed(failure)
    }

    /// Says why standard output could not be written and ends tocsinctl with exit 1 at once: `_exit`, so that the
    /// exit handler does not try (and say) it again.
    private static func standardOutputFailed(_ code: Int32) -> Never {
        let reason = String(cString: strerror(code))
        error(tr("impossible d'écrire la sortie standard (détail en anglais : \(reason))", "cannot write standard output: \(reason)"))
        _exit(Exit.someFailed.rawValue)
    }

    /// All of `bytes` to `descriptor`, unbuffered, as FileHandle wrote them (FileHandle is in Foundation proper,
    /// which tocsinctl does not link: see EssentialText.swift in TocsinText); the errno when a write failed.
    @discardableResult
    static func put(_ bytes: some Collection<UInt8>, to descriptor: Int32) -> Int32? {
        Array(bytes).withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
    }

    @discardableResult
    static func put(_ text: String, to descriptor: Int32) -> Int32? { put(text.utf8, to: descriptor) }

    /// At exit, as gnulib's `close_stdout` does: what stdio still holds for standard output (the screens written with
    /// `print`, `--version`, `--help`) is written, and a failure to write it ends tocsinctl with exit 1 and the reason
    /// instead of a silent success. A standard output closed from the start (EBADF) is not a failure.
    static func closeStandardOutput() {
        // Every stream (`stdout` itself is a C global Swift 6 will not read unsynchronised); standard error is
        // unbuffered, so what is left to write is standard output's.
        guard fflush(nil) != 0, errno != EBADF else { return }
        standardOutputFailed(errno)
    }

    /// The text of the file at `path`, or the command ends (exit 2) saying why it cannot be read.
    static func readText(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch let failure {
            let reason = reason(failure)
            error(tr("impossible de lire \(path) (détail en anglais : \(reason))", "cannot read \(path): \(reason)"))
            throw Exit.usage
        }
    }

    /// Why a file could not be read or written, in the system's words ("No such file or directory"), in place of
    /// `localizedDescription` (Foundation proper).
    static func reason(_ error: any Error) -> String {
        if let posix = ((error as? CocoaError)?.underlying ?? error) as? POSIXError {
            return String(cString: strerror(posix.code.rawValue))
        }
        if let cocoa = error as? CocoaError, [.fileReadCorruptFile, .fileReadInapplicableStringEncoding].contains(cocoa.code) {
            // What `String(contentsOfFile:encoding: .utf8)` throws for a DER key or a binary file.
            return "not UTF-8 text"
        }
        return "\(error)"
    }

    static var isTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    /// Whether standard input is a terminal: only then are missing values asked for (a pipe fails as before).
    static var inputIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// ANSI colour only on a terminal, and never when `NO_COLOR` is set (no-color.org: set to anything non-empty).
    static func colours(_ descriptor: Int32) -> Bool {
        guard isatty(descriptor) == 1 else { return false }
        let noColour = ProcessInfo.processInfo.environment["NO_COLOR"] ?? ""
        return noColour.isEmpty && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    /// `text` in bold white on red when `on`; unchanged otherwise (a pipe, a log, `NO_COLOR`).
    static func alarm(_ text: String, on: Bool) -> String {
        on ? "\u{1B}[1;97;41m\(text)\u{1B}[0m" : text
    }

    /// Pushes buffered standard output out now: into a pipe (`| tee`) it is block-buffered, and progress must
    /// show as it happens, not when the command ends. `fflush(nil)` flushes every stream.
    static func flush() { fflush(nil) }

    /// Reads one line of confirmation from standard input (terminal or pipe); nil at end of input.
    static func ask(_ prompt: String) -> String? {
        put(prompt, to: STDERR_FILENO)
        return readLine(strippingNewline: true)
    }

    /// Like ``ask(_:)``, without echoing what is typed on a terminal (a password). Ctrl-C while asked gives the
    /// terminal its echo back before the program ends.
    static func askSecret(_ prompt: String) -> String? {
        guard inputIsTerminal, tcgetattr(STDIN_FILENO, &echoingTerminal) == 0 else { return ask(prompt) }
        var quiet = echoingTerminal
        quiet.c_lflag &= ~tcflag_t(ECHO)
        signal(SIGINT) { _ in
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &echoingTerminal)
            _exit(130)
        }
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &echoingTerminal)
            signal(SIGINT, SIG_DFL)
            put("\n", to: STDERR_FILENO)
        }
        return ask(prompt)
    }

    /// `text` cut to `width` characters, with "…" as the last one when something was left out, so that a cut never
    /// passes for the whole.
    static func cut(_ text: String, _ width: Int) -> String {
        text.count <= width ? text : String(text.prefix(width - 1)) + "…"
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}

/// The terminal's settings while a secret is asked for, for the SIGINT handler to restore (a C handler captures
/// nothing; only the main thread asks).
nonisolated(unsafe) private var echoingTerminal = termios()
