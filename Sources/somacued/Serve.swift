import ArgumentParser
import SomacueCore
import SomacueLibrary
import SomacueDaemon
import SomacueEngine
import SomacueMPRIS
import SomacuePlatform

extension LivePlayer: PlayerControl {}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the daemon in the foreground (what systemd and `somacue start` run).",
        discussion: """
            Listens on --socket, else $SOMACUE_SOCKET, else $XDG_RUNTIME_DIR/somacue/socket;
            under socket activation (somacued.socket) on the socket systemd passes instead.
            SIGTERM or SIGINT fade out and exit 0; SIGHUP reloads config, sessions and voices.
            The protocol is described in docs/PROTOCOL.md.
            """)
    @Option(help: ArgumentHelp("Control socket path.", valueName: "path")) var socket: String?
    @OptionGroup var common: Common

    func run() throws {
        // Before any thread starts: heap blocks freed by the decoders go back to the system.
        Platform.limitHeapRetention()
        let logger = DaemonLogger()
        // A socket from systemd (somacued.socket) is used as it is; only without one is a path chosen and bound.
        let inherited: SocketActivation.Inherited?
        switch SocketActivation.take() {
        case .success(let passed): inherited = passed
        case .failure(let failure):
            Platform.writeStderr("somacued: \(failure)")
            throw ExitCode(ExitStatus.usage)
        }
        let socketPath: String
        if let inherited {
            socketPath = inherited.path
        } else {
            do { socketPath = try ControlServer.socketPath(explicit: socket) } catch {
                Platform.writeStderr("somacued: \(error)")
                throw ExitCode(error.exitStatus)
            }
        }
        let player: LivePlayer
        do {
            let paths = try Paths.discover()
            player = try LivePlayer(paths: paths, configPath: common.config) { level, line in
                switch level {
                case .info: logger.info(line)
                case .warning: logger.warning(line)
                }
            }
        } catch {
            Platform.writeStderr(error.message)
            throw ExitCode(error.status)
        }
        let server = ControlServer(socketPath: socketPath, config: player.config, player: player,
                                   appVersion: somacueVersion, logger: logger, inherited: inherited)
        // Runs on the server's thread, inside the reload it triggered.
        player.onReload = { [unowned server] in server.updateLimits($0) }
        // Media keys, headset buttons and playerctl; without a session bus, one log line.
        let mpris = MPRISService.connect(player: player, logger: logger)
        if let mpris { server.add(source: mpris) }
        var relay: StderrRelay?
        defer { relay?.finish() }
        do {
            // Socket first (another daemon means exit 75 before touching the device), then the
            // session a previous daemon left, then serve.
            try server.bind()
            // From here on, what ALSA and PortAudio print on stderr is logged with a priority.
            relay = StderrRelay.start(logger: logger)
            player.restoreSavedSession()
            try server.run()
        } catch {
            if case .alreadyRunning = error {
                Platform.writeStderr("somacued: already running (socket \(socketPath)); `somacue status` talks to it")
                throw ExitCode(ExitStatus.tempFail)
            }
            logger.error("\(error)")
            throw ExitCode(error.exitStatus)
        }
    }
}
