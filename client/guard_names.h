// Internal to the anonymisation guard: the detector for what no pattern can
// see — names of people, schools, places smaller than a municipality and
// workplaces. Not part of the client's interface; include client/guard.h.
//
// It splits the text into words and decides for each with the word lists of
// client/guard_data/ (compiled in), the Swedish dictionary and context cues:
//
// - allowed (never reported unless a naming cue says otherwise): the entries
//   of allow.txt — authorities, organisations, laws, religions, holidays,
//   months, weekdays, countries, nationalities, languages, counties, the
//   municipalities, larger cities, brands, roles;
// - school: a capitalised word ending in -skolan/-skola/-gymnasiet/
//   -förskolan ... that is not a generic word ("Grundskolan"), a capitalised
//   name followed by skola/förskola/gymnasium ("Rinkeby skola"), each with
//   "i <town>" after it and a class designation before it ("9B på ...");
// - workplace: a capitalised name next to a business word ("Pizzeria Roma",
//   "Hassans Livs", "Bygg AB") or after "jobbar/arbetar/praktiserar på|hos|vid";
// - place: an entry of places.txt, a street name without a number
//   ("Storgatan"), or a capitalised unknown word after "bor i", "flyttade
//   till", "området" or a place preposition;
// - name: a given name or surname of the lists in any case and position
//   (names that are also ordinary words only when capitalised inside a
//   sentence, or with a cue), a capitalised word after a naming cue ("heter",
//   "kallas", kinship words such as "brodern"), a capitalised word with an
//   age after it ("Ugbaad, 14 år"), and any other capitalised word inside a
//   sentence that is neither an ordinary word nor allowed. Adjacent name words
//   are one finding ("Fatima Hassan").
//
// Thread-safety: pure functions over constant word lists; thread-safe.
#ifndef SAMRAD_CLIENT_GUARD_NAMES_H_
#define SAMRAD_CLIENT_GUARD_NAMES_H_

#include <string_view>
#include <vector>

#include "client/guard_detectors.h"

namespace samrad::client::guard::internal {

// Appends the name, school, place and workplace candidates of `text` (valid
// UTF-8, normalised) to `out`. Linear in the length of `text`.
void DetectNamesAndPlaces(std::string_view text, std::vector<Candidate>* out);

}  // namespace samrad::client::guard::internal

#endif  // SAMRAD_CLIENT_GUARD_NAMES_H_
