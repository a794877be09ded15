#if canImport(Glibc)
import Glibc
#endif

/// Runs a program with an argument vector (never a shell), feeding `stdin` and collecting its
/// stderr; stdout goes to /dev/null. Used for TTS commands from the config.
public enum Subprocess {
    public struct Outcome: Sendable {
        /// Exit status, or 128 + signal number when it was killed.
        public var status: Int32
        public var stderr: String
    }

    public struct SpawnError: Error, Sendable, CustomStringConvertible {
        public var program: String
        public var errno: Int32
        public var description: String { "cannot run \(program): \(Platform.errorText(errno))" }
    }

    /// A pipe whose ends are closed in the child unless dup2'd onto 0-2.
    static func cloexecPipe(_ fds: inout [Int32]) -> Bool {
        guard pipe(&fds) == 0 else { return false }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return true
    }

    /// `argv[0]` is looked up on PATH when it has no "/". Blocks until the program exits.
    public static func run(_ argv: [String], stdin: String?) throws(SpawnError) -> Outcome {
        precondition(!argv.isEmpty, "a command needs a program")
        let program = argv[0].contains("/") ? argv[0] : (Platform.findExecutable(argv[0], besides: nil) ?? argv[0])
        var inPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard cloexecPipe(&inPipe) else { throw SpawnError(program: program, errno: errno) }
        guard cloexecPipe(&errPipe) else {
            let e = errno
            close(inPipe[0]); close(inPipe[1])
            throw SpawnError(program: program, errno: e)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) }
        cArgs.append(nil)
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, program, &actions, nil, &cArgs, environ)
        close(inPipe[0])
        close(errPipe[1])
        guard rc == 0 else {
            close(inPipe[1]); close(errPipe[0])
            throw SpawnError(program: program, errno: rc)
        }
        // A program that exits without reading its input must not kill us with SIGPIPE.
        let oldPipe = signal(SIGPIPE, SIG_IGN)
        if let stdin {
            var bytes = Array(stdin.utf8)
            var off = 0
            while off < bytes.count {
                let n = bytes.withUnsafeMutableBytes { write(inPipe[1], $0.baseAddress! + off, $0.count - off) }
                if n < 0 { if errno == EINTR { continue }; break }
                off += n
            }
        }
        close(inPipe[1])
        var err: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buf.withUnsafeMutableBytes { read(errPipe[0], $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            if err.count < 65_536 { err += buf[0..<n] }
        }
        close(errPipe[0])
        signal(SIGPIPE, oldPipe)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = status & 0x7f == 0
        return Outcome(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f),
                       stderr: String(decoding: err, as: UTF8.self))
    }
}

extension Subprocess {
    /// Runs a program (an absolute path) with no input and stderr to /dev/null, and returns its
    /// exit status and its stdout (at most `limit` bytes kept). For short queries such as a
    /// shell completion asking `somacued sessions --json`.
    public static func output(_ argv: [String], limit: Int = 4 << 20) throws(SpawnError) -> (status: Int32, stdout: [UInt8]) {
        precondition(!argv.isEmpty, "a command needs a program")
        let program = argv[0]
        var outPipe: [Int32] = [-1, -1]
        guard cloexecPipe(&outPipe) else { throw SpawnError(program: program, errno: errno) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) }
        cArgs.append(nil)
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, program, &actions, nil, &cArgs, environ)
        close(outPipe[1])
        guard rc == 0 else {
            close(outPipe[0])
            throw SpawnError(program: program, errno: rc)
        }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = buf.withUnsafeMutableBytes { read(outPipe[0], $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            if out.count < limit { out += buf[0..<min(n, limit - out.count)] }
        }
        close(outPipe[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = status & 0x7f == 0
        return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), out)
    }
}
