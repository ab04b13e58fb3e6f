// mTLS material for the load tool: reading PEM files and building gRPC
// channel and server credentials from them.
#ifndef SAMRAD_TESTS_BENCH_TLS_FILES_H_
#define SAMRAD_TESTS_BENCH_TLS_FILES_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace samrad::bench {

// A client identity: trust roots plus our certificate chain and key (PEM).
struct ClientTls {
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
};

// The whole file. NOT_FOUND when it does not exist, PERMISSION_DENIED when it
// cannot be opened, INVALID_ARGUMENT when it is empty; the message names the path.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Reads the three PEM files.
absl::StatusOr<ClientTls> LoadClientTls(const std::string& ca_file, const std::string& cert_file,
                                        const std::string& key_file);

// `count` channels to `target` that never share a connection: each carries a
// distinct channel argument so gRPC gives it its own subchannel. When
// `server_name` is not empty it overrides the TLS name checked against the
// server certificate.
std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(const std::string& target,
                                                         const ClientTls& tls,
                                                         const std::string& server_name, int count,
                                                         const std::string& tag);

// Waits until every channel is READY (TLS handshake done) or the deadline
// passes: DEADLINE_EXCEEDED naming the target then.
absl::Status WaitConnected(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                           const std::string& target, int64_t timeout_ms);

// Server credentials requiring and verifying a client certificate chained to
// `ca_pem` (the same handshake the relay does).
std::shared_ptr<grpc::ServerCredentials> MakeMutualTlsServerCredentials(const std::string& ca_pem,
                                                                        const std::string& cert_pem,
                                                                        const std::string& key_pem);

}  // namespace samrad::bench

#endif  // SAMRAD_TESTS_BENCH_TLS_FILES_H_
