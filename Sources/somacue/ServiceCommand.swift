import ArgumentParser
import SomacueInstall
import SomacuePlatform

// `somacue service install|uninstall`: the work is in SomacueInstall; this only parses and prints.

struct Service: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Install somacue and its systemd user units, or remove them.",
        subcommands: [ServiceInstall.self, ServiceUninstall.self])
}

struct PrefixOption: ParsableArguments {
    @Option(help: ArgumentHelp("Install prefix (default ~/.local): binaries in PREFIX/bin, data in PREFIX/share/somacue.", valueName: "dir"), completion: .directory)
    var prefix: String?

    func layout() -> InstallLayout {
        switch InstallLayout.current(prefix: prefix) {
        case .success(let layout): return layout
        case .failure(let error): finish(.failure(error))
        }
    }
}

func finish(_ result: Result<[String], InstallError>) -> Never {
    switch result {
    case .success(let lines):
        Platform.writeStdout(lines.joined(separator: "\n") + "\n")
        Platform.exit(ExitStatus.ok)
    case .failure(let error):
        Platform.writeStderr("somacue: " + error.message)
        Platform.exit(error.status)
    }
}

struct ServiceInstall: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install the binaries, shipped data, systemd user units, completions and man pages.",
        discussion: """
            Copies somacue and somacued into PREFIX/bin, the sessions, exercises, voices, cues and \
            config.toml into PREFIX/share/somacue, somacued.service and somacued.socket into \
            ~/.config/systemd/user (ExecStart names the installed somacued), completions into \
            their XDG folders and man pages into PREFIX/share/man. Running it again refreshes \
            the install; files somacue did not install are never replaced without --force.
            """)
    @OptionGroup var prefix: PrefixOption
    @Flag(help: "Also run `systemctl --user daemon-reload` and `enable --now somacued.socket`.") var enable = false
    @Flag(help: "Replace files at the destinations that somacue did not install.") var force = false

    func run() { finish(ServiceInstaller.install(layout: prefix.layout(), force: force, enable: enable)) }
}

struct ServiceUninstall: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall",
        abstract: "Remove exactly what `service install` put in place (never your config, sessions, voices or history).")
    @OptionGroup var prefix: PrefixOption

    func run() { finish(ServiceInstaller.uninstall(layout: prefix.layout())) }
}
