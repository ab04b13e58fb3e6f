// Internal to the anonymisation guard: the detectors. Each one finds
// candidates with RE2 and keeps only those that pass its checks in C++
// (checksums, calendar dates, number plans, word boundaries, context words).
// Not part of the client's interface; include client/guard.h instead.
#ifndef SAMRAD_CLIENT_GUARD_DETECTORS_H_
#define SAMRAD_CLIENT_GUARD_DETECTORS_H_

#include <cstddef>
#include <string_view>
#include <vector>

#include "client/guard.h"

namespace samrad::client::guard::internal {

// A detail found at bytes [begin, end) of the scanned text.
struct Candidate {
  size_t begin = 0;
  size_t end = 0;
  FindingKind kind = FindingKind::kPersonnummer;
};

// Runs every detector over `text` (valid UTF-8) and returns the candidates,
// unsorted and possibly overlapping. `current_year` bounds birth dates.
// Thread-safe.
std::vector<Candidate> DetectAll(std::string_view text, int current_year);

// Checks exposed for unit tests.
// Luhn (mod 10) checksum over ASCII digits; false for any non-digit.
bool LuhnValid(std::string_view digits);
// IBAN mod-97 check over an IBAN without spaces (letters upper case);
// false for anything but [A-Z]{2}[0-9]{2}[A-Z0-9]+.
bool IbanChecksumValid(std::string_view iban);
// True when year/month/day is a calendar date; year 0 means "unknown
// century", which allows 29 February in every year divisible by 4.
bool IsCalendarDate(int year, int month, int day);

}  // namespace samrad::client::guard::internal

#endif  // SAMRAD_CLIENT_GUARD_DETECTORS_H_
