#if canImport(Glibc)
import Glibc
#endif
import SomacuePlatform

/// sd_notify(3) without libsystemd: one datagram to `$NOTIFY_SOCKET` (a path, or an abstract
/// name when it starts with '@'). The protocol is documented as stable; doing nothing when the
/// variable is unset is what sd_notify does too.
///
/// Returns true when the message was sent, false when there is no notify socket or sending
/// failed (a daemon keeps running either way).
@discardableResult
public func systemdNotify(_ message: String, socket target: String? = Platform.env("NOTIFY_SOCKET")) -> Bool {
    guard let target, !target.isEmpty else { return false }
    var name = Array(target.utf8)
    let abstract = name.first == UInt8(ascii: "@")
    if abstract { name.removeFirst() }
    guard target.hasPrefix("/") || abstract else { return false }
    let fd = socket(AF_UNIX, UnixSocket.datagramFlags, 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var payload = Array(message.utf8)
    let sent = UnixSocket.withAddress(name, abstract: abstract) { address, length in
        payload.withUnsafeMutableBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), address, length) }
    }
    return sent == payload.count
}
