import Foundation
import Testing

/// The real audio path: somacue play -> PortAudio -> ALSA -> a capture device, compared with
/// the offline render sample for sample. Each capture runs in its own process (the ALSA
/// variables are process-wide).
@Suite("Audio path", .serialized)
struct AudioPathTests {
    func alsaConfig(_ name: String) throws -> String {
        let path = E2E.alsaConf(name)
        try #require(FileManager.default.fileExists(atPath: path), "\(path) is missing")
        return path
    }

    @Test func playCaptureEqualsRender() throws {
        let dir = E2E.tempDir("capture")
        let session = CommandTests.shortSession
        let voice = CommandTests.testVoice.path
        let render = dir.appendingPathComponent("render.wav")
        let r = try E2E.run(E2E.somacue, ["render", session, "-o", render.path, "--voice", voice])
        #expect(r.status == 0, "\(r.stderr)")
        let capture = dir.appendingPathComponent("capture.wav")
        let env = E2E.cleanEnvironment(["ALSA_CONFIG_PATH": try alsaConfig("capture-wav.conf"), "SOMACUE_CAPTURE": capture.path])
        let p = try E2E.run(E2E.somacue, ["play", session, "--voice", voice], env: env)
        #expect(p.status == 0, "\(p.stderr)")
        #expect(!p.stderr.contains("ALSA lib") && !p.stderr.contains("jack"), "probe noise leaked: \(p.stderr)")
        let a = try E2E.wavSamples(render).samples
        let b = try E2E.wavSamples(capture).samples
        let fa = try #require(a.firstIndex { $0 != 0 })
        let fb = try #require(b.firstIndex { $0 != 0 })
        let offset = fb - fa
        #expect(offset >= 0 && offset % 2 == 0)
        try #require(b.count >= offset + a.count, "capture shorter than the render: \(b.count) < \(offset + a.count)")
        let aligned = Array(b[offset ..< offset + a.count])
        if aligned != a {
            let firstDiff = zip(aligned, a).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1
            Issue.record("capture differs from render at sample \(firstDiff) of \(a.count)")
        }
        #expect(b[(offset + a.count)...].allSatisfy { $0 == 0 }, "after the session the device hears only silence")
        #expect(b[..<offset].allSatisfy { $0 == 0 })
    }

    /// The same with a loud pacing guide (steady in the rests): the device receives the render's
    /// samples bit for bit, and the guide is really in them.
    @Test func playCaptureEqualsRenderWithTheGuide() throws {
        let dir = E2E.tempDir("capture-guide")
        defer { try? FileManager.default.removeItem(at: dir) }
        let session = CommandTests.shortSession
        let voice = CommandTests.testVoice.path
        let config = dir.appendingPathComponent("config.toml")
        try "[guide]\nenabled = true\nvolume = 0.3\npad_volume = 0.1\nrests = \"tone\"\n".write(to: config, atomically: true, encoding: .utf8)
        let off = dir.appendingPathComponent("off.toml")
        try "[guide]\nenabled = false\n".write(to: off, atomically: true, encoding: .utf8)
        let render = dir.appendingPathComponent("render.wav")
        let plain = dir.appendingPathComponent("plain.wav")
        for (file, cfg) in [(render, config), (plain, off)] {
            let r = try E2E.run(E2E.somacue, ["render", session, "-o", file.path, "--voice", voice, "--config", cfg.path])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let capture = dir.appendingPathComponent("capture.wav")
        let env = E2E.cleanEnvironment(["ALSA_CONFIG_PATH": try alsaConfig("capture-wav.conf"), "SOMACUE_CAPTURE": capture.path])
        let p = try E2E.run(E2E.somacue, ["play", session, "--voice", voice, "--config", config.path], env: env)
        #expect(p.status == 0, "\(p.stderr)")
        let a = try E2E.wavSamples(render).samples
        let b = try E2E.wavSamples(capture).samples
        let without = try E2E.wavSamples(plain).samples
        #expect(a.count == without.count)
        let differing = zip(a, without).filter { $0.0 != $0.1 }.count
        #expect(differing > a.count / 2, "the guide changes most samples: \(differing) of \(a.count)")
        let fa = try #require(a.firstIndex { $0 != 0 })
        let fb = try #require(b.firstIndex { $0 != 0 })
        let offset = fb - fa
        #expect(offset >= 0 && offset % 2 == 0)
        try #require(b.count >= offset + a.count, "capture shorter than the render: \(b.count) < \(offset + a.count)")
        let aligned = Array(b[offset ..< offset + a.count])
        if aligned != a {
            let firstDiff = zip(aligned, a).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1
            Issue.record("capture differs from render at sample \(firstDiff) of \(a.count)")
        }
        #expect(b[(offset + a.count)...].allSatisfy { $0 == 0 }, "after the session the device hears only silence")
    }

    @Test func devicesListsTheCaptureDevice() throws {
        let env = E2E.cleanEnvironment(["ALSA_CONFIG_PATH": try alsaConfig("capture-raw.conf"), "SOMACUE_CAPTURE": "/dev/null"])
        let r = try E2E.run(E2E.somacue, ["devices", "--json"], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        let list = try #require(try E2E.json(r.stdout) as? [[String: Any]])
        let def = try #require(list.first { $0["name"] as? String == "default" })
        #expect(def["default"] as? Bool == true)
        #expect((def["channels"] as? Int ?? 0) >= 2)
        #expect(def["sampleRate"] is Double || def["sampleRate"] is Int)
        #expect(def["index"] is Int)
        #expect(r.stderr.isEmpty, "probe noise leaked: \(r.stderr)")
        // Playing on a device chosen by a unique substring works.
        let p = try E2E.run(E2E.somacue, ["play", CommandTests.shortSession, "--voice", CommandTests.testVoice.path,
                                          "--device", "somacue_nu"], env: env)
        #expect(p.status == 0, "\(p.stderr)")
    }

    @Test func renderKernelDoesNotAllocate() throws {
        let probe = E2E.products.appendingPathComponent("somacue-alloc-probe").path
        let lib = E2E.products.appendingPathComponent("libMallocInterposerSwift.so").path
        try #require(FileManager.default.fileExists(atPath: lib), "malloc interposer not built at \(lib)")
        let r = try E2E.run(probe, [], env: E2E.cleanEnvironment(["LD_PRELOAD": lib]))
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("kernel=0 "), "\(r.stdout)")
        let control = r.stdout.split(separator: " ").first { $0.hasPrefix("control=") }.flatMap { Int($0.dropFirst(8)) } ?? 0
        #expect(control > 0, "the positive control must count an allocation: \(r.stdout)")
    }
}
