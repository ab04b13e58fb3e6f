#include "common/reasons.h"

#include <array>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace samrad::reasons {
namespace {

// The absl::Status payload that carries a reason (EncodeDetail form).
constexpr char kPayloadUrl[] = "samrad.common/reason";

// In Reason order (a static_assert below checks that every entry is filled).
constexpr std::array<ReasonText, static_cast<size_t>(Reason::kCount_)> kTable = {{
    {"thread-closed", "thread $0 is closed", "ärendet $0 är stängt"},
    {"thread-not-found", "thread $0 not found", "ärendet $0 finns inte"},
    {"thread-not-visible", "no thread with this id is visible to you",
     "du kan inte se något ärende med den referensen"},
    {"claimed-by-other",
     "thread $0 is claimed by adviser $1; ask them to hand it over, or take it over",
     "ärendet $0 har tagits av rådgivaren $1; be hen lämna över det, eller ta över det"},
    {"already-claimed", "thread $0 is already claimed by another adviser",
     "ärendet $0 har redan tagits av en annan rådgivare"},
    {"not-claimed-by-you", "thread $0 is not claimed by this adviser",
     "ärendet $0 är inte taget av dig"},
    {"not-claimed-handover", "thread $0 is not claimed; claim it first, then hand it over",
     "ärendet $0 är inte taget av någon; ta det först och lämna sedan över det"},
    {"not-claimed-by-anyone", "thread $0 is not claimed by anyone; nothing to release",
     "ärendet $0 är inte taget av någon; det finns inget att frigöra"},
    {"sequence-out-of-order", "message sequence $0 is out of order: expected $1",
     "meddelande nummer $0 kom i fel ordning: nummer $1 väntades"},
    {"no-such-message", "no message has id $0", "inget meddelande har id $0"},
    {"serial-not-revoked", "the serial is not revoked", "serienumret är inte spärrat"},
    {"no-directory", "no key directory has been published", "ingen nyckelkatalog har publicerats"},
    {"no-directory-yet",
     "no key directory has been published yet; an administrator must publish one",
     "ingen nyckelkatalog har publicerats än; en administratör måste publicera en"},
    {"already-closed", "the thread is already closed", "ärendet är redan stängt"},
    {"queue-page-size", "page_size is $0; it must be 1..200 (0 = 50)",
     "sidstorleken är $0; den ska vara 1..200 (0 = 50)"},
    {"bad-cursor", "cursor is not one this relay returned",
     "fortsättningsmarkören kommer inte från det här reläet"},
    {"directory-required", "directory is required", "katalogen saknas i begäran"},
    {"directory-unverified", "the directory does not verify under the relay's directory key: $0",
     "katalogen kan inte verifieras med reläets katalognyckel (teknisk uppgift: $0)"},
    {"directory-stale",
     "$0; clients would refuse it: run `samrad admin directory refresh` and publish again",
     "katalogen är för gammal och klienterna skulle vägra den (teknisk uppgift: $0); kör "
     "`samrad admin directory refresh` och publicera igen"},
    {"epoch-not-higher",
     "directory epoch $0 is not higher than the current epoch $1; raise the epoch and sign again",
     "katalogens epok $0 är inte högre än den nuvarande epoken $1; höj epoken och signera igen"},
    {"serial-not-revoked-hint", "serial $0 is not revoked; `samrad admin revoked` lists them",
     "serienummer $0 är inte spärrat; `samrad admin revoked` visar de spärrade"},
    {"group-by-unknown", "group_by \"$0\" is unknown; use unit, county, category or month",
     "grupperingen \"$0\" finns inte; använd unit, county, category eller month"},
    {"group-by-twice", "group_by names $0 twice", "grupperingen nämner $0 två gånger"},
    {"audit-limit", "limit is $0; it must be 1..1000 (0 = 200)",
     "gränsen är $0; den ska vara 1..1000 (0 = 200)"},
    {"backups-off", "backups are not configured: set backup_dir in the relay config",
     "säkerhetskopior är inte inställda: ange backup_dir i reläets konfiguration"},
    {"shutting-down", "the relay is shutting down; retry shortly",
     "reläet håller på att stängas av; försök igen om en stund"},
    {"county-not-yours", "metadata.county must be your certificate's county $0 (or empty)",
     "länet måste vara ditt certifikats län $0 (eller utelämnas)"},
    {"county-unrouted", "the key directory routes county $0 to no unit",
     "nyckelkatalogen skickar inte län $0 till någon enhet"},
    {"method-national-only",
     "$0 is for national admins (samrad://admin/national/ID); your certificate's admin scope is $1",
     "$0 är bara för nationella administratörer (samrad://admin/national/ID); ditt certifikat "
     "gäller $1"},
    {"method-roles", "$0 is for the role(s) $1; your certificate says $2",
     "$0 är för rollen/rollerna $1; ditt certifikat anger $2"},
    {"method-unknown", "$0 is not an allowed method", "$0 är inte ett tillåtet anrop"},
    {"header-sequence",
     "envelope header sequence is $0; the thread expects $1 (fetch the thread and seal again)",
     "meddelandet har nummer $0 men ärendet väntar nummer $1 (hämta ärendet och försegla igen)"},
    {"header-unit",
     "envelope header unit is \"$0\"; expected $1 (fetch the current key directory and seal again)",
     "meddelandet är förseglat för enheten \"$0\" men $1 väntades (hämta den aktuella "
     "nyckelkatalogen och försegla igen)"},
    {"header-epoch",
     "envelope was sealed for directory epoch $0; the current epoch is $1 (fetch the directory and "
     "seal again)",
     "meddelandet förseglades för katalogepok $0 men den aktuella epoken är $1 (hämta katalogen "
     "och försegla igen)"},
    {"handover-to-self", "a claim cannot be handed over to its own holder",
     "du kan inte lämna över ett ärende till den som redan har det"},
    {"refer-to-own-unit", "a thread cannot be referred to its own unit",
     "ett ärende kan inte hänvisas till sin egen enhet"},
    {"rate-limited", "rate limit reached for this certificate; retry in $0 ms",
     "ditt certifikat har gjort för många anrop; försök igen om $0 ms"},
    {"thread-already-closed", "thread $0 is already closed", "ärendet $0 är redan stängt"},
    {"stored-epoch-not-higher", "directory epoch $0 is not higher than the stored epoch $1",
     "katalogens epok $0 är inte högre än den lagrade epoken $1"},
    {"message-id-used-differently", "message id $0 is already used by a different message",
     "meddelande-id $0 används redan av ett annat meddelande"},
    {"thread-exists", "thread $0 already exists", "ärendet $0 finns redan"},
    {"message-id-used", "message id $0 is already used", "meddelande-id $0 används redan"},
    {"referral-sequence", "referral note sequence $0 is out of order: expected $1",
     "hänvisningsanteckningen har nummer $0 i fel ordning: nummer $1 väntades"},
    {"too-many-wraps", "message $0 would hold $1 added wraps; at most $2 are kept",
     "meddelandet $0 skulle få $1 tillagda nyckelkopior; högst $2 sparas"},
    {"period-not-ended",
     "the period ends $0 (UTC); statistics of a period are given once it has ended, so that they "
     "never change by a single new case",
     "perioden slutar $0 (UTC); statistik för en period lämnas först när den är slut, så att den "
     "aldrig ändras av ett enda nytt ärende"},
    {"proof-reused",
     "this ownership proof was already used; sign a fresh proof (new nonce) for every call",
     "det här ägarbeviset har redan använts; varje anrop behöver ett nytt bevis (ny nonce)"},
    {"too-many-proofs", "too many recent ownership proofs; retry shortly",
     "för många ägarbevis på kort tid; försök igen om en stund"},
    {"streams-full", "the relay has $0 open streams, its limit; retry later",
     "reläet har $0 öppna strömmar, sin gräns; försök igen senare"},
    {"streams-per-certificate",
     "this certificate already has $0 open streams (limit $1); close one first",
     "ditt certifikat har redan $0 öppna strömmar (gränsen är $1); stäng en först"},
    {"share-closed", "the thread is closed; only open cases are shared with the unit's advisers",
     "ärendet är stängt; bara öppna ärenden delas med enhetens rådgivare"},
    {"certificate-revoked", "certificate serial $0 has been revoked; ask your administrator",
     "certifikatet med serienummer $0 är spärrat; kontakta din administratör"},
    {"revoke-self",
     "serial $0 is your own certificate; you cannot revoke it yourself: ask another admin of your "
     "scope or a national admin",
     "serienummer $0 är ditt eget certifikat och du kan inte spärra det själv; be en annan "
     "administratör för samma område eller en nationell administratör"},
    {"revoke-not-your-unit",
     "certificate $0 (serial $1) is not of unit $2; only a national admin may revoke it",
     "certifikatet $0 (serienummer $1) hör inte till enheten $2; bara en nationell administratör "
     "får spärra det"},
    {"revoke-in-flight", "serial $0 is being revoked by another call; retry",
     "serienummer $0 spärras just nu av ett annat anrop; försök igen"},
    {"stream-shutdown", "the relay is shutting down; reconnect shortly",
     "reläet håller på att stängas av; anslut igen om en stund"},
    {"certificate-expired",
     "certificate serial $0 expired at $1 (notAfter); renew it and reconnect",
     "certifikatet med serienummer $0 gick ut $1 (notAfter); förnya det och anslut igen"},
    {"certificate-being-revoked", "certificate serial $0 is being revoked; ask your administrator",
     "certifikatet med serienummer $0 håller på att spärras; kontakta din administratör"},
    {"message-id-reused", "message id $0 was already used for other content; pick a new id",
     "meddelande-id $0 har redan använts för ett annat innehåll; välj ett nytt id"},
    {"streams-professional-share",
     "professionals hold $0 open streams, all the relay lets them have (the rest is kept for "
     "advisers); retry later",
     "yrkespersoner har $0 öppna strömmar, så många som reläet ger dem (resten hålls för "
     "rådgivare); försök igen senare"},
    {"unit-not-in-directory", "unit \"$0\" is not in directory epoch $1",
     "enheten \"$0\" finns inte i nyckelkatalogen (epok $1)"},
    {"refer-closed", "the thread is closed and cannot be referred",
     "ärendet är stängt och kan inte remitteras"},
    {"refer-rewraps-incomplete",
     "rewraps cover $0 messages; the thread has $1 and every one needs its content key "
     "re-wrapped for $2",
     "omkrypteringen täcker $0 meddelanden; ärendet har $1, och varje meddelandes nyckel måste "
     "krypteras om för $2"},
    {"refer-note-required",
     "note_envelope is required: the referral note signed by the referring adviser is what lets "
     "readers verify that the case moved",
     "remissanteckningen saknas: den anteckning som den remitterande rådgivaren signerar är det "
     "som låter läsarna kontrollera att ärendet har flyttats"},
    {"share-key-not-unit-adviser",
     "rewraps[$0].recipients[$1].key_id is not the encryption key of an adviser of unit $2 in "
     "directory epoch $3; a case is shared only with the unit's current advisers",
     "rewraps[$0].recipients[$1] är inte krypteringsnyckeln för en rådgivare vid enheten $2 i "
     "katalogepok $3; ett ärende delas bara med enhetens nuvarande rådgivare"},
}};

// Every entry is filled (a missing one would be zero-initialised).
constexpr bool AllFilled() {
  for (const ReasonText& text : kTable) {
    if (text.token == nullptr || text.english == nullptr || text.swedish == nullptr) return false;
  }
  return true;
}
static_assert(AllFilled(), "every Reason needs a token and both texts in kTable");

}  // namespace

const ReasonText& TextOf(Reason reason) { return kTable[static_cast<size_t>(reason)]; }

std::optional<Reason> FromToken(absl::string_view token) {
  for (size_t i = 0; i < kTable.size(); ++i) {
    if (token == kTable[i].token) return static_cast<Reason>(i);
  }
  return std::nullopt;
}

std::string Render(absl::string_view templ, const std::vector<std::string>& args) {
  std::string out;
  out.reserve(templ.size());
  for (size_t i = 0; i < templ.size(); ++i) {
    if (templ[i] == '$' && i + 1 < templ.size()) {
      const char next = templ[i + 1];
      if (next == '$') {
        out.push_back('$');
        ++i;
        continue;
      }
      if (next >= '0' && next <= '9') {
        const size_t index = static_cast<size_t>(next - '0');
        if (index < args.size()) out.append(args[index]);
        ++i;
        continue;
      }
    }
    out.push_back(templ[i]);
  }
  return out;
}

std::string EncodeDetail(const WireReason& reason) {
  std::string out = absl::StrCat(kDetailPrefix, "\n", reason.token);
  for (const std::string& arg : reason.args) {
    absl::StrAppend(&out, "\n", absl::StrReplaceAll(arg, {{"\n", " "}}));
  }
  return out;
}

std::optional<WireReason> DecodeDetail(absl::string_view detail) {
  if (!absl::StartsWith(detail, absl::StrCat(kDetailPrefix, "\n"))) return std::nullopt;
  std::vector<std::string> parts = absl::StrSplit(detail, '\n');
  if (parts.size() < 2 || parts[1].empty()) return std::nullopt;
  WireReason out;
  out.token = std::move(parts[1]);
  out.args.assign(std::make_move_iterator(parts.begin() + 2), std::make_move_iterator(parts.end()));
  return out;
}

absl::Status AttachReason(absl::Status status, const WireReason& reason) {
  if (!status.ok()) status.SetPayload(kPayloadUrl, absl::Cord(EncodeDetail(reason)));
  return status;
}

absl::Status Error(absl::StatusCode code, Reason reason, std::vector<std::string> args) {
  const ReasonText& text = TextOf(reason);
  absl::Status status(code, Render(text.english, args));
  return AttachReason(std::move(status), WireReason{text.token, std::move(args)});
}

std::optional<WireReason> ReasonOf(const absl::Status& status) {
  auto payload = status.GetPayload(kPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  return DecodeDetail(std::string(*payload));
}

bool Is(const absl::Status& status, Reason reason) {
  std::optional<WireReason> wire = ReasonOf(status);
  return wire.has_value() && wire->token == TextOf(reason).token;
}

}  // namespace samrad::reasons
