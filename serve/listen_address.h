// Where `berth serve` listens, and why it cannot: the listening socket's options and the
// diagnosis of a failed bind, each naming the flag to change (--host or --port).
// The socket gets SO_REUSEADDR only. cpp-httplib's default is SO_REUSEPORT, with which a second
// `berth serve` on a port another one listens on started anyway and the kernel split the
// requests between the two models.
#pragma once

#include <string>

namespace berth::serve {

// Throws a usage error naming --host when `host` is neither an IP address nor a name that
// resolves. Dotted numbers are read as an address only (999.1.1.1 is refused at once, not
// looked up in DNS).
void check_listen_host(const std::string& host);

// The options of the listening socket (for httplib::Server::set_socket_options).
void set_listen_socket_options(int sock);

// Raises the bound socket's accept queue to the system's maximum (SOMAXCONN, capped by
// net.core.somaxconn). cpp-httplib 0.11 listens with a backlog of 5: a burst of 16 clients
// connecting at once overflowed it, and the kernel dropped their SYNs (a 1 s retransmit) or
// their handshake's last ACK (a client that never got an answer).
void raise_listen_backlog(int sock);

// The usage error for a bind of host:port that failed, from binding a probe socket the same way:
// the port in use, an address this machine does not have, a privileged port, or errno's text.
[[noreturn]] void throw_bind_failure(const std::string& host, int port);

}  // namespace berth::serve
