#include "serve/listen_address.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "common/error.h"

namespace berth::serve {

namespace {

struct AddrInfoFree {
  void operator()(addrinfo* a) const { freeaddrinfo(a); }
};
using AddrInfoPtr = std::unique_ptr<addrinfo, AddrInfoFree>;

// getaddrinfo as httplib calls it for a listening socket; the error code on failure.
AddrInfoPtr resolve(const std::string& host, int port, int* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  if (host.find_first_not_of("0123456789.") == std::string::npos) hints.ai_flags |= AI_NUMERICHOST;
  addrinfo* result = nullptr;
  *error = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &result);
  return AddrInfoPtr(*error == 0 ? result : nullptr);
}

const char* kHostHint = "use --host 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)";

}  // namespace

void check_listen_host(const std::string& host) {
  int error = 0;
  if (!resolve(host, 0, &error))
    throw usage_error("serve",
                      "--host " + host + " is not an IP address or a host name that resolves (" +
                          gai_strerror(error) + ")",
                      kHostHint);
}

void set_listen_socket_options(int sock) {
  int yes = 1;
  setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
}

void raise_listen_backlog(int sock) {
  // listen() on a listening socket only resizes its queue (Linux).
  if (sock >= 0) listen(sock, SOMAXCONN);
}

void throw_bind_failure(const std::string& host, int port) {
  const std::string where = host + ":" + std::to_string(port);
  int error = 0;
  AddrInfoPtr addrs = resolve(host, port, &error);
  if (!addrs) check_listen_host(host);  // throws
  int err = 0;
  for (addrinfo* a = addrs.get(); a; a = a->ai_next) {
    const int sock = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (sock < 0) {
      err = errno;
      continue;
    }
    set_listen_socket_options(sock);
    const bool bound = bind(sock, a->ai_addr, a->ai_addrlen) == 0 && listen(sock, 1) == 0;
    err = bound ? 0 : errno;
    close(sock);
    if (err != 0) break;
  }
  if (err == EADDRINUSE)
    throw usage_error("serve",
                      "cannot listen on " + where +
                          ": the port is in use (another berth serve, "
                          "or another program, listens there)",
                      "stop it, or pick another port with --port (0: any free port)");
  if (err == EADDRNOTAVAIL)
    throw usage_error(
        "serve",
        "cannot listen on " + where + ": --host " + host + " is not an address of this machine",
        kHostHint);
  if (err == EACCES)
    throw usage_error("serve", "cannot listen on " + where + ": ports below 1024 need privileges",
                      "pick a port of 1024 or more with --port");
  throw usage_error("serve",
                    "cannot listen on " + where + ": " +
                        (err ? std::strerror(err) : "the HTTP library refused it"),
                    "check --host and --port (0: any free port)");
}

}  // namespace berth::serve
