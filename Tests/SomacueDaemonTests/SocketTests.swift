import Foundation
import Glibc
import Testing
import SomacueCore
import SomacuePlatform
@testable import SomacueDaemon

func fileMode(_ path: String) -> (type: mode_t, permissions: mode_t, inode: UInt64)? {
    var st = stat()
    guard lstat(path, &st) == 0 else { return nil }
    return (st.st_mode & S_IFMT, st.st_mode & 0o7777, UInt64(st.st_ino))
}

/// Leaves a socket file nobody listens on, as a crashed daemon does.
func makeStaleSocket(at path: String) throws {
    try FileManager.default.createDirectory(atPath: Platform.dirname(path), withIntermediateDirectories: true)
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    let rc = UnixSocket.withAddress(Array(path.utf8)) { bind(fd, $0, $1) } ?? -1
    guard rc == 0 else { throw HarnessError("bind \(path): \(errno)") }
}

@Suite("Socket file, modes, ownership and peers")
struct SocketTests {
    @Test func directoryIs0700AndSocketIs0600() throws {
        let h = Harness(socketName: "a/b/socket")
        try h.start()
        defer { h.cleanup() }
        #expect(fileMode(h.directory + "/a")?.permissions == 0o700)
        #expect(fileMode(h.directory + "/a/b")?.permissions == 0o700)
        let socketMode = fileMode(h.path)
        #expect(socketMode?.type == S_IFSOCK)
        #expect(socketMode?.permissions == 0o600)
        _ = try h.connectGreeted()
    }

    @Test func staleSocketIsReplaced() throws {
        let directory = makeTempDirectory()
        let path = directory + "/run/somacue/socket"
        try makeStaleSocket(at: path)
        #expect(fileMode(path)?.type == S_IFSOCK)
        let h = Harness(directory: directory)
        try h.start()
        defer { h.cleanup() }
        #expect(h.log.contains("removed the stale socket"))
        #expect(fileMode(path)?.permissions == 0o600)
        _ = try h.connectGreeted()
    }

    @Test func secondServerOnTheSamePathIsAlreadyRunning() throws {
        let first = Harness()
        try first.start()
        defer { first.cleanup() }
        let inode = fileMode(first.path)?.inode
        let second = Harness(directory: first.directory)
        #expect(throws: ServerError.alreadyRunning(first.path)) { try second.server.bind() }
        #expect(ServerError.alreadyRunning(first.path).description == "already running (socket \(first.path))")
        #expect(ServerError.alreadyRunning(first.path).exitStatus == 75)
        // run() refuses the same way, and neither touches the live socket.
        #expect(throws: ServerError.alreadyRunning(first.path)) { try second.server.run() }
        #expect(fileMode(first.path)?.inode == inode)
        _ = try first.connectGreeted()
    }

    @Test func nonSocketFileIsLeftAlone() throws {
        let directory = makeTempDirectory()
        defer { removeTree(directory) }
        let path = directory + "/socket"
        try Platform.writeFile(path, "not a socket\n")
        let h = Harness(socketName: "socket", directory: directory)
        #expect(throws: ServerError.notASocket(path)) { try h.server.bind() }
        #expect(Platform.fileType(path) == .regular)
        #expect(ServerError.notASocket(path).description.contains("is not a socket"))
    }

    @Test func overlongPathIsRefusedClearly() throws {
        let directory = makeTempDirectory()
        defer { removeTree(directory) }
        let name = String(repeating: "d", count: 60) + "/" + String(repeating: "s", count: 60)
        let h = Harness(socketName: name, directory: directory)
        let path = directory + "/" + name
        #expect(throws: ServerError.pathTooLong(path, limit: 107)) { try h.server.bind() }
        #expect(ServerError.pathTooLong(path, limit: 107).description.contains("longer than the 107"))
        #expect(!Platform.exists(directory + "/" + String(repeating: "d", count: 60)))
    }

    @Test func shutdownRemovesOnlyItsOwnSocketFile() throws {
        let h = Harness()
        try h.start()
        defer { removeTree(h.directory) }
        h.stop()
        #expect(!Platform.exists(h.path))

        // A file that replaced ours meanwhile (another daemon's) survives our shutdown.
        let other = Harness(directory: makeTempDirectory())
        try other.start()
        unlink(other.path)
        try makeStaleSocket(at: other.path)
        let replacement = fileMode(other.path)?.inode
        other.stop()
        #expect(fileMode(other.path)?.inode == replacement)
        removeTree(other.directory)
    }

    @Test func otherUsersAreRefusedWithoutAGreeting() throws {
        // Tests often run as root; a different allowed uid makes this process "another user".
        let h = Harness(allowedUID: getuid() &+ 4242)
        try h.start()
        defer { h.cleanup() }
        let c = try h.connect()
        #expect(c.waitForEOF())
        #expect(c.unreadByteCount == 0, "sent something to a refused peer")
        #expect(h.log.contains("refused a connection from uid \(getuid())"))
        #expect(h.player.clientCount == 0)
    }

    /// Environment variables are process-wide: everything that touches them is in this one test.
    @Test func socketPathResolution() throws {
        let saved = ["SOMACUE_SOCKET", "XDG_RUNTIME_DIR"].map { ($0, Platform.env($0)) }
        defer {
            for (name, value) in saved {
                if let value { setenv(name, value, 1) } else { unsetenv(name) }
            }
        }
        setenv("SOMACUE_SOCKET", "/tmp/from-env.sock", 1)
        setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1)
        #expect(try ControlServer.socketPath(explicit: "/explicit/socket") == "/explicit/socket")
        #expect(try ControlServer.socketPath(explicit: "rel.sock") == Platform.currentDirectory() + "/rel.sock")
        #expect(try ControlServer.socketPath(explicit: nil) == "/tmp/from-env.sock")
        #expect(try ControlServer.socketPath(explicit: "") == "/tmp/from-env.sock")
        setenv("SOMACUE_SOCKET", "", 1)
        #expect(try ControlServer.socketPath(explicit: nil) == "/run/user/1000/somacue/socket")
        unsetenv("SOMACUE_SOCKET")
        #expect(try ControlServer.socketPath(explicit: nil) == "/run/user/1000/somacue/socket")
        #expect(try Platform.controlSocketPath(explicit: nil).get() == "/run/user/1000/somacue/socket")
        unsetenv("XDG_RUNTIME_DIR")
        let message = "XDG_RUNTIME_DIR is not set; pass --socket PATH or set SOMACUE_SOCKET"
        #expect(throws: ServerError.noSocketPath(message)) { try ControlServer.socketPath(explicit: nil) }
        #expect(Platform.controlSocketPath(explicit: nil) == .failure(SocketPathError(message)))
        setenv("XDG_RUNTIME_DIR", "relative/dir", 1)
        #expect(throws: (any Error).self) { try ControlServer.socketPath(explicit: nil) }
    }
}
