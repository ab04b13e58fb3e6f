// Fuzzes the anonymisation guard on arbitrary bytes: client::guard::ScanText, Redact,
// and the `samrad check` front end RunCheck. Contracts checked: findings lie inside the
// text, are non-empty, match their excerpt and have 1-based positions; the redacted
// text of a valid UTF-8 input is still valid UTF-8 (it rescans without an error);
// RunCheck returns only its documented exit codes. Not checked here: that redaction
// removes what was found; the placeholders are checked on fixed texts by
// tests/client/guard_test.cc (GuardRedact.*), not by this target.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "client/guard.h"
#include "common/check.h"

namespace guard = samrad::client::guard;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  guard::ScanOptions options;
  options.current_year = 2026;  // fixed so runs are reproducible
  auto findings = guard::ScanText(text, options);
  if (findings.ok()) {
    for (const guard::Finding& f : *findings) {
      SAMRAD_CHECK(f.byte_length > 0, "empty finding");
      SAMRAD_CHECK(f.byte_offset <= text.size() && f.byte_length <= text.size() - f.byte_offset,
                   "finding outside the text");
      SAMRAD_CHECK(text.substr(f.byte_offset, f.byte_length) == f.excerpt,
                   "finding excerpt does not match the text");
      SAMRAD_CHECK(f.line >= 1 && f.column >= 1, "finding position not 1-based");
      (void)guard::FormatFinding(f);
    }
    std::string redacted = guard::Redact(text, *findings);
    (void)guard::FindingsToJson(*findings);
    auto rescanned = guard::ScanText(redacted, options);
    SAMRAD_CHECK(rescanned.ok(), "redacted valid UTF-8 text is no longer valid UTF-8");
  }
  guard::CheckOptions check;
  check.redact = size % 2 == 0;
  check.json = size % 3 == 0;
  check.scan = options;
  guard::CheckResult result = guard::RunCheck(text, check);
  SAMRAD_CHECK(result.exit_code == guard::kCheckExitClean ||
                   result.exit_code == guard::kCheckExitFound ||
                   result.exit_code == guard::kCheckExitInvalidText,
               "RunCheck returned an undocumented exit code");
  return 0;
}
