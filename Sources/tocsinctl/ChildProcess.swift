import Glibc

/// A helper program run to completion with `posix_spawn`, in place of Foundation's `Process` (Foundation proper,
/// which tocsinctl does not link: see EssentialText.swift in TocsinText).
enum ChildProcess {
    /// What `tool` writes on its standard output when given `input` on its standard input, or nil when it cannot
    /// start or exits with a failure. Its standard error is dropped. The input is written whole before the output is
    /// read: fine for the small inputs given here (a pipe holds 64 KiB), a deadlock for large ones.
    static func output(of tool: String, arguments: [String], input: [UInt8]) -> [UInt8]? {
        var toChild: [Int32] = [-1, -1], fromChild: [Int32] = [-1, -1]
        guard pipe(&toChild) == 0 else { return nil }
        guard pipe(&fromChild) == 0 else {
            close(toChild[0]); close(toChild[1])
            return nil
        }
        // Close-on-exec, so the child keeps only the ends given to it as 0 and 1 (dup2 clears the flag on those).
        // Set after `pipe`, not atomically (Glibc's module has no `pipe2`): no other thread of tocsinctl spawns.
        for end in toChild + fromChild { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], STDIN_FILENO)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], STDOUT_FILENO)
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0)

        let argv = ([tool] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let started = posix_spawn(&pid, tool, &actions, nil, argv, environ)
        close(toChild[0]); close(fromChild[1])
        guard started == 0 else {
            close(toChild[1]); close(fromChild[0])
            return nil
        }
        // A tool that exits before reading must not end tocsinctl with SIGPIPE: the write fails, the exit says why.
        let previous = signal(SIGPIPE, SIG_IGN)
        Console.put(input, to: toChild[1])
        close(toChild[1])
        signal(SIGPIPE, previous)
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fromChild[0], &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            output += buffer[..<count]
        }
        close(fromChild[0])
        var status: Int32 = 0
        var waited: pid_t
        repeat { waited = waitpid(pid, &status, 0) } while waited < 0 && errno == EINTR
        // Reaped (not ECHILD), exited (low 7 bits zero) with status 0.
        return waited == pid && status & 0x7F == 0 && (status >> 8) & 0xFF == 0 ? output : nil
    }
}
