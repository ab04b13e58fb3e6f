#include "tests/testing/dev_pki.h"

#include "tests/testing/files.h"

namespace samrad::harness {

ProcessResult RunPki(const std::string& pki_dir, const std::vector<std::string>& args,
                     const std::string& work) {
  std::vector<std::string> argv = {"/bin/bash", SourcePath("certs/samrad-pki.sh"), "--dir",
                                   pki_dir};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, {}, work);
}

std::string ClientCertName(const std::string& role, const std::string& scope,
                           const std::string& id) {
  return role + "-" + scope + "-" + id;
}

}  // namespace samrad::harness
