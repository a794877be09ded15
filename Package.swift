// swift-tools-version:6.0
import PackageDescription

// Module layout (dependencies point downward only):
//   SomacueCore      pure Swift: units, TOML, models, pacing engine, timeline, JSON. No C, no I/O.
//   SomacuePlatform  Glibc only: files, directories, environment, terminals, process exec.
//   SomacueAudio     the only importer of libsndfile, PortAudio, libsamplerate and libebur128.
//   SomacueLibrary   the library on disk and planning (Glibc only, beside SomacueAudio): paths and
//                    config, sessions and exercises, voice packs, the cue-header cache's lookup,
//                    plan, and the listing verbs both executables run.
//   SomacueEngine    glue: prepared sessions, decoding, play and render, the live player.
//   SomacueMPRIS     the daemon as an MPRIS player on the session bus (the only importer of sd-bus).
//   somacued         engine executable (offline verbs; the daemon later).
//   somacue          the light controller: no audio library, no Foundation, fully static executable;
//                    answers the listing verbs itself when every cue header is cached.
// Links the Swift runtime (and FoundationEssentials, which ArgumentParser uses) statically: the
// CLI starts faster and the daemon idles in less memory. SwiftPM's --static-swift-stdlib adds
// the same libraries, but only for a whole build.
//
// SOMACUE_SANITIZE=1 (any value but empty or "0") is the one switch for sanitizer builds: it
// drops every static link flag, because a static runtime hides the sanitizers' interceptors
// (ASan then reports a false bad-free at the first getcwd and false leaks in the runtime; TSan
// crashes in the audio callback). Every static link setting of the package (`staticSwift`,
// `staticExecutable` below) is empty when it is set, so this switch stays the single place that
// decides. Use it with a scratch path of its own:
//   SOMACUE_SANITIZE=1 swift build --build-tests --sanitize=address --scratch-path .build-asan
let sanitizerBuild: Bool = {
    guard let value = Context.environment["SOMACUE_SANITIZE"] else { return false }
    return !value.isEmpty && value != "0"
}()
let staticSwift: [LinkerSetting] = sanitizerBuild ? [] : [
    .unsafeFlags(["-static-stdlib", "-l_FoundationCollections", "-l_FoundationCShims", "-lswiftSynchronization"]),
]

// The light CLI is one fully static executable: no dynamic loader, no relocations to apply, no
// libraries to look up, which is most of its start-up time otherwise. glibc's name-service
// functions (getpwuid_r, which FoundationEssentials links) would need NSS at run time in a static
// binary, so `somacue` makes no name-service lookups: it reads $HOME and the XDG variables only.
let staticExecutable: [LinkerSetting] = sanitizerBuild ? [] : [
    .unsafeFlags(["-static-executable", "-l_FoundationCollections", "-l_FoundationCShims", "-lswiftSynchronization"]),
]

let package = Package(
    name: "somacue",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "somacued", targets: ["somacued"]),
        .executable(name: "somacue", targets: ["somacue"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/ordo-one/malloc-interposer.git", from: "1.6.1"),
    ],
    targets: [
        .systemLibrary(name: "CSndFile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(name: "CPortAudio", pkgConfig: "portaudio-2.0", providers: [.apt(["portaudio19-dev"])]),
        .systemLibrary(name: "CSampleRate", pkgConfig: "samplerate", providers: [.apt(["libsamplerate0-dev"])]),
        // EBU R 128 loudness of voice cues; imported by SomacueAudio only.
        .systemLibrary(name: "CEbur128", pkgConfig: "libebur128", providers: [.apt(["libebur128-dev"])]),
        // sd-bus for MPRIS: imported by SomacueMPRIS only. CSomacueBus builds the object's vtables
        // (C macros Swift cannot expand).
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .target(name: "CSomacueBus", dependencies: ["CSystemd"]),
        .target(name: "SomacueCore"),
        .target(name: "SomacuePlatform", dependencies: ["SomacueCore"]),
        .target(name: "SomacueAudio", dependencies: ["SomacueCore", "SomacuePlatform", "CSndFile", "CPortAudio", "CSampleRate", "CEbur128"]),
        // The library on disk and planning: no audio library, so the light CLI links it too.
        .target(name: "SomacueLibrary", dependencies: ["SomacueCore", "SomacuePlatform"]),
        .target(name: "SomacueEngine", dependencies: ["SomacueCore", "SomacuePlatform", "SomacueLibrary", "SomacueAudio", "SomacueProtocol", "SomacueRecords"]),
        // What outlives a daemon: the practice history (and the saved session state).
        .target(name: "SomacueRecords", dependencies: ["SomacueCore", "SomacuePlatform", "SomacueProtocol"]),
        .target(name: "SomacueProtocol", dependencies: ["SomacueCore"]),
        // `somacue service install/uninstall`: files, units, manifest; Glibc only, for the light CLI.
        .target(name: "SomacueInstall", dependencies: ["SomacuePlatform"]),
        .target(name: "SomacueDaemon", dependencies: ["SomacueCore", "SomacueProtocol", "SomacuePlatform"]),
        .target(name: "SomacueMPRIS", dependencies: ["SomacueCore", "SomacueProtocol", "SomacuePlatform", "SomacueDaemon", "CSystemd", "CSomacueBus"]),
        .executableTarget(
            name: "somacued",
            dependencies: ["SomacueEngine", "SomacueLibrary", "SomacueDaemon", "SomacueMPRIS", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            // Static Swift runtime: the idle daemon stays under 15 MB resident.
            linkerSettings: staticSwift
        ),
        .executableTarget(
            name: "somacue",
            dependencies: ["SomacueCore", "SomacuePlatform", "SomacueLibrary", "SomacueProtocol", "SomacueInstall", "SomacueRecords", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            linkerSettings: staticExecutable
        ),
        // Test helper: drives the render kernel under the malloc interposer in a process of its own.
        .executableTarget(
            name: "somacue-alloc-probe",
            dependencies: ["SomacueAudio", "SomacueCore", .product(name: "MallocInterposerSwift", package: "malloc-interposer")]
        ),
        .testTarget(name: "SomacueCoreTests", dependencies: ["SomacueCore", "SomacueProtocol"]),
        .testTarget(name: "SomacueAudioTests", dependencies: ["SomacueAudio", "SomacueLibrary", "SomacueEngine"]),
        .testTarget(name: "EndToEndTests", dependencies: ["SomacueCore", "SomacuePlatform"], exclude: ["Fixtures"]),
        .testTarget(name: "SomacueProtocolTests", dependencies: ["SomacueProtocol"]),
        .testTarget(name: "SomacueDaemonTests", dependencies: ["SomacueDaemon"]),
    ],
    swiftLanguageModes: [.v6]
)
