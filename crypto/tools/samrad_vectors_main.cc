// samrad-vectors: runs a public test-vector file against samrad_crypto.
//
//   samrad-vectors hpke FILE.json         RFC 9180 test-vectors.json layout
//   samrad-vectors wycheproof FILE.json   Wycheproof testvectors_v1 file; the
//                                         algorithm comes from the file
//
// Prints every failing case, the skip reasons, and as the last line exactly
// "N passed, M failed". Exit status: 0 when M is 0, 1 when a case failed,
// 2 for a usage error, a file that cannot be read or understood, or a file in
// which no case could run.
#include <cstdio>
#include <string>

#include "crypto/vectors/vector_runner.h"

namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: samrad-vectors hpke FILE.json\n"
               "       samrad-vectors wycheproof FILE.json\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return Usage();
  const std::string kind = argv[1];
  const std::string path = argv[2];
  if (kind != "hpke" && kind != "wycheproof") return Usage();
  auto json = samrad::crypto::vectors::ReadVectorFile(path);
  if (!json.ok()) {
    std::fprintf(stderr, "samrad-vectors: %s\n", std::string(json.status().message()).c_str());
    return 2;
  }
  auto report = kind == "hpke" ? samrad::crypto::vectors::RunHpkeVectors(*json)
                               : samrad::crypto::vectors::RunWycheproofVectors(*json);
  if (!report.ok()) {
    std::fprintf(stderr, "samrad-vectors: %s: %s\n", path.c_str(),
                 std::string(report.status().message()).c_str());
    return 2;
  }
  if (report->passed == 0 && report->failed == 0) {
    std::fprintf(stderr, "samrad-vectors: %s: no case uses parameters this build implements\n",
                 path.c_str());
    return 2;
  }
  std::fputs(samrad::crypto::vectors::FormatReport(*report).c_str(), stdout);
  return report->failed == 0 ? 0 : 1;
}
