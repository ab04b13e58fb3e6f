#include "server/metrics_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace samrad::server {
namespace {

constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// One fixed response per call; libmicrohttpd copies `body`.
MHD_Result Respond(MHD_Connection* connection, unsigned int status, const std::string& body,
                   const char* content_type) {
  MHD_Response* response = MHD_create_response_from_buffer(
      body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return MHD_NO;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
  const MHD_Result queued = MHD_queue_response(connection, status, response);
  MHD_destroy_response(response);
  return queued;
}

MHD_Result Answer(void* cls, MHD_Connection* connection, const char* url, const char* method,
                  const char* /*version*/, const char* /*upload_data*/, size_t* upload_data_size,
                  void** /*request_state*/) {
  if (*upload_data_size != 0) {
    *upload_data_size = 0;  // a body is read and ignored; the answer follows
    return MHD_YES;
  }
  if (std::strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
      std::strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
    return Respond(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET /metrics\n", "text/plain");
  }
  if (std::strcmp(url, "/metrics") != 0) {
    return Respond(connection, MHD_HTTP_NOT_FOUND, "not found; scrape /metrics\n", "text/plain");
  }
  const auto& render = *static_cast<std::function<std::string()>*>(cls);
  return Respond(connection, MHD_HTTP_OK, render(), kContentType);
}

}  // namespace

absl::StatusOr<MetricsEndpoint> ParseMetricsAddress(const std::string& address,
                                                    bool allow_non_loopback) {
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("metrics_address \"", address, "\": ", why));
  };
  std::string host;
  std::string port_text;
  if (!address.empty() && address[0] == '[') {
    const size_t close = address.find("]:");
    if (close == std::string::npos) return invalid("must be HOST:PORT or [IPV6]:PORT");
    host = address.substr(1, close - 1);
    port_text = address.substr(close + 2);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos || address.find(':') != colon) {
      return invalid("must be HOST:PORT or [IPV6]:PORT");
    }
    host = address.substr(0, colon);
    port_text = address.substr(colon + 1);
  }
  uint32_t port = 0;
  if (!absl::SimpleAtoi(port_text, &port) || port > 65535 || port_text.empty()) {
    return invalid("the port must be a number from 0 to 65535");
  }
  if (host == "localhost") host = "127.0.0.1";
  MetricsEndpoint endpoint;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&endpoint.address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&endpoint.address);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    endpoint.length = sizeof(sockaddr_in);
    endpoint.loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    endpoint.length = sizeof(sockaddr_in6);
    endpoint.loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
  } else {
    return invalid("HOST must be a numeric IP address or localhost");
  }
  if (!endpoint.loopback && !allow_non_loopback) {
    return invalid(
        "is not a loopback address; the metrics endpoint is plain HTTP without "
        "authentication, so the relay serves it on 127.0.0.1 or ::1 only. Scrape it from this "
        "host, or set metrics_allow_non_loopback: true if a firewall limits that address to "
        "your Prometheus server");
  }
  return endpoint;
}

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Bind(
    const std::string& address, bool allow_non_loopback) {
  auto endpoint = ParseMetricsAddress(address, allow_non_loopback);
  if (!endpoint.ok()) return endpoint.status();
  std::unique_ptr<MetricsHttpServer> server(new MetricsHttpServer());
  server->listen_fd_ =
      ::socket(endpoint->address.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (server->listen_fd_ < 0) {
    return absl::UnavailableError(
        absl::StrCat("metrics_address ", address, ": cannot make a socket: ", strerror(errno)));
  }
  // SO_REUSEADDR only lets a restart reuse a port in TIME_WAIT; a port some
  // process listens on stays refused (no SO_REUSEPORT).
  const int one = 1;
  ::setsockopt(server->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(server->listen_fd_, reinterpret_cast<const sockaddr*>(&endpoint->address),
             endpoint->length) != 0 ||
      ::listen(server->listen_fd_, 16) != 0) {
    const int error = errno;
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on metrics_address ", address, ": ", strerror(error),
        error == EADDRINUSE ? " (another process listens there: stop it, or choose another port "
                              "in metrics_address)"
                            : " (is it an address of this host?)"));
  }
  sockaddr_storage bound = {};
  socklen_t length = sizeof(bound);
  ::getsockname(server->listen_fd_, reinterpret_cast<sockaddr*>(&bound), &length);
  server->port_ =
      ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return server;
}

absl::Status MetricsHttpServer::Serve(std::function<std::string()> render) {
  render_ = std::move(render);
  daemon_ =
      MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, nullptr, nullptr, &Answer,
                       &render_, MHD_OPTION_LISTEN_SOCKET, listen_fd_, MHD_OPTION_CONNECTION_LIMIT,
                       16u, MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
  if (daemon_ == nullptr) {
    return absl::InternalError("libmicrohttpd could not start the metrics endpoint");
  }
  listen_fd_ = -1;  // the daemon closes it on stop
  return absl::OkStatus();
}

void MetricsHttpServer::Stop() {
  if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
  daemon_ = nullptr;
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

MetricsHttpServer::~MetricsHttpServer() { Stop(); }

}  // namespace samrad::server
