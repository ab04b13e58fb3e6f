#include "client/guard.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/guard_detectors.h"
#include "client/guard_normalize.h"
#include "client/guard_text.h"

namespace samrad::client::guard {
namespace {

using internal::Candidate;

int CurrentUtcYear() {
  return static_cast<int>(absl::ToCivilYear(absl::Now(), absl::UTCTimeZone()).year());
}

// Sorts by start, longest first, then kind priority, and drops every
// candidate that lies inside one already kept.
std::vector<Candidate> Resolve(std::vector<Candidate> candidates) {
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    if (a.begin != b.begin) return a.begin < b.begin;
    if (a.end != b.end) return a.end > b.end;
    return static_cast<int>(a.kind) < static_cast<int>(b.kind);
  });
  std::vector<Candidate> kept;
  size_t covered_end = 0;  // the furthest end among kept candidates
  for (const Candidate& candidate : candidates) {
    if (!kept.empty() && candidate.end <= covered_end) continue;  // contained
    kept.push_back(candidate);
    covered_end = std::max(covered_end, candidate.end);
  }
  return kept;
}

// Appends `text` escaped for a JSON string (without the quotes): `"` `\` and
// control characters escaped, everything else (valid UTF-8) kept.
void AppendJsonEscaped(std::string_view text, std::string* out) {
  for (const char c : text) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
          absl::StrAppendFormat(out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out->push_back(c);
        }
    }
  }
}

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  AppendJsonEscaped(text, &out);
  out.push_back('"');
  return out;
}

std::string InvalidUtf8Message(std::string_view text, size_t bad_byte, MessageLanguage language) {
  const internal::LineColumn position = internal::LineColumnAt(text, bad_byte);
  if (language == MessageLanguage::kSwedish) {
    return absl::StrFormat(
        "texten är inte giltig UTF-8 (första felaktiga byte på rad %d, kolumn %d); spara den "
        "som UTF-8 och försök igen",
        position.line, position.column);
  }
  return absl::StrFormat(
      "the text is not valid UTF-8 (first bad byte at line %d, column %d); save it as UTF-8 "
      "and try again",
      position.line, position.column);
}

}  // namespace

std::string Summary(size_t count, bool redacted, MessageLanguage language) {
  if (language == MessageLanguage::kSwedish) {
    if (count == 0) {
      return "Den automatiska kontrollen hittade inga identifierande uppgifter. Den känner inte "
             "igen alla namn, platser eller omständigheter som kan identifiera en person: läs "
             "texten en gång till innan du skickar den.";
    }
    if (redacted) {
      return absl::StrFormat("%d identifierande uppgift%s ersattes med platshållare.", count,
                             count == 1 ? "" : "er");
    }
    return absl::StrFormat(
        "%d identifierande uppgift%s hittades; ta bort dem eller använd --redact för att "
        "ersätta dem med platshållare.",
        count, count == 1 ? "" : "er");
  }
  if (count == 0) {
    return "The automatic check found no identifying details. It cannot recognise every name, "
           "place or circumstance that identifies a person: read the text once more before you "
           "send it.";
  }
  if (redacted) {
    return absl::StrFormat("%d identifying detail%s replaced with placeholders.", count,
                           count == 1 ? " was" : "s were");
  }
  return absl::StrFormat(
      "%d identifying detail%s found; remove %s or use --redact to replace %s with "
      "placeholders.",
      count, count == 1 ? "" : "s", count == 1 ? "it" : "them", count == 1 ? "it" : "them");
}

std::string_view FindingKindName(FindingKind kind) {
  switch (kind) {
    case FindingKind::kPersonnummer:
      return "personnummer";
    case FindingKind::kSamordningsnummer:
      return "samordningsnummer";
    case FindingKind::kIban:
      return "iban";
    case FindingKind::kBankAccount:
      return "bank-account";
    case FindingKind::kBirthDate:
      return "birth-date";
    case FindingKind::kPhone:
      return "phone";
    case FindingKind::kEmail:
      return "email";
    case FindingKind::kSocialMedia:
      return "social-media";
    case FindingKind::kIpAddress:
      return "ip-address";
    case FindingKind::kVehicleRegistration:
      return "vehicle-registration";
    case FindingKind::kPostcode:
      return "postcode";
    case FindingKind::kStreetAddress:
      return "street-address";
    case FindingKind::kSchool:
      return "school";
    case FindingKind::kWorkplace:
      return "workplace";
    case FindingKind::kPlace:
      return "place";
    case FindingKind::kName:
      return "name";
    case FindingKind::kPossiblePersonnummer:
      return "possible-personnummer";
  }
  return "unknown";
}

std::string_view FindingKindPlaceholder(FindingKind kind, MessageLanguage language) {
  const bool sv = language == MessageLanguage::kSwedish;
  switch (kind) {
    case FindingKind::kPersonnummer:
    case FindingKind::kPossiblePersonnummer:
      return sv ? "[personnummer]" : "[personal identity number]";
    case FindingKind::kSamordningsnummer:
      return sv ? "[samordningsnummer]" : "[coordination number]";
    case FindingKind::kIban:
      return "[IBAN]";
    case FindingKind::kBankAccount:
      return sv ? "[kontonummer]" : "[bank account]";
    case FindingKind::kBirthDate:
      return sv ? "[födelsedatum]" : "[date of birth]";
    case FindingKind::kPhone:
      return sv ? "[telefon]" : "[phone]";
    case FindingKind::kEmail:
      return sv ? "[e-post]" : "[e-mail]";
    case FindingKind::kSocialMedia:
      return sv ? "[konto i sociala medier]" : "[social media account]";
    case FindingKind::kIpAddress:
      return sv ? "[IP-adress]" : "[IP address]";
    case FindingKind::kVehicleRegistration:
      return sv ? "[registreringsnummer]" : "[registration number]";
    case FindingKind::kPostcode:
      return sv ? "[postnummer]" : "[postcode]";
    case FindingKind::kStreetAddress:
      return sv ? "[adress]" : "[address]";
    case FindingKind::kSchool:
      return sv ? "[skola]" : "[school]";
    case FindingKind::kWorkplace:
      return sv ? "[arbetsplats]" : "[workplace]";
    case FindingKind::kPlace:
      return sv ? "[plats]" : "[place]";
    case FindingKind::kName:
      return sv ? "[namn]" : "[name]";
  }
  return sv ? "[uppgift]" : "[detail]";
}

absl::StatusOr<std::vector<Finding>> ScanText(std::string_view utf8_text,
                                              const ScanOptions& options) {
  if (const std::optional<size_t> bad = internal::FirstInvalidUtf8Byte(utf8_text);
      bad.has_value()) {
    return absl::InvalidArgumentError(
        InvalidUtf8Message(utf8_text, *bad, MessageLanguage::kEnglish));
  }
  const int current_year = options.current_year > 0 ? options.current_year : CurrentUtcYear();
  // Detect in the normalised copy, then map every candidate back to the
  // original bytes (and resolve containment again there: two candidates of
  // the copy may map to the same original span).
  const internal::NormalizedText normalized(utf8_text);
  std::vector<Candidate> candidates = internal::DetectAll(normalized.text(), current_year);
  for (Candidate& candidate : candidates) {
    size_t begin = 0;
    size_t end = 0;
    normalized.Original(candidate.begin, candidate.end, &begin, &end);
    candidate.begin = begin;
    candidate.end = end;
  }
  const std::vector<Candidate> resolved = Resolve(std::move(candidates));
  std::vector<Finding> findings;
  findings.reserve(resolved.size());
  internal::LineColumnTracker tracker(utf8_text);
  for (const Candidate& candidate : resolved) {
    const internal::LineColumn position = tracker.At(candidate.begin);
    findings.push_back(Finding{
        .line = position.line,
        .column = position.column,
        .byte_offset = candidate.begin,
        .byte_length = candidate.end - candidate.begin,
        .kind = candidate.kind,
        .excerpt = std::string(utf8_text.substr(candidate.begin, candidate.end - candidate.begin)),
    });
  }
  return findings;
}

std::string Redact(std::string_view text, absl::Span<const Finding> findings,
                   MessageLanguage language) {
  std::vector<const Finding*> ordered;
  ordered.reserve(findings.size());
  for (const Finding& finding : findings) {
    if (finding.byte_length == 0 || finding.byte_offset > text.size() ||
        finding.byte_length > text.size() - finding.byte_offset) {
      continue;  // does not belong to this text
    }
    ordered.push_back(&finding);
  }
  std::stable_sort(ordered.begin(), ordered.end(), [](const Finding* a, const Finding* b) {
    return a->byte_offset < b->byte_offset;
  });
  std::string out;
  out.reserve(text.size());
  size_t copied = 0;  // text[0, copied) is already in `out` or replaced
  for (const Finding* finding : ordered) {
    const size_t end = finding->byte_offset + finding->byte_length;
    if (end <= copied) continue;  // inside a region already replaced
    if (finding->byte_offset >= copied) {
      out.append(text.substr(copied, finding->byte_offset - copied));
      out.append(FindingKindPlaceholder(finding->kind, language));
    }
    // An overlapping finding extends the region the previous placeholder
    // stands for.
    copied = end;
  }
  out.append(text.substr(std::min(copied, text.size())));
  return out;
}

std::string FormatFinding(const Finding& finding, MessageLanguage language) {
  std::string kind(language == MessageLanguage::kSwedish
                       ? FindingKindPlaceholder(finding.kind, language)
                       : FindingKindName(finding.kind));
  if (language == MessageLanguage::kSwedish && kind.size() > 2) {
    kind = kind.substr(1, kind.size() - 2);  // without the brackets
    std::replace(kind.begin(), kind.end(), ' ', '-');
  }
  std::string out = absl::StrCat(finding.line, ":", finding.column, " ", kind, " ");
  out.append(JsonString(finding.excerpt));
  return out;
}

std::string FindingsToJson(absl::Span<const Finding> findings) {
  std::string out = "[";
  for (size_t i = 0; i < findings.size(); ++i) {
    const Finding& f = findings[i];
    const std::string_view kind = FindingKindName(f.kind);
    if (i > 0) out.push_back(',');
    absl::StrAppend(&out, "{\"line\":", f.line, ",\"column\":", f.column, ",\"kind\":\"",
                    absl::string_view(kind.data(), kind.size()),
                    "\",\"excerpt\":", JsonString(f.excerpt), ",\"byte_offset\":", f.byte_offset,
                    ",\"byte_length\":", f.byte_length, "}");
  }
  out.push_back(']');
  return out;
}

CheckResult RunCheck(std::string_view input, const CheckOptions& options) {
  CheckResult result;
  if (const std::optional<size_t> bad = internal::FirstInvalidUtf8Byte(input); bad.has_value()) {
    result.err = InvalidUtf8Message(input, *bad, options.language);
    result.exit_code = kCheckExitInvalidText;
    return result;
  }
  if (input.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos) {
    result.err = options.language == MessageLanguage::kSwedish
                     ? "det finns ingen text att kontrollera (tom, eller bara blanksteg); ge en "
                       "fil eller skriv texten på standard in"
                     : "there is no text to check (empty, or only whitespace); give a file or "
                       "write the text on standard input";
    result.exit_code = kCheckExitInvalidText;
    return result;
  }
  absl::StatusOr<std::vector<Finding>> findings = ScanText(input, options.scan);
  if (!findings.ok()) {  // not reached: the text was validated above
    result.err = std::string(findings.status().message());
    result.exit_code = kCheckExitInvalidText;
    return result;
  }
  result.exit_code = findings->empty() ? kCheckExitClean : kCheckExitFound;
  result.err = Summary(findings->size(), options.redact, options.language);
  if (options.json && options.redact) {
    result.out = absl::StrCat("{\"findings\":", FindingsToJson(*findings), ",\"redacted\":",
                              JsonString(Redact(input, *findings, options.language)), "}\n");
  } else if (options.json) {
    result.out = absl::StrCat(FindingsToJson(*findings), "\n");
  } else if (options.redact) {
    result.out = Redact(input, *findings, options.language);
  } else {
    for (const Finding& finding : *findings) {
      absl::StrAppend(&result.out, FormatFinding(finding, options.language), "\n");
    }
  }
  return result;
}

}  // namespace samrad::client::guard
