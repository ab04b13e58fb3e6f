// The metrics endpoint's HTTP side: a listener of its own (metrics_address),
// apart from the gRPC port, served by libmicrohttpd (Debian libmicrohttpd12)
// — an HTTP server is not code this project should write. It answers
// GET /metrics (and HEAD) with whatever the render function returns, as
// Prometheus text format 0.0.4; any other path is 404, any other method 405.
// No TLS and no authentication: the address is loopback unless the operator
// explicitly allows otherwise (ParseMetricsAddress).
//
// Thread-safety: Bind, Serve and Stop are called by one owner (RelayServer)
// one at a time; the destructor Stops. The render function runs on
// libmicrohttpd's thread and must be thread-safe; it is owned by the server
// and must stay callable until Stop returns.
#ifndef SAMRAD_SERVER_METRICS_HTTP_H_
#define SAMRAD_SERVER_METRICS_HTTP_H_

#include <sys/socket.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct MHD_Daemon;

namespace samrad::server {

// A parsed metrics_address.
struct MetricsEndpoint {
  sockaddr_storage address = {};
  socklen_t length = 0;
  bool loopback = false;
};

// Parses "HOST:PORT" or "[IPV6]:PORT"; HOST is a numeric address or
// "localhost" (127.0.0.1). INVALID_ARGUMENT naming metrics_address for bad
// syntax, and for a HOST that is not loopback (127.0.0.0/8, ::1) unless
// `allow_non_loopback`: the endpoint is plain, unauthenticated HTTP.
[[nodiscard]] absl::StatusOr<MetricsEndpoint> ParseMetricsAddress(const std::string& address,
                                                                  bool allow_non_loopback);

class MetricsHttpServer {
 public:
  // Binds and listens on `address` (already accepted by FinalizeConfig) but
  // answers nothing until Serve. UNAVAILABLE naming metrics_address and the
  // cause when it cannot be bound (in use, or not an address of this host).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Bind(
      const std::string& address, bool allow_non_loopback);
  ~MetricsHttpServer();
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  // The bound port (the chosen one for port 0).
  int port() const { return port_; }

  // Starts answering on one internal thread of libmicrohttpd; `render` is
  // called on that thread for each scrape and must be thread-safe.
  // INTERNAL when libmicrohttpd cannot start.
  [[nodiscard]] absl::Status Serve(std::function<std::string()> render);

  // Stops answering and closes the listener. Idempotent; blocks until a
  // scrape in progress has finished.
  void Stop();

 private:
  MetricsHttpServer() = default;

  int listen_fd_ = -1;  // owned until Serve hands it to the daemon
  int port_ = 0;
  MHD_Daemon* daemon_ = nullptr;
  std::function<std::string()> render_;
};

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_METRICS_HTTP_H_
