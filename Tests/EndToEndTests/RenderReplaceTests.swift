import Foundation
import Glibc
import Testing

/// A render replaces its output file only when it has finished: a full disk, a missing
/// permission or a signal leaves the old file as it was, and the message says what failed and
/// where, never libsndfile's raw wording (issue 6, defect 5). Before the fix the old file was
/// truncated at once and a full disk gave "Unspecified internal error" or "This is a bug in
/// libsndfile" (and "Not a valid error number (-1)." on stdout).
@Suite("Render replaces files safely", .serialized)
struct RenderReplaceTests {
    static let session = "gluteal-release"
    static let rawWordings = ["This is a bug in libsndfile", "Not a valid error number", "Unspecified internal error",
                              "flac decoder", "libsndfile error -1"]

    func render(_ output: String, session: String = RenderReplaceTests.session, env: [String: String]? = nil) throws -> E2E.Result {
        try E2E.run(E2E.somacue, ["render", session, "-o", output], env: env)
    }

    func expectNoRawWording(_ r: E2E.Result, _ context: String) {
        for w in Self.rawWordings {
            #expect(!r.stderr.contains(w) && !r.stdout.contains(w), "\(context): \(w) reached the user: \(r.stdout) \(r.stderr)")
        }
    }

    func leftovers(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.contains(".somacue-") }
    }

    /// A 512 KiB tmpfs fills after about 2.7 s of the render: every format fails, the old file
    /// keeps its bytes, no temporary file is left, and the message names the file and the cause.
    @Test func fullDiskKeepsTheOldFile() throws {
        let mountPoint = E2E.tempDir("tmpfs")
        let mounted = try E2E.run("/bin/mount", ["-t", "tmpfs", "-o", "size=512k", "tmpfs", mountPoint.path],
                                  env: ProcessInfo.processInfo.environment)
        try #require(mounted.status == 0, "cannot mount a tmpfs: \(mounted.stderr)")
        defer { _ = try? E2E.run("/bin/umount", [mountPoint.path], env: ProcessInfo.processInfo.environment) }
        for ext in ["wav", "flac", "ogg", "opus"] {
            let old = mountPoint.appendingPathComponent("old.\(ext)").path
            let original = Data("the previous render\n".utf8)
            FileManager.default.createFile(atPath: old, contents: original)
            let r = try render(old)
            #expect(r.status == 73, "\(ext): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains("cannot write \(old)"), "\(ext): \(r.stderr)")
            #expect(r.stderr.contains("the disk is full"), "\(ext): \(r.stderr)")
            #expect(r.stderr.contains("\(old) is unchanged"), "\(ext): \(r.stderr)")
            expectNoRawWording(r, ext)
            #expect(FileManager.default.contents(atPath: old) == original, "\(ext): the old file was changed")
            #expect(leftovers(mountPoint.path).isEmpty, "\(ext): \(leftovers(mountPoint.path))")

            let fresh = mountPoint.appendingPathComponent("new.\(ext)").path
            let n = try render(fresh)
            #expect(n.status == 73)
            #expect(n.stderr.contains("nothing was written"), "\(ext): \(n.stderr)")
            #expect(!FileManager.default.fileExists(atPath: fresh))
            #expect(leftovers(mountPoint.path).isEmpty)
            try FileManager.default.removeItem(atPath: old)
        }
    }

    /// /dev/full through a symlink named like an audio file: written in place (the symlink and
    /// the device stay), and a full disk is reported as such in every format.
    @Test func devFullIsWrittenInPlaceAndReportedClearly() throws {
        let dir = E2E.tempDir("devfull")
        for ext in ["wav", "flac", "ogg", "opus"] {
            let link = dir.appendingPathComponent("full.\(ext)").path
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/dev/full")
            let r = try render(link)
            #expect(r.status == 73, "\(ext): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains("cannot write \(link)"), "\(ext): \(r.stderr)")
            #expect(r.stderr.contains("the disk is full (No space left on device)"), "\(ext): \(r.stderr)")
            expectNoRawWording(r, ext)
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == "/dev/full")
        }
        #expect(leftovers(dir.path).isEmpty)
        #expect(leftovers("/dev").isEmpty)
        var st = stat()
        #expect(stat("/dev/full", &st) == 0 && st.st_mode & S_IFMT == S_IFCHR)
    }

    /// A successful render replaces the file (keeping its mode), follows a symlink to the file it
    /// names, and writes /dev/null in place (WAV when the name has no extension).
    @Test func successReplacesTheTargetOfALink() throws {
        let dir = E2E.tempDir("replace")
        let real = dir.appendingPathComponent("real.wav").path
        FileManager.default.createFile(atPath: real, contents: Data("old".utf8))
        #expect(chmod(real, 0o640) == 0)
        let link = dir.appendingPathComponent("link.wav").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "real.wav")
        let r = try render(link)
        #expect(r.status == 0, "\(r.stderr)")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == "real.wav", "the link was replaced")
        let samples = try E2E.wavSamples(URL(fileURLWithPath: real)).samples
        #expect(samples.count > 48_000)
        var st = stat()
        #expect(stat(real, &st) == 0 && st.st_mode & 0o777 == 0o640)
        #expect(leftovers(dir.path).isEmpty)

        let fresh = dir.appendingPathComponent("sub/x.wav").path
        let missing = try render(fresh)
        #expect(missing.status == 73)
        #expect(missing.stderr.contains("cannot write \(fresh): the folder \(dir.path)/sub does not exist"), "\(missing.stderr)")

        let null = try render("/dev/null")
        #expect(null.status == 0, "\(null.stderr)")
        var dn = stat()
        #expect(stat("/dev/null", &dn) == 0 && dn.st_mode & S_IFMT == S_IFCHR)
    }

    /// A folder the user may not write to: "permission denied", and the old file is kept.
    @Test(.enabled(if: E2E.nobodyCanRunTheBuild, "user nobody cannot reach this checkout (a private directory)"))
    func permissionDeniedNamesTheCause() throws {
        let top = E2E.tempDir("perm")
        #expect(chmod(top.path, 0o755) == 0)
        let dir = top.appendingPathComponent("readonly")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let old = dir.appendingPathComponent("old.wav").path
        FileManager.default.createFile(atPath: old, contents: Data("old".utf8))
        #expect(chmod(old, 0o666) == 0)
        #expect(chmod(dir.path, 0o755) == 0)
        var env = E2E.cleanEnvironment()
        let home = top.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        #expect(chown(home.path, 65_534, 65_534) == 0)
        env["HOME"] = home.path
        env["XDG_CONFIG_HOME"] = home.appendingPathComponent(".config").path
        env["XDG_CACHE_HOME"] = home.appendingPathComponent(".cache").path
        let r = try E2E.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups",
                                                 E2E.somacue, "render", Self.session, "-o", old], env: env)
        #expect(r.status == 73, "\(r.status): \(r.stderr)")
        #expect(r.stderr.contains("cannot write \(old): cannot create a file in \(dir.path): Permission denied"), "\(r.stderr)")
        #expect(FileManager.default.contents(atPath: old) == Data("old".utf8))
    }

    /// SIGTERM in the middle of a render removes the temporary file and keeps the old one.
    @Test func signalDuringRenderKeepsTheOldFile() throws {
        let dir = E2E.tempDir("signal")
        let old = dir.appendingPathComponent("long.flac").path
        FileManager.default.createFile(atPath: old, contents: Data("old".utf8))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: E2E.somacue)
        p.arguments = ["render", "release-the-lower-back", "-o", old, "--lead-in", "600"]
        p.environment = E2E.cleanEnvironment()
        p.standardError = FileHandle.nullDevice
        try p.run()
        var sawTemporary = false
        for _ in 0..<12_000 where p.isRunning {
            if !leftovers(dir.path).isEmpty { sawTemporary = true; break }
            usleep(5_000)
        }
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        try #require(sawTemporary, "the render ended before its temporary file was seen")
        #expect(p.terminationStatus == 128 + SIGTERM)
        #expect(FileManager.default.contents(atPath: old) == Data("old".utf8))
        #expect(leftovers(dir.path).isEmpty, "\(leftovers(dir.path))")
    }
}
