import Glibc
import SomacueCore
import SomacuePlatform

// Starting a daemon for `somacue start` when none answers: the sibling somacued (next to this
// executable, else on PATH) runs `serve --socket PATH` in a session of its own, with stdin from
// /dev/null and stdout and stderr appended to the log, and outlives this process.

struct SpawnFailure: Error {
    var message: String
}

/// True when SOMACUE_NO_SPAWN asks the controller never to start a daemon.
func spawningDisabledByEnvironment() -> Bool {
    guard let value = Platform.env("SOMACUE_NO_SPAWN")?.lowercased() else { return false }
    return !["0", "no", "false", "off"].contains(value)
}

/// Starts somacued for `socketPath` and waits up to `wait` seconds for it to answer there.
/// Returns a connected client whose greeting has been read.
func spawnDaemon(socketPath: String, wait: Double = 5) throws(SpawnFailure) -> ControlClient {
    let me = Platform.executablePath()
    guard let engine = Platform.findExecutable("somacued", besides: me) else {
        throw SpawnFailure(message: "no somacued answers on \(socketPath), and none was found next to \(me ?? "somacue") or on PATH to start; install both binaries together, or run `systemctl --user start somacued`")
    }
    guard let stateDir = ControlPaths.stateDirectory() else {
        throw SpawnFailure(message: "cannot start somacued: neither XDG_STATE_HOME nor HOME is set, so there is no place for its log")
    }
    let logPath = stateDir + "/somacued.log"
    do { try Platform.makeDirectories(stateDir, mode: 0o700) } catch {
        throw SpawnFailure(message: "cannot start somacued: cannot create \(stateDir) for its log: \(error)")
    }
    let logFD = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
    guard logFD >= 0 else {
        throw SpawnFailure(message: "cannot start somacued: cannot open its log \(logPath): \(Platform.errorText(errno))")
    }
    let logStart = lseek(logFD, 0, SEEK_END)
    let nullFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
    guard nullFD >= 0 else {
        close(logFD)
        throw SpawnFailure(message: "cannot start somacued: cannot open /dev/null: \(Platform.errorText(errno))")
    }

    // Everything the child needs is prepared before fork: after it, only async-signal-safe
    // calls (setsid, dup2, execv, _exit).
    var argv: [UnsafeMutablePointer<CChar>?] = [engine, "serve", "--socket", socketPath].map { (s: String) in strdup(s) }
    argv.append(nil)
    guard let enginePath = strdup(engine) else {
        throw SpawnFailure(message: "cannot start somacued: out of memory")
    }
    defer {
        for p in argv { free(p) }
        free(enginePath)
    }
    // Listed here because reading a directory is not safe between fork and exec.
    let inherited = Platform.listDirectory("/proc/self/fd").compactMap { Int32($0) }.filter { $0 > 2 }
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    let pid = fork()
    if pid == 0 {
        // A daemon starts with a clean slate: no signal blocked or ignored because the shell or
        // program that ran `somacue start` had it so (SIGTERM and SIGHUP must reach it).
        sigprocmask(SIG_SETMASK, &noSignals, nil)
        for sig: Int32 in 1..<32 where sig != SIGKILL && sig != SIGSTOP { _ = signal(sig, SIG_DFL) }
        _ = setsid()
        _ = dup2(nullFD, 0)
        _ = dup2(logFD, 1)
        _ = dup2(logFD, 2)
        // Nothing else the caller had open (a terminal's pipes, say) is handed to the daemon.
        for fd in inherited { _ = close(fd) }
        execv(enginePath, &argv)
        _exit(127)
    }
    let forkError = errno
    close(nullFD)
    close(logFD)
    guard pid > 0 else {
        throw SpawnFailure(message: "cannot start somacued: fork failed: \(Platform.errorText(forkError))")
    }

    // Poll the socket until it answers, the child exits, or the time is up.
    let deadline = Platform.monotonicSeconds() + wait
    var exitStatus: Int32?
    while true {
        if case .success(var client) = ControlClient.connect(socketPath, timeout: max(0.5, deadline - Platform.monotonicSeconds())) {
            do {
                try client.readGreeting()
                return client
            } catch {
                client.close()
            }
        }
        if exitStatus == nil {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { exitStatus = status }
        }
        if let status = exitStatus {
            // It may have lost a race to another daemon that now answers; one last look.
            if case .success(var client) = ControlClient.connect(socketPath), (try? client.readGreeting()) != nil { return client }
            let how = (status & 0x7F) == 0 ? "exited with status \((status >> 8) & 0xFF)" : "was killed by signal \(status & 0x7F)"
            throw SpawnFailure(message: "somacued \(how) before it answered on \(socketPath); see \(logPath)" + logTail(logPath, from: logStart))
        }
        if Platform.monotonicSeconds() >= deadline {
            throw SpawnFailure(message: "somacued (pid \(pid)) did not answer on \(socketPath) within \(formatNumber(wait)) s; see \(logPath)" + logTail(logPath, from: logStart))
        }
        Platform.sleep(seconds: 0.02)
    }
}

/// The last few lines the daemon wrote to its log since `offset`, indented, for an error message.
private func logTail(_ path: String, from offset: off_t) -> String {
    // Only the end of the log: it may be large, and five lines are wanted.
    let window = 16_384
    guard offset >= 0, let (fd, size) = try? Platform.openRegularFile(path, maxBytes: Int.max) else { return "" }
    defer { close(fd) }
    let start = max(Int(offset), size - window)
    guard start < size else { return "" }
    var bytes = [UInt8](repeating: 0, count: size - start)
    let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(start)) }
    guard n > 0 else { return "" }
    let lines = String(decoding: bytes[..<n], as: UTF8.self).split(separator: "\n").suffix(5)
    return lines.isEmpty ? "" : "\n" + lines.map { "  " + $0 }.joined(separator: "\n")
}
