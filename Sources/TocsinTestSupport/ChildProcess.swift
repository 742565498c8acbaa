import Foundation
import Glibc

/// Where a child's standard stream goes.
public enum ChildStream {
    /// This process's own stream.
    case inherit
    /// `/dev/null`.
    case null
    /// A pipe: the child gets the end it uses (reading for its input, writing for its output), and that end is closed
    /// here once the child has started, so the other end sees the end of the stream when the child closes it. So a
    /// pipe serves one launch (one child may have it as both output and error).
    case pipe(Pipe)
    /// An open file (a log), shared with the child.
    case file(FileHandle)
}

/// Child processes of the tests, started with `posix_spawn` rather than Foundation's `Process`.
///
/// `Process.run` crashed the test process in two clean-clone CI runs (SIGSEGV in `memmove`). AddressSanitizer named
/// the cause: to emulate close-on-exec it lists `/proc/self/fd`, and copies each entry's whole 256-byte `d_name`
/// from `readdir`'s buffer, past its end when the entry is the buffer's last (`findMaximumOpenFromProcSelfFD`; fixed
/// in swift-corelibs-foundation by #5472, after the Foundation of Swift 6.3.1). Serialising launches could not help. It also left children with the launching
/// thread's blocked signals (a pool thread blocks SIGTERM). Here a launch is one `posix_spawn`, and the exit is awaited
/// by a thread of the child's own.
public enum ChildProcess {
    /// Starts `executable` (a path) with `arguments`, as a shell would: its own process group, no signal blocked or
    /// ignored, and no descriptor of this process but the three given (a pipe another test holds must never stay
    /// open in this child, or that test would wait for an end of stream forever).
    /// - Parameter environment: the child's whole environment; nil for this process's.
    public static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        standardInput: ChildStream = .inherit, standardOutput: ChildStream = .inherit, standardError: ChildStream = .inherit
    ) throws -> ProcessExit {
        // The child's ends of its pipes are closed here whatever happens: once it has them, or when it cannot start.
        var closeHere: [FileHandle] = []
        for case (.pipe(let pipe), let reads) in [(standardInput, true), (standardOutput, false), (standardError, false)] {
            let end = reads ? pipe.fileHandleForReading : pipe.fileHandleForWriting
            if !closeHere.contains(where: { $0 === end }) { closeHere.append(end) }
        }
        defer { for handle in closeHere { try? handle.close() } }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var codes: [Int32] = []
        for (stream, target) in [(standardInput, STDIN_FILENO), (standardOutput, STDOUT_FILENO), (standardError, STDERR_FILENO)] {
            switch stream {
            case .inherit:
                break
            case .null:
                codes.append(posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0))
            case .pipe(let pipe):
                // A closed handle's descriptor is -1, refused here (EBADF): a pipe serves one launch.
                let end = target == STDIN_FILENO ? pipe.fileHandleForReading : pipe.fileHandleForWriting
                codes.append(posix_spawn_file_actions_adddup2(&actions, end.fileDescriptor, target))
            case .file(let handle):
                codes.append(posix_spawn_file_actions_adddup2(&actions, handle.fileDescriptor, target))
            }
        }
        guard let addCloseFrom = Self.addCloseFrom else {
            throw TestSupportError("cannot start \(executable): this C library has no posix_spawn_file_actions_addclosefrom_np (glibc 2.34 or later)")
        }
        codes.append(addCloseFrom(&actions, 3))

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        codes.append(posix_spawnattr_setsigmask(&attributes, &none))
        codes.append(posix_spawnattr_setsigdefault(&attributes, &all))
        codes.append(posix_spawnattr_setpgroup(&attributes, 0))
        codes.append(posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)))
        if let failed = codes.first(where: { $0 != 0 }) {
            throw TestSupportError("cannot start \(executable): its streams or attributes were refused (\(String(cString: strerror(failed))))")
        }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard code == 0 else {
            throw TestSupportError("cannot start \(executable): \(String(cString: strerror(code)))")
        }
        return ProcessExit(watching: pid)
    }

    /// Starts `executable` with both output streams in the file at `logPath`, through one descriptor so that their
    /// lines interleave instead of overwriting each other. The file is created if missing; `appending` keeps what it
    /// holds (a restarted daemon's log), otherwise it starts empty.
    public static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        standardInput: ChildStream = .inherit, logTo logPath: String, appending: Bool = false
    ) throws -> ProcessExit {
        let descriptor = open(logPath, O_WRONLY | O_CREAT | O_CLOEXEC | (appending ? O_APPEND : O_TRUNC), 0o644)
        guard descriptor >= 0 else { throw TestSupportError("cannot open \(logPath): \(String(cString: strerror(errno)))") }
        let log = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        defer { try? log.close() }
        return try spawn(
            executable, arguments, environment: environment, standardInput: standardInput, standardOutput: .file(log), standardError: .file(log)
        )
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34, Debian 12 has 2.36), looked up at run time: its
    /// header declares it only under `_GNU_SOURCE`, which Swift's Glibc module is not built with.
    private static let addCloseFrom: AddCloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: AddCloseFrom.self) }
}

/// The exit of a child process, awaited without holding a cooperative-pool thread.
public final class ProcessExit: @unchecked Sendable {
    private let lock = NSLock()
    private var status: Int32?
    private var waiters: [CheckedContinuation<Int32, Never>] = []
    private var callbacks: [@Sendable () -> Void] = []
    /// The child's process id.
    public let pid: Int32

    fileprivate init(watching pid: pid_t) {
        self.pid = pid
        Thread { [self] in
            // Waits for the end without reaping (`WNOWAIT`), then reaps under the lock that `signal` takes: until then
            // the id is still this child's (a zombie at worst), so a signal can never reach a process that took it.
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
            lock.lock()
            var status: Int32 = 0
            var waited: pid_t
            repeat { waited = waitpid(pid, &status, 0) } while waited < 0 && errno == EINTR
            let ended = waited == pid ? Self.reported(status) : -1
            self.status = ended
            let (waiters, callbacks) = (self.waiters, self.callbacks)
            self.waiters = []
            self.callbacks = []
            lock.unlock()
            for waiter in waiters { waiter.resume(returning: ended) }
            for callback in callbacks { callback() }
        }.start()
    }

    /// As Foundation's `terminationStatus` reported it: the exit status, or the number of the signal that ended it.
    static func reported(_ waitStatus: Int32) -> Int32 {
        let signal = waitStatus & 0x7F
        return signal == 0 ? (waitStatus >> 8) & 0xFF : signal
    }

    /// The exit status (or the signal's number), once the process has ended.
    public var exitStatus: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return status
    }

    public var hasExited: Bool { exitStatus != nil }

    /// Sends `signal` unless the process has ended (and so may have given its id to another).
    public func signal(_ signal: Int32) {
        lock.lock()
        defer { lock.unlock() }
        if status == nil { kill(pid, signal) }
    }

    /// Waits for the end; a cancelled task kills the process (SIGKILL) rather than wait on it forever.
    @discardableResult
    public func wait() async -> Int32 {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
                lock.lock()
                if let status {
                    lock.unlock()
                    continuation.resume(returning: status)
                } else {
                    waiters.append(continuation)
                    lock.unlock()
                }
            }
        } onCancel: {
            signal(SIGKILL)
        }
    }

    /// Calls `body` (on the watching thread, or at once) when the process has ended: clean-up from a `defer`.
    public func whenExited(_ body: @escaping @Sendable () -> Void) {
        lock.lock()
        guard status != nil else {
            callbacks.append(body)
            return lock.unlock()
        }
        lock.unlock()
        body()
    }
}
