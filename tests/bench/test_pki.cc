#include "tests/bench/test_pki.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace samrad::bench::testing {
namespace {

absl::Status Run(const std::string& command) {
  const std::string quiet = absl::StrCat(command, " >/dev/null 2>&1");
  if (std::system(quiet.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("command failed: ", command));
  }
  return absl::OkStatus();
}

absl::Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

// Key + CSR + certificate signed by the CA, with the given extensions.
absl::Status Issue(const std::string& dir, const std::string& name, const std::string& subject,
                   const std::string& extensions) {
  const std::string ext_file = absl::StrCat(dir, "/", name, ".ext");
  if (auto s = WriteText(ext_file, extensions); !s.ok()) return s;
  const std::string base = absl::StrCat(dir, "/", name);
  if (auto s = Run(absl::StrCat("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
                                "-nodes -keyout ",
                                base, ".key -out ", base, ".csr -subj '", subject, "'"));
      !s.ok()) {
    return s;
  }
  return Run(absl::StrCat("openssl x509 -req -in ", base, ".csr -CA ", dir, "/ca.pem -CAkey ", dir,
                          "/ca.key -CAcreateserial -days 2 -sha256 -extfile ", ext_file, " -out ",
                          base, ".pem"));
}

}  // namespace

absl::StatusOr<TestPki> MakeTestPki(const std::string& dir, const std::string& client_uri) {
  if (auto s = Run(absl::StrCat("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
                                "-nodes -days 2 -subj '/CN=samrad-bench test CA' -keyout ",
                                dir, "/ca.key -out ", dir, "/ca.pem"));
      !s.ok()) {
    return s;
  }
  if (auto s = Issue(dir, "server", "/CN=localhost",
                     "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
                     "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n");
      !s.ok()) {
    return s;
  }
  if (auto s = Issue(dir, "client", "/CN=bench client",
                     absl::StrCat("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
                                  "extendedKeyUsage=clientAuth\nsubjectAltName=URI:",
                                  client_uri, "\n"));
      !s.ok()) {
    return s;
  }
  TestPki pki;
  pki.dir = dir;
  pki.ca_cert = dir + "/ca.pem";
  pki.server_cert = dir + "/server.pem";
  pki.server_key = dir + "/server.key";
  pki.client_cert = dir + "/client.pem";
  pki.client_key = dir + "/client.key";
  return pki;
}

std::string MakeTempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", prefix, "-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) return "";
  return pattern;
}

void RemoveTree(const std::string& dir) {
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

}  // namespace samrad::bench::testing
