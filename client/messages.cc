#include "client/messages.h"

#include <array>
#include <cstdlib>

namespace samrad::client {
namespace {

struct Entry {
  Msg id;
  const char* en;
  const char* sv;
};

// The one message table. Order must follow enum Msg (checked at start-up).
constexpr Entry kTable[] = {
    {Msg::kUsage, "Usage", "Användning"},
    {Msg::kCommands, "Commands", "Kommandon"},
    {Msg::kArguments, "Arguments", "Argument"},
    {Msg::kFlags, "Flags", "Flaggor"},
    {Msg::kGlobalFlags, "Flags for every command", "Flaggor för alla kommandon"},
    {Msg::kExitCodesTitle, "Exit codes", "Slutkoder"},
    {Msg::kExitCodesBody,
     "  0  ok\n"
     "  1  the guard found identifying details, or another failure\n"
     "  2  usage error (unknown command or flag, missing or bad argument)\n"
     "  3  the relay could not be reached\n"
     "  4  certificate rejected or not allowed (role, unit, revoked)\n"
     "  5  not found (case, unit, adviser, file)\n"
     "  6  passphrase wrong, or keystore / key file damaged\n"
     "  7  key directory signature invalid, rolled back or unusable\n"
     "  8  the case's state does not allow it (claimed by another, closed)\n"
     "  9  the relay refused the input (invalid, too large, rate limit)\n"
     " 10  no profile, or its files are unusable (run `samrad init`)\n",
     "  0  ok\n"
     "  1  skyddet hittade identifierande uppgifter, eller annat fel\n"
     "  2  felaktig användning (okänt kommando eller flagga, argument saknas eller är fel)\n"
     "  3  reläet gick inte att nå\n"
     "  4  certifikatet avvisades eller saknar behörighet (roll, enhet, spärrat)\n"
     "  5  hittades inte (ärende, enhet, rådgivare, fil)\n"
     "  6  fel lösenfras, eller nyckelarkivet / nyckelfilen är skadad\n"
     "  7  nyckelkatalogens signatur är ogiltig, äldre än tidigare eller oanvändbar\n"
     "  8  ärendets läge tillåter det inte (taget av annan, stängt)\n"
     "  9  reläet avvisade indata (ogiltigt, för stort, för många anrop)\n"
     " 10  ingen profil, eller dess filer går inte att använda (kör `samrad init`)\n"},
    {Msg::kSeeHelp, "see `$0 --help`", "se `$0 --help`"},
    {Msg::kUnknownCommand, "unknown command \"$0\"", "okänt kommando \"$0\""},
    {Msg::kMissingCommand, "a command is missing after \"$0\"", "ett kommando saknas efter \"$0\""},
    {Msg::kUnknownFlag, "unknown flag \"$0\"", "okänd flagga \"$0\""},
    {Msg::kFlagNeedsValue, "flag --$0 needs a value", "flaggan --$0 behöver ett värde"},
    {Msg::kFlagTakesNoValue, "flag --$0 takes no value", "flaggan --$0 tar inget värde"},
    {Msg::kFlagRepeated, "flag --$0 is given twice", "flaggan --$0 är angiven två gånger"},
    {Msg::kMissingArgument, "argument $0 is missing", "argumentet $0 saknas"},
    {Msg::kTooManyArguments, "unexpected argument \"$0\"", "oväntat argument \"$0\""},
    {Msg::kMissingFlag, "flag --$0 is required", "flaggan --$0 krävs"},
    {Msg::kBadFlagValue, "--$0: \"$1\" is not one of: $2", "--$0: \"$1\" är inte något av: $2"},
    {Msg::kFlagHelp, "show help for this command", "visa hjälp för kommandot"},
    {Msg::kFlagJson, "print JSON for scripts instead of tables",
     "skriv JSON för skript i stället för tabeller"},
    {Msg::kFlagConfig, "profile file (default $$SAMRAD_CONFIG or ~/.config/samrad/config)",
     "profilfil (standard $$SAMRAD_CONFIG eller ~/.config/samrad/config)"},
    {Msg::kFlagPassphraseFile,
     "read the keystore passphrase from FILE (or $$SAMRAD_PASSPHRASE_FILE) instead of asking",
     "läs nyckelarkivets lösenfras från FILE (eller $$SAMRAD_PASSPHRASE_FILE) i stället för att "
     "fråga"},
    {Msg::kCmdRoot, "Samråd: anonymised, end-to-end encrypted case consultations",
     "Samråd: avidentifierade, krypterade ärendekonsultationer"},
    {Msg::kCmdInit, "create your profile and keystore", "skapa din profil och ditt nyckelarkiv"},
    {Msg::kCmdCheck, "check a text for identifying details (the anonymisation guard)",
     "granska en text efter identifierande uppgifter (avidentifieringsskyddet)"},
    {Msg::kCmdAsk, "professional: ask a new anonymised case question",
     "yrkesperson: ställ en ny avidentifierad ärendefråga"},
    {Msg::kCmdCases, "professional: list my cases and their state",
     "yrkesperson: lista mina ärenden och deras läge"},
    {Msg::kCmdShow, "show a case, decrypted and verified",
     "visa ett ärende, dekrypterat och verifierat"},
    {Msg::kCmdFollowup, "professional: send a follow-up in a case",
     "yrkesperson: skicka en följdfråga i ett ärende"},
    {Msg::kCmdClose, "close a case", "stäng ett ärende"},
    {Msg::kCmdWatch, "print new messages of a case (REF) or, for advisers, queue events",
     "skriv ut nya meddelanden i ett ärende (REF) eller, för rådgivare, köhändelser"},
    {Msg::kCmdResend, "professional: resend a question that was not acknowledged",
     "yrkesperson: skicka om en fråga som inte kvitterades"},
    {Msg::kCmdKeygen, "adviser: create your key pair and the public bundle for the admin",
     "rådgivare: skapa ditt nyckelpar och den publika filen till administratören"},
    {Msg::kCmdKeys, "manage the keys in the keystore", "hantera nycklarna i nyckelarkivet"},
    {Msg::kCmdKeysList, "list the keys in the keystore (no secrets)",
     "lista nycklarna i nyckelarkivet (inga hemligheter)"},
    {Msg::kCmdKeysPrune, "delete old adviser keys and the keys of purged or long-closed cases",
     "radera gamla rådgivarnycklar och nycklar för gallrade eller länge stängda ärenden"},
    {Msg::kCmdQueue, "adviser: list your unit's queue", "rådgivare: lista enhetens kö"},
    {Msg::kCmdClaim, "adviser: take a case", "rådgivare: ta ett ärende"},
    {Msg::kCmdRelease, "adviser: give a taken case back to the queue",
     "rådgivare: lämna tillbaka ett taget ärende till kön"},
    {Msg::kCmdAnswer, "adviser: answer a case", "rådgivare: svara i ett ärende"},
    {Msg::kCmdRefer, "adviser: refer a case to another unit",
     "rådgivare: hänvisa ett ärende till en annan enhet"},
    {Msg::kCmdAdmin, "administration", "administration"},
    {Msg::kCmdAdminDirectory, "the signed key directory", "den signerade nyckelkatalogen"},
    {Msg::kCmdDirInit, "create the offline directory key and a working directory",
     "skapa den frånkopplade katalognyckeln och en arbetskatalog"},
    {Msg::kCmdDirAddUnit, "add or replace a unit and its counties",
     "lägg till eller ersätt en enhet och dess län"},
    {Msg::kCmdDirRemoveUnit, "remove a unit", "ta bort en enhet"},
    {Msg::kCmdDirAddAdviser, "add an adviser to a unit from their public bundle",
     "lägg till en rådgivare i en enhet från den publika filen"},
    {Msg::kCmdDirRemoveAdviser, "remove an adviser from a unit",
     "ta bort en rådgivare från en enhet"},
    {Msg::kCmdDirSign, "sign the working directory as the next epoch",
     "signera arbetskatalogen som nästa epok"},
    {Msg::kCmdDirPublish, "publish the signed directory to the relay",
     "publicera den signerade katalogen till reläet"},
    {Msg::kCmdDirShow, "show the working and the signed directory",
     "visa arbetskatalogen och den signerade katalogen"},
    {Msg::kArgRef, "case reference (at least 6 characters of it)",
     "ärendereferens (minst 6 tecken av den)"},
    {Msg::kArgRefOptional, "case reference; without it, queue events (advisers)",
     "ärendereferens; utan den köhändelser (rådgivare)"},
    {Msg::kArgTextFile, "file to check, or - for standard input (default)",
     "fil att granska, eller - för standard in (standard)"},
    {Msg::kArgUnit, "unit id, e.g. rc-kronoberg", "enhetens id, t.ex. rc-kronoberg"},
    {Msg::kArgBundle, "the adviser's public bundle file (from `samrad keygen`)",
     "rådgivarens publika fil (från `samrad keygen`)"},
    {Msg::kArgAdviserId, "adviser id", "rådgivarens id"},
    {Msg::kFlagRelay, "relay address host:port", "reläets adress värd:port"},
    {Msg::kFlagCert, "your client certificate (PEM)", "ditt klientcertifikat (PEM)"},
    {Msg::kFlagKey, "your client certificate's private key (PEM)",
     "klientcertifikatets privata nyckel (PEM)"},
    {Msg::kFlagCa, "the CA certificate that issued the relay's certificate (PEM)",
     "CA-certifikatet som utfärdat reläets certifikat (PEM)"},
    {Msg::kFlagDirectoryKey,
     "the directory public key to pin: 64 hex characters or a file holding them",
     "katalogens publika nyckel att låsa: 64 hextecken eller en fil med dem"},
    {Msg::kFlagKeystore, "keystore file (default next to the profile)",
     "nyckelarkivets fil (standard bredvid profilen)"},
    {Msg::kFlagServerName,
     "name to expect in the relay's certificate when it differs from the host",
     "namn att vänta sig i reläets certifikat när det skiljer sig från värden"},
    {Msg::kFlagAdviserIdOpt, "advisers: your adviser id (from your certificate)",
     "rådgivare: ditt rådgivar-id (från ditt certifikat)"},
    {Msg::kFlagForce, "replace an existing profile (never an existing keystore)",
     "ersätt en befintlig profil (aldrig ett befintligt nyckelarkiv)"},
    {Msg::kFlagCounty, "your county's code: 01, 03-10, 12-14 or 17-25 (07 is Kronobergs län)",
     "ditt läns kod: 01, 03-10, 12-14 eller 17-25 (07 är Kronobergs län)"},
    {Msg::kBadCounty, "--county \"$0\" is not a Swedish county code; use one of: $1",
     "--county \"$0\" är ingen svensk länskod; ange en av: $1"},
    {Msg::kFlagCategory, "honour-violence, child-marriage, forced-marriage, fgm or other",
     "hedersrelaterat-våld, barnäktenskap, tvångsäktenskap, könsstympning eller annat"},
    {Msg::kFlagUrgency, "acute, high or normal", "akut, hög eller normal"},
    {Msg::kFlagOrg, "social-services, school, health-care, police, prosecution or other",
     "socialtjänst, skola, hälso-och-sjukvård, polis, åklagare eller annan"},
    {Msg::kFlagAge, "age group of the person: child, young-adult or adult",
     "personens åldersgrupp: barn, ung-vuxen eller vuxen"},
    {Msg::kFlagFile, "read the text from FILE (- for standard input); default: stdin or $$EDITOR",
     "läs texten från FILE (- för standard in); standard: standard in eller $$EDITOR"},
    {Msg::kFlagRedact, "replace identifying details with placeholders and send the redacted text",
     "ersätt identifierande uppgifter med platshållare och skicka den redigerade texten"},
    {Msg::kFlagForget, "also delete the case's keys now (the thread becomes unreadable here)",
     "radera även ärendets nycklar nu (tråden kan sedan inte läsas här)"},
    {Msg::kFlagRotate, "replace your current key pair with a new one (old keys kept for reading)",
     "ersätt ditt nyckelpar med ett nytt (gamla nycklar sparas för läsning)"},
    {Msg::kFlagBundleOut, "where to write the public bundle (default adviser-ID.bundle.json)",
     "var den publika filen skrivs (standard adviser-ID.bundle.json)"},
    {Msg::kFlagOlderThan, "days after which superseded keys and closed cases' keys are deleted",
     "dagar efter vilka ersatta nycklar och stängda ärendens nycklar raderas"},
    {Msg::kFlagAll, "also list closed cases", "lista även stängda ärenden"},
    {Msg::kFlagTo, "unit to refer the case to", "enhet att hänvisa ärendet till"},
    {Msg::kFlagReason, "why (sent encrypted to the new unit and the professional)",
     "varför (skickas krypterat till den nya enheten och yrkespersonen)"},
    {Msg::kFlagOut, "directory to create for the directory key and files",
     "katalog att skapa för katalognyckeln och filerna"},
    {Msg::kFlagRouting, "routing table to start from (default deploy/routing.textproto)",
     "routningstabell att utgå från (standard deploy/routing.textproto)"},
    {Msg::kFlagDir, "the admin directory folder (default $$SAMRAD_ADMIN_DIR)",
     "administratörens katalogmapp (standard $$SAMRAD_ADMIN_DIR)"},
    {Msg::kFlagKeyPassphraseFile,
     "read the directory key passphrase from FILE (or $$SAMRAD_DIRECTORY_PASSPHRASE_FILE)",
     "läs katalognyckelns lösenfras från FILE (eller $$SAMRAD_DIRECTORY_PASSPHRASE_FILE)"},
    {Msg::kFlagName, "display name of the unit", "enhetens visningsnamn"},
    {Msg::kFlagCounties, "comma-separated län codes, e.g. 07,08",
     "kommaseparerade länskoder, t.ex. 07,08"},
    {Msg::kFlagFallback, "make this unit the fallback for counties no unit lists",
     "gör enheten till reserv för län som ingen enhet listar"},
    {Msg::kErrorPrefix, "samrad: $0", "samrad: $0"},
    {Msg::kHintFailure, "", ""},
    {Msg::kHintUsage, "see `samrad --help`", "se `samrad --help`"},
    {Msg::kHintUnreachable,
     "check relay_address in your profile, your network, and that the relay runs",
     "kontrollera relay_address i profilen, nätverket och att reläet är igång"},
    {Msg::kHintPermission,
     "your certificate was rejected or may not do this; ask your administrator",
     "ditt certifikat avvisades eller får inte göra detta; fråga din administratör"},
    {Msg::kHintNotFound, "check the reference or name", "kontrollera referensen eller namnet"},
    {Msg::kHintKeystore,
     "retype the passphrase; if the file is damaged, restore it from your backup",
     "skriv lösenfrasen igen; om filen är skadad, återställ den från din säkerhetskopia"},
    {Msg::kHintDirectory, "nothing was sent; tell your administrator, the relay may be compromised",
     "inget skickades; kontakta din administratör, reläet kan vara komprometterat"},
    {Msg::kHintConflict, "run `samrad show` to see the case's current state",
     "kör `samrad show` för att se ärendets aktuella läge"},
    {Msg::kHintRejected, "correct the input and try again", "rätta indata och försök igen"},
    {Msg::kHintTryLater, "wait a while and try again", "vänta en stund och försök igen"},
    {Msg::kHintConfig, "run `samrad init`, or pass --config FILE",
     "kör `samrad init`, eller ange --config FILE"},
    {Msg::kPromptPassphrase, "Keystore passphrase: ", "Nyckelarkivets lösenfras: "},
    {Msg::kPromptPassphraseAgain, "Repeat the passphrase: ", "Upprepa lösenfrasen: "},
    {Msg::kPromptDirectoryPassphrase, "Directory key passphrase: ", "Katalognyckelns lösenfras: "},
    {Msg::kPassphraseMismatch, "the two passphrases differ", "lösenfraserna skiljer sig åt"},
    {Msg::kPassphraseNoTty,
     "no terminal to ask for the passphrase; use --passphrase-file or $$SAMRAD_PASSPHRASE_FILE",
     "ingen terminal att fråga efter lösenfrasen i; använd --passphrase-file eller "
     "$$SAMRAD_PASSPHRASE_FILE"},
    {Msg::kInitDone, "Profile written to $0, keystore created at $1.",
     "Profilen skrevs till $0, nyckelarkivet skapades i $1."},
    {Msg::kAcuteWarning,
     "Samråd is not an emergency service. If someone is in danger now, call 112.",
     "Samråd är ingen larmtjänst. Om någon är i fara nu, ring 112."},
    {Msg::kAskSent, "Sent to $0. Case reference: $1", "Skickat till $0. Ärendereferens: $1"},
    {Msg::kAskPending,
     "The question is sealed and stored on this computer, but the relay did not acknowledge it; "
     "run `samrad resend $0` later.",
     "Frågan är förseglad och sparad på den här datorn, men reläet kvitterade den inte; kör "
     "`samrad resend $0` senare."},
    {Msg::kFollowupSent, "Follow-up sent in case $0.", "Följdfrågan skickades i ärende $0."},
    {Msg::kAnswerSent, "Answer sent in case $0.", "Svaret skickades i ärende $0."},
    {Msg::kClosed, "Case $0 closed.", "Ärende $0 stängt."},
    {Msg::kClosedForgotten, "Case $0 closed and its keys deleted.",
     "Ärende $0 stängt och dess nycklar raderade."},
    {Msg::kClaimed, "You took case $0.", "Du tog ärende $0."},
    {Msg::kReleased, "Case $0 is back in the queue.", "Ärende $0 är tillbaka i kön."},
    {Msg::kReferred, "Case $0 referred to $1.", "Ärende $0 hänvisat till $1."},
    {Msg::kKeygenDone, "Key pair created. Give $0 to your administrator.",
     "Nyckelpar skapat. Lämna $0 till din administratör."},
    {Msg::kKeygenRotated,
     "New key pair created; the old one is kept for reading. Give $0 to your administrator.",
     "Nytt nyckelpar skapat; det gamla sparas för läsning. Lämna $0 till din administratör."},
    {Msg::kPruneDone, "Deleted $0 old adviser key pair(s) and the keys of $1 case(s).",
     "Raderade $0 gamla rådgivarnyckelpar och nycklarna för $1 ärende(n)."},
    {Msg::kDirInitDone,
     "Directory key sealed in $0. Pin this directory public key in every profile and in the "
     "relay:\n$1",
     "Katalognyckeln förseglades i $0. Lås denna publika katalognyckel i varje profil och i "
     "reläet:\n$1"},
    {Msg::kDirSaved, "Working directory saved: $0", "Arbetskatalogen sparad: $0"},
    {Msg::kDirSigned,
     "Signed directory epoch $0 written to $1; valid until $2. Publish it, and before that date "
     "run `samrad admin directory refresh` and publish again.",
     "Signerad katalog epok $0 skrevs till $1; giltig till $2. Publicera den, och kör `samrad "
     "admin directory refresh` och publicera igen före det datumet."},
    {Msg::kCmdDirRefresh, "re-sign the last signed directory as a new epoch with a new expiry date",
     "signera om den senast signerade katalogen som en ny epok med nytt giltighetsdatum"},
    {Msg::kFlagValidDays, "days the signed directory stays valid (1-90, default 14)",
     "antal dagar den signerade katalogen gäller (1–90, standard 14)"},
    {Msg::kFlagRevokeKeys,
     "also revoke the adviser's signing key, so nothing it ever signed is trusted (a lost or "
     "stolen key)",
     "återkalla också rådgivarens signeringsnyckel, så att inget den någonsin signerat godtas "
     "(en förlorad eller stulen nyckel)"},
    {Msg::kDirectoryExpired,
     "The key directory (epoch $0) expired on $1. The relay may be hiding a newer one, or it was "
     "not refreshed in time: ask your administrator to run `samrad admin directory refresh` and "
     "publish it. Nothing was sent.",
     "Nyckelkatalogen (epok $0) gick ut $1. Reläet kan dölja en nyare, eller så förnyades den "
     "inte i tid: be din administratör köra `samrad admin directory refresh` och publicera den. "
     "Inget skickades."},
    {Msg::kIntegrityUnit,
     "The relay says case $0 is with unit \"$1\", but its signed messages say \"$2\": the "
     "relay may be compromised. Nothing was sent; tell your administrator.",
     "Reläet säger att ärende $0 ligger hos enheten \"$1\", men ärendets signerade meddelanden "
     "säger \"$2\": reläet kan vara komprometterat. Inget skickades; kontakta din "
     "administratör."},
    {Msg::kIntegrityMissing,
     "Message $0 is missing from case $1: the relay did not deliver it. The relay may be "
     "compromised; tell your administrator.",
     "Meddelande $0 saknas i ärende $1: reläet levererade det inte. Reläet kan vara "
     "komprometterat; kontakta din administratör."},
    {Msg::kIntegrityMissingRange,
     "Messages $0 to $1 are missing from case $2: the relay did not deliver them. The relay may "
     "be compromised; tell your administrator.",
     "Meddelandena $0 till $1 saknas i ärende $2: reläet levererade dem inte. Reläet kan vara "
     "komprometterat; kontakta din administratör."},
    {Msg::kIntegrityReplaced,
     "Message $0 of case $1 was delivered with other content than before. The relay may be "
     "compromised; tell your administrator.",
     "Meddelande $0 i ärende $1 levererades med annat innehåll än tidigare. Reläet kan vara "
     "komprometterat; kontakta din administratör."},
    {Msg::kIntegrityFewer,
     "The relay now shows $0 messages in case $1, fewer messages than the $2 seen here before: "
     "it is hiding messages. The relay may be compromised; tell your administrator.",
     "Reläet visar nu $0 meddelanden i ärende $1, färre än de $2 som setts här tidigare: det "
     "döljer meddelanden. Reläet kan vara komprometterat; kontakta din administratör."},
    {Msg::kIntegrityMessage,
     "Message $0 of case $1 cannot be trusted: $2. The relay may be compromised; tell your "
     "administrator.",
     "Meddelande $0 i ärende $1 går inte att lita på: $2. Reläet kan vara komprometterat; "
     "kontakta din administratör."},
    {Msg::kAuditNotExtending,
     "The relay's audit chain does not extend the one verified here before (entry $0): it was "
     "rewritten or cut. The relay may be compromised.",
     "Reläets granskningskedja bygger inte vidare på den som verifierats här tidigare (post "
     "$0): den har skrivits om eller kortats. Reläet kan vara komprometterat."},
    {Msg::kDirPublished, "The relay now serves directory epoch $0.",
     "Reläet tillhandahåller nu katalog epok $0."},
    {Msg::kGuardRefused,
     "nothing was sent: the text contains identifying details (above); remove them or use --redact",
     "inget skickades: texten innehåller identifierande uppgifter (ovan); ta bort dem eller använd "
     "--redact"},
    {Msg::kGuardRedacted, "Identifying details were replaced. This text is sent:",
     "Identifierande uppgifter ersattes. Denna text skickas:"},
    {Msg::kEmptyText, "the text is empty; nothing was sent", "texten är tom; inget skickades"},
    {Msg::kAuthorMe, "me", "jag"},
    {Msg::kAuthorAdviser, "adviser $0 of $1", "rådgivare $0 vid $1"},
    {Msg::kAuthorProfessional, "professional", "yrkesperson"},
    {Msg::kReferralNote, "referred to $0", "hänvisat till $0"},
    {Msg::kUnreadable, "[cannot be read: $0]", "[kan inte läsas: $0]"},
    {Msg::kNoCases, "No cases in this keystore.", "Inga ärenden i nyckelarkivet."},
    {Msg::kQueueEmpty, "The queue is empty.", "Kön är tom."},
    {Msg::kWatching, "Watching; press Ctrl-C to stop.", "Bevakar; tryck Ctrl-C för att sluta."},
    {Msg::kCountyLabel, "county $0", "län $0"},
    {Msg::kColReference, "REFERENCE", "REFERENS"},
    {Msg::kColAge, "AGE", "ÅLDER"},
    {Msg::kColUrgency, "URGENCY", "BRÅDSKA"},
    {Msg::kColCategory, "CATEGORY", "KATEGORI"},
    {Msg::kColCounty, "COUNTY", "LÄN"},
    {Msg::kColOrg, "ORGANISATION", "ORGANISATION"},
    {Msg::kColAgeGroup, "AGE GROUP", "ÅLDERSGRUPP"},
    {Msg::kColState, "STATE", "LÄGE"},
    {Msg::kColClaimedBy, "CLAIMED BY", "TAGET AV"},
    {Msg::kColUnit, "UNIT", "ENHET"},
    {Msg::kColCreated, "CREATED", "SKAPAT"},
    {Msg::kColMessages, "MESSAGES", "MEDDELANDEN"},
    {Msg::kColCounties, "COUNTIES", "LÄN"},
    {Msg::kColAdvisers, "ADVISERS", "RÅDGIVARE"},
    {Msg::kColName, "NAME", "NAMN"},
    {Msg::kColKind, "KIND", "SLAG"},
    {Msg::kCmdAdminRevoke, "revoke a client certificate (takes effect on its next call)",
     "spärra ett klientcertifikat (gäller från dess nästa anrop)"},
    {Msg::kCmdAdminRevoked, "list revoked certificates", "lista spärrade certifikat"},
    {Msg::kCmdAdminAudit, "show the audit log and check its hash chain",
     "visa granskningsloggen och kontrollera dess hashkedja"},
    {Msg::kCmdAdminStats, "anonymised statistics (groups under 5 shown as <5)",
     "avidentifierad statistik (grupper under 5 visas som <5)"},
    {Msg::kCmdAdminPurge, "apply the retention policy now (purge closed cases, close idle ones)",
     "tillämpa gallringsregeln nu (gallra stängda ärenden, stäng inaktiva)"},
    {Msg::kCmdAdminBackup, "make a backup of the relay's database on the relay's host",
     "säkerhetskopiera reläets databas på reläets dator"},
    {Msg::kFlagSerial,
     "the certificate's serial in hex (as `openssl x509 -noout -serial` prints it)",
     "certifikatets serienummer i hex (som `openssl x509 -noout -serial` skriver det)"},
    {Msg::kFlagCertFile, "the certificate file (PEM) to revoke",
     "certifikatfilen (PEM) som ska spärras"},
    {Msg::kFlagRevokeReason, "why (kept in the revocation list and the audit log)",
     "varför (sparas i spärrlistan och granskningsloggen)"},
    {Msg::kFlagSince, "entries at or after this time (YYYY-MM-DD or RFC 3339, UTC)",
     "poster från och med denna tid (ÅÅÅÅ-MM-DD eller RFC 3339, UTC)"},
    {Msg::kFlagAfter, "entries after this index", "poster efter detta index"},
    {Msg::kFlagLimit, "at most this many entries (1..1000, default 200)",
     "högst så här många poster (1..1000, standard 200)"},
    {Msg::kFlagVerify, "check the whole hash chain; exit 1 at the first broken entry",
     "kontrollera hela hashkedjan; slutkod 1 vid första brutna posten"},
    {Msg::kFlagFrom, "no longer offered (statistics cover whole periods): use --year",
     "finns inte längre (statistiken gäller hela perioder): använd --year"},
    {Msg::kFlagToDate, "no longer offered (statistics cover whole periods): use --year",
     "finns inte längre (statistiken gäller hela perioder): använd --year"},
    {Msg::kFlagBy, "group by any of unit,county,category,urgency,org,month",
     "gruppera efter någon av unit,county,category,urgency,org,month"},
    {Msg::kFlagCsv, "print CSV", "skriv CSV"},
    {Msg::kFlagDryRun, "only say what would go; change nothing",
     "säg bara vad som skulle gallras; ändra inget"},
    {Msg::kRevokedUnseen,
     "Note: no certificate with serial $0 has called the relay since it last started. If that is "
     "unexpected, check the serial (or revoke with --cert FILE); the revocation stands either "
     "way.",
     "Obs: inget certifikat med serienummer $0 har anropat reläet sedan det senast startade. Om "
     "det är oväntat, kontrollera serienumret (eller spärra med --cert FIL); spärren gäller "
     "ändå."},
    {Msg::kRevokedDone, "Certificate $0 revoked; the relay refuses it from now on.",
     "Certifikat $0 spärrat; reläet avvisar det från och med nu."},
    {Msg::kNoneRevoked, "No certificate is revoked.", "Inget certifikat är spärrat."},
    {Msg::kAuditEmpty, "No audit entries match.", "Inga granskningsposter matchar."},
    {Msg::kAuditIntact, "Audit chain intact: $0 entries, 1..$0.",
     "Granskningskedjan är hel: $0 poster, 1..$0."},
    {Msg::kAuditBroken, "the audit chain is broken at entry $0: $1",
     "granskningskedjan är bruten vid post $0: $1"},
    {Msg::kStatsEmpty, "No consultations in this period.", "Inga konsultationer under perioden."},
    {Msg::kPurgeWould,
     "Dry run: would close $0 inactive case(s) and purge $1 closed case(s) with $2 message(s).",
     "Provkörning: skulle stänga $0 inaktiva ärende(n) och gallra $1 stängda ärende(n) med $2 "
     "meddelande(n)."},
    {Msg::kPurgeDone, "Closed $0 inactive case(s); purged $1 closed case(s) with $2 message(s).",
     "Stängde $0 inaktiva ärende(n); gallrade $1 stängda ärende(n) med $2 meddelande(n)."},
    {Msg::kBackupDone, "Backup $0 written to $1 on the relay's host ($2 bytes).",
     "Säkerhetskopia $0 skrevs till $1 på reläets dator ($2 byte)."},
    {Msg::kColSerial, "SERIAL", "SERIENUMMER"},
    {Msg::kColRevokedAt, "REVOKED", "SPÄRRAT"},
    {Msg::kColRevokedBy, "BY", "AV"},
    {Msg::kColReason, "REASON", "SKÄL"},
    {Msg::kColIndex, "#", "#"},
    {Msg::kColTime, "TIME", "TID"},
    {Msg::kColActor, "ACTOR", "AKTÖR"},
    {Msg::kColAction, "ACTION", "HÄNDELSE"},
    {Msg::kColThread, "CASE", "ÄRENDE"},
    {Msg::kColDetail, "DETAIL", "DETALJ"},
    {Msg::kColCount, "COUNT", "ANTAL"},
    {Msg::kColMedianAnswer, "MEDIAN TO FIRST ANSWER", "MEDIAN TILL FÖRSTA SVAR"},
    {Msg::kRequiredNote, "(*) required", "(*) krävs"},
    {Msg::kVersion, "samrad $0 (Samråd client)", "samrad $0 (Samråds klient)"},
    {Msg::kFlagYes, "with --redact: send the redacted text without asking (for scripts)",
     "med --redact: skicka den redigerade texten utan att fråga (för skript)"},
    {Msg::kGuardConfirmPrompt, "Send this text? Read it once more first. [y/N] ",
     "Skicka denna text? Läs den en gång till först. [j/N] "},
    {Msg::kGuardNotConfirmed, "nothing was sent: the redacted text was not confirmed",
     "inget skickades: den redigerade texten bekräftades inte"},
    {Msg::kGuardNeedsYes,
     "nothing was sent: a redacted text must be confirmed; there is no terminal to ask on, so "
     "review the text above and add --yes",
     "inget skickades: en redigerad text måste bekräftas; det finns ingen terminal att fråga "
     "på, så granska texten ovan och lägg till --yes"},
    {Msg::kDraftReopening,
     "The editor opens again with your text; the details to remove are listed at the top.",
     "Redigeraren öppnas igen med din text; uppgifterna att ta bort står överst."},
    {Msg::kDraftCommentInstruction,
     "Not sent: remove or rewrite these identifying details (LINE:COL in this file), save and "
     "quit. Lines starting with #! are removed before sending. Empty the file to discard it.",
     "Inte skickad: ta bort eller skriv om dessa identifierande uppgifter (RAD:KOLUMN i denna "
     "fil), spara och avsluta. Rader som börjar med #! tas bort före sändning. Töm filen för att "
     "kasta texten."},
    {Msg::kDraftDiscarded, "nothing was sent: the draft was discarded and wiped",
     "inget skickades: utkastet kastades och raderades"},
    {Msg::kDraftKept,
     "Your text is kept in $0 (only you can read it). Edit it and send it with --file $0; it is "
     "wiped after sending.",
     "Din text finns kvar i $0 (bara du kan läsa den). Redigera den och skicka den med --file "
     "$0; den raderas efter sändningen."},
    {Msg::kDraftStillRefused,
     "nothing was sent: the text still contains identifying details after $0 rounds in the "
     "editor",
     "inget skickades: texten innehåller fortfarande identifierande uppgifter efter $0 "
     "omgångar i redigeraren"},
    {Msg::kCmdHandover, "adviser: hand a case you hold to another adviser of your unit",
     "rådgivare: lämna över ett ärende du har till en annan rådgivare i din enhet"},
    {Msg::kCmdAdminRelease,
     "free the claim on a case (its adviser is away or revoked); the case goes back to the queue",
     "frigör ett taget ärende (rådgivaren är borta eller spärrad); ärendet går tillbaka till kön"},
    {Msg::kFlagTakeOver, "answer although another adviser holds the case: it moves to you (logged)",
     "svara fast en annan rådgivare har ärendet: det flyttas till dig (loggas)"},
    {Msg::kArgToAdviser, "id of the adviser who takes over the case",
     "id för rådgivaren som tar över ärendet"},
    {Msg::kHandedOver, "Case $0 is now with $1.", "Ärende $0 ligger nu hos $1."},
    {Msg::kForceReleased, "Case $0 is freed and back in the queue.",
     "Ärende $0 är frigjort och tillbaka i kön."},
    {Msg::kTakenOver, "You took over case $0 from $1.", "Du tog över ärende $0 från $1."},
    {Msg::kClaimedByOther,
     "case $0 is claimed by $1; ask them to hand it over (samrad handover), or use --take-over",
     "ärende $0 har tagits av $1; be dem lämna över det (samrad handover), eller använd "
     "--take-over"},
    {Msg::kCaseChangedMeanwhile,
     "case $0 changed while you wrote (another adviser answered or took it over); nothing was "
     "sent: read it again with `samrad show $0` and answer again",
     "ärende $0 ändrades medan du skrev (en annan rådgivare svarade eller tog över det); inget "
     "skickades: läs det igen med `samrad show $0` och svara på nytt"},
    {Msg::kHandoverUnknownAdviser,
     "no adviser \"$0\" in the key directory (epoch $1); check the id, or ask your "
     "administrator to add them",
     "det finns ingen rådgivare \"$0\" i nyckelkatalogen (epok $1); kontrollera id:t, eller be "
     "din administratör lägga till personen"},
    {Msg::kHandoverOtherUnit,
     "adviser $0 belongs to unit $1, not to your unit $2; hand the case over within your unit, "
     "or refer it with `samrad refer --to $1`",
     "rådgivare $0 hör till enhet $1, inte till din enhet $2; lämna över ärendet inom din enhet, "
     "eller hänvisa det med `samrad refer --to $1`"},
    {Msg::kHandoverToSelf, "adviser $0 is you; name another adviser of your unit",
     "rådgivare $0 är du själv; ange en annan rådgivare i din enhet"},
    {Msg::kNotClaimedNothingToRelease, "case $0 is not claimed by anyone; nothing to release",
     "ärende $0 är inte taget av någon; det finns inget att frigöra"},
    {Msg::kNotYourClaim,
     "case $0 is not claimed by you; only the adviser holding it can release or hand it over "
     "(an administrator can free it: samrad admin release $0)",
     "ärende $0 är inte taget av dig; bara rådgivaren som har det kan släppa eller lämna över "
     "det (en administratör kan frigöra det: samrad admin release $0)"},
    {Msg::kFullReferenceNeeded, "\"$0\" is not a full case reference; give all 32 characters",
     "\"$0\" är inte en fullständig ärendereferens; ange alla 32 tecken"},
    {Msg::kRevokedClaimsReleased, "$0 case(s) claimed by that adviser are back in the queue.",
     "$0 ärende(n) som den rådgivaren hade tagit är tillbaka i kön."},
    {Msg::kCmdTeam, "adviser: work as a team in your unit", "rådgivare: arbeta som team i enheten"},
    {Msg::kCmdTeamShare,
     "adviser: let your unit's current advisers read its open cases (re-wraps the keys you hold "
     "to colleagues who cannot open them yet)",
     "rådgivare: låt enhetens nuvarande rådgivare läsa dess öppna ärenden (nycklarna du har "
     "krypteras om till kollegor som ännu inte kan öppna dem)"},
    {Msg::kTeamNotListed,
     "your current key is not listed for any unit in directory epoch $0, so you cannot share "
     "cases; give your bundle to the administrator and wait for the next epoch",
     "din nuvarande nyckel finns inte för någon enhet i nyckelkatalogens epok $0, så du kan inte "
     "dela ärenden; ge din nyckelfil till administratören och vänta på nästa epok"},
    {Msg::kTeamShared, "Shared $0 case(s) ($1 message(s)) with $2; $3 open case(s) checked.",
     "Delade $0 ärende(n) ($1 meddelande(n)) med $2; $3 öppna ärende(n) kontrollerade."},
    {Msg::kTeamNothingShared,
     "Nothing to share: every current adviser of $1 can already open what you can open in the $0 "
     "open case(s).",
     "Inget att dela: alla nuvarande rådgivare i $1 kan redan öppna det du kan öppna i de $0 "
     "öppna ärendena."},
    {Msg::kTeamUnreadable,
     "$0 message(s) could not be shared because your keys cannot open them; a colleague who can "
     "must run `samrad team share`.",
     "$0 meddelande(n) kunde inte delas eftersom dina nycklar inte kan öppna dem; en kollega som "
     "kan måste köra `samrad team share`."},
    {Msg::kTeamRefused, "Not shared because they failed verification (see above): $0",
     "Delades inte eftersom de inte klarade kontrollen (se ovan): $0"},
    {Msg::kTeamRefusedError, "$0 case(s) failed verification, so nothing of them was shared",
     "$0 ärende(n) klarade inte kontrollen, så inget av dem delades"},
    {Msg::kCaseUnitUnreadable,
     "your keys cannot open all of the case's signed messages (they were sealed before your key "
     "was in the directory), so the unit it is with cannot be verified; ask an adviser of your "
     "unit who can read it to run `samrad team share`",
     "dina nycklar kan inte öppna alla ärendets signerade meddelanden (de krypterades innan din "
     "nyckel fanns i katalogen), så enheten som har ärendet kan inte kontrolleras; be en "
     "rådgivare i din enhet som kan läsa det att köra `samrad team share`"},
    {Msg::kCaseQuestionUnreadable,
     "your keys cannot open the case's first message (it was sealed before your key was in the "
     "directory), so its reply key is unknown; ask an adviser of your unit who can read it to "
     "run `samrad team share`",
     "dina nycklar kan inte öppna ärendets första meddelande (det krypterades innan din nyckel "
     "fanns i katalogen), så dess svarsnyckel är okänd; be en rådgivare i din enhet som kan läsa "
     "det att köra `samrad team share`"},
    {Msg::kCmdUnlock, "ask for the passphrase once; an agent keeps the keystore open for a while",
     "ange lösenfrasen en gång; en agent håller nyckelarkivet öppet en stund"},
    {Msg::kCmdLock, "end the agent: the next command asks for the passphrase again",
     "avsluta agenten: nästa kommando frågar efter lösenfrasen igen"},
    {Msg::kCmdPassphrase, "change the keystore passphrase (the old one is needed)",
     "byt nyckelarkivets lösenfras (den gamla behövs)"},
    {Msg::kFlagIdle,
     "how long the agent waits after its last use, e.g. 10m, 2h (default 30m or the profile's "
     "agent_idle_seconds)",
     "hur länge agenten väntar efter senaste användning, t.ex. 10m, 2h (standard 30m eller "
     "profilens agent_idle_seconds)"},
    {Msg::kFlagNewPassphraseFile, "read the new passphrase from the first line of FILE",
     "läs den nya lösenfrasen från första raden i FILE"},
    {Msg::kAgentUnlocked,
     "Unlocked: the agent (pid $0) keeps keystore $1 open until it has been unused for $2. "
     "`samrad lock` ends it.",
     "Upplåst: agenten (pid $0) håller nyckelarkivet $1 öppet tills det varit oanvänt i $2. "
     "`samrad lock` avslutar den."},
    {Msg::kAgentAlreadyUnlocked,
     "Already unlocked: the agent (pid $0) keeps keystore $1 open for $2 more without use.",
     "Redan upplåst: agenten (pid $0) håller nyckelarkivet $1 öppet $2 till utan användning."},
    {Msg::kAgentLocked, "Locked: the agent for keystore $0 has ended.",
     "Låst: agenten för nyckelarkivet $0 har avslutats."},
    {Msg::kAgentNotRunning, "No agent was running for keystore $0.",
     "Ingen agent var igång för nyckelarkivet $0."},
    {Msg::kAgentDirUnsafe,
     "refusing the agent directory $0: it must be a directory owned by you (uid $1) with mode "
     "0700, but its owner is uid $2 and its mode $3; remove it or correct it",
     "vägrar använda agentkatalogen $0: den måste vara en katalog som ägs av dig (uid $1) med "
     "rättigheterna 0700, men ägaren är uid $2 och rättigheterna $3; ta bort eller rätta den"},
    {Msg::kBadIdle, "--idle \"$0\" is not a duration between 1s and 24h (e.g. 30m, 2h, 90s)",
     "--idle \"$0\" är ingen tidslängd mellan 1s och 24h (t.ex. 30m, 2h, 90s)"},
    {Msg::kPassphraseTryAgain, "Wrong passphrase, try again.", "Fel lösenfras, försök igen."},
    {Msg::kPassphraseTooManyTries, "the passphrase for keystore $0 was wrong $1 times",
     "lösenfrasen till nyckelarkivet $0 var fel $1 gånger"},
    {Msg::kPassphraseTooShort,
     "the new passphrase is too short: use at least $0 characters (a few words work well)",
     "den nya lösenfrasen är för kort: använd minst $0 tecken (några ord fungerar bra)"},
    {Msg::kPassphraseShortHint,
     "note: this keystore's passphrase is shorter than $0 characters; change it with "
     "`samrad passphrase`",
     "obs: nyckelarkivets lösenfras är kortare än $0 tecken; byt den med `samrad passphrase`"},
    {Msg::kPassphraseFileReadable,
     "warning: the passphrase file $0 can be read by other users; restrict it with "
     "`chmod 600 $0`",
     "varning: lösenfrasfilen $0 kan läsas av andra användare; begränsa den med "
     "`chmod 600 $0`"},
    {Msg::kPromptNewPassphrase, "New keystore passphrase: ", "Ny lösenfras för nyckelarkivet: "},
    {Msg::kPassphraseChanged, "The passphrase of keystore $0 is changed.",
     "Lösenfrasen för nyckelarkivet $0 är bytt."},
    {Msg::kPassphraseChangedAgentLocked,
     "The agent was ended; run `samrad unlock` with the new passphrase.",
     "Agenten avslutades; kör `samrad unlock` med den nya lösenfrasen."},
    {Msg::kKeyDamaged, "damaged", "skadad"},
    {Msg::kKeyCurrent, "current", "aktuell"},
    {Msg::kKeySuperseded, "superseded $0", "ersatt $0"},
    {Msg::kKindAdviserKey, "adviser", "rådgivare"},
    {Msg::kKindCase, "case", "ärende"},
    {Msg::kFlagYear, "calendar year, e.g. 2026 (default: the last whole year)",
     "kalenderår, t.ex. 2026 (standard: det senaste hela året)"},
    {Msg::kFlagQuarter, "one quarter 1-4 of the year instead of the whole year",
     "ett kvartal 1–4 av året i stället för hela året"},
    {Msg::kFlagMonth, "one month 1-12 of the year instead of the whole year",
     "en månad 1–12 av året i stället för hela året"},
    {Msg::kFlagSvg,
     "also write the yearly follow-up charts (cases per month by category, median time to first "
     "answer per unit) to FILE as SVG",
     "skriv också uppföljningsdiagrammen (ärenden per månad och kategori, mediantid till första "
     "svar per enhet) till FILE som SVG"},
    {Msg::kFlagByStats, "group by any of unit,county,category,month (default: unit)",
     "gruppera efter någon av unit,county,category,month (standard: unit)"},
    {Msg::kStatsRangeGone,
     "--from and --to are no longer offered: statistics cover a whole calendar period, so that "
     "two queries cannot be subtracted to single out a case; use --year YYYY, with --quarter Q "
     "or --month M for part of it",
     "--from och --to finns inte längre: statistiken gäller en hel kalenderperiod, så att två "
     "frågor inte kan dras från varandra för att peka ut ett ärende; ange --year ÅÅÅÅ, med "
     "--quarter K eller --month M för en del av året"},
    {Msg::kBadNumber, "--$0 \"$1\" is not a whole number from $2 to $3",
     "--$0 \"$1\" är inte ett heltal från $2 till $3"},
    {Msg::kStatsOnePeriod, "give --quarter or --month, not both",
     "ange --quarter eller --month, inte båda"},
    {Msg::kStatsCsvOrJson, "give --csv or --json, not both", "ange --csv eller --json, inte båda"},
    {Msg::kStatsBadDimension, "--by \"$0\" is not one of: $1", "--by \"$0\" är inte något av: $1"},
    {Msg::kStatsDimensionTwice, "--by names $0 twice", "--by anger $0 två gånger"},
    {Msg::kStatsTotal, "Total", "Totalt"},
    {Msg::kStatsTitle, "Consultations created in $0", "Konsultationer skapade under $0"},
    {Msg::kStatsFootnote,
     "<5 = fewer than 5 (never shown as a number); N+ = N, and groups under 5 that are left out "
     "of every number.",
     "<5 = färre än 5 (visas aldrig som tal); N+ = N, och grupper under 5 som inte räknas in i "
     "något tal."},
    {Msg::kStatsSvgWritten, "Charts written to $0.", "Diagrammen skrevs till $0."},
    {Msg::kSvgCasesTitle, "Cases per month by category, $0", "Ärenden per månad och kategori, $0"},
    {Msg::kSvgMedianTitle, "Median time to first answer per unit, $0",
     "Mediantid till första svar per enhet, $0"},
    {Msg::kSvgNote,
     "Groups under 5 consultations are marked <5 and not drawn; they are left out of every "
     "number.",
     "Grupper med färre än 5 konsultationer märks <5 och ritas inte; de räknas inte in i något "
     "tal."},
    {Msg::kMonthNames, "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
     "jan feb mar apr maj jun jul aug sep okt nov dec"},
    {Msg::kDurationHours, "$0 h", "$0 tim"},
    {Msg::kDurationDays, "$0 days", "$0 dygn"},
    {Msg::kColMonth, "MONTH", "MÅNAD"},
    {Msg::kColSuppressed, "GROUPS UNDER 5", "GRUPPER UNDER 5"},
    {Msg::kSvgNoAnswers, "no answered group of 5 or more", "ingen besvarad grupp med 5 eller fler"},
    {Msg::kSvgCasesAxis, "cases", "ärenden"},
    {Msg::kSvgHoursAxis, "hours", "timmar"},
    {Msg::kStatsNotEnded,
     "$0 ends on $1 (UTC); statistics of a period are given once it has ended, so that they "
     "never change by a single new case",
     "$0 slutar $1 (UTC); statistik för en period ges när den är slut, så att den aldrig ändras "
     "av ett enda nytt ärende"},
    {Msg::kColMedianHours, "MEDIAN TO FIRST ANSWER (HOURS)", "MEDIAN TILL FÖRSTA SVAR (TIMMAR)"},
    {Msg::kNoProfile, "no profile at $0", "ingen profil i $0"},
    {Msg::kFlagExec,
     "run CMD through /bin/sh once per event; the event is only in environment variables "
     "($$SAMRAD_EVENT, $$SAMRAD_REF, $$SAMRAD_URGENCY, $$SAMRAD_CATEGORY, $$SAMRAD_COUNTY, "
     "$$SAMRAD_UNIT, $$SAMRAD_STATE, $$SAMRAD_CLAIMED_BY, $$SAMRAD_ACUTE)",
     "kör CMD med /bin/sh en gång per händelse; händelsen finns bara i miljövariabler "
     "($$SAMRAD_EVENT, $$SAMRAD_REF, $$SAMRAD_URGENCY, $$SAMRAD_CATEGORY, $$SAMRAD_COUNTY, "
     "$$SAMRAD_UNIT, $$SAMRAD_STATE, $$SAMRAD_CLAIMED_BY, $$SAMRAD_ACUTE)"},
    {Msg::kWatchLost, "samrad: lost the relay ($0); still watching: reconnecting, next try in $1 s",
     "samrad: förlorade kontakten med reläet ($0); bevakar fortfarande: ansluter igen, nästa "
     "försök om $1 s"},
    {Msg::kWatchRegained,
     "samrad: connected to the relay again after $0; $1 change(s) while away follow",
     "samrad: ansluten till reläet igen efter $0; $1 ändring(ar) under avbrottet följer"},
    {Msg::kWatchAcute, "ACUTE", "AKUT"},
    {Msg::kWatchExecFailed, "samrad: --exec for case $0: $1 (the watch goes on)",
     "samrad: --exec för ärende $0: $1 (bevakningen fortsätter)"},
    {Msg::kWatchHookFailed,
     "samrad: the new key directory (epoch $0) could not be handled: $1 (the watch goes on)",
     "samrad: den nya nyckelkatalogen (epok $0) kunde inte hanteras: $1 (bevakningen "
     "fortsätter)"},
    {Msg::kDirSignNoAdvisers,
     "warning: unit $0 has no advisers; questions from its counties ($1) go to the fallback "
     "unit $2 until advisers are added",
     "varning: enheten $0 har inga rådgivare; frågor från dess län ($1) går till "
     "reservenheten $2 tills rådgivare läggs till"},
    {Msg::kColNew, "NEW", "NYTT"},
    {Msg::kUnreadFollowUp, "new follow-up", "ny följdfråga"},
    {Msg::kUnreadAnswer, "new answer", "nytt svar"},
    {Msg::kUnreadCase, "new case", "nytt ärende"},
    {Msg::kFlagFilterState, "only cases in these states (comma-separated)",
     "bara ärenden i dessa lägen (kommaseparerade)"},
    {Msg::kFlagFilterUrgency, "only cases of these urgencies (comma-separated)",
     "bara ärenden med dessa brådskegrader (kommaseparerade)"},
    {Msg::kFlagFilterCategory, "only cases of these categories (comma-separated)",
     "bara ärenden i dessa kategorier (kommaseparerade)"},
    {Msg::kFlagFilterCounty, "only cases from these county codes (comma-separated)",
     "bara ärenden från dessa länskoder (kommaseparerade)"},
    {Msg::kFlagFilterAge, "only cases about these age groups (comma-separated)",
     "bara ärenden om dessa åldersgrupper (kommaseparerade)"},
    {Msg::kFlagMine, "only cases claimed by me", "bara ärenden som jag har tagit"},
    {Msg::kFlagSinceDate, "only cases opened on or after DATE (YYYY-MM-DD, local time)",
     "bara ärenden öppnade på eller efter DATE (ÅÅÅÅ-MM-DD, lokal tid)"},
    {Msg::kFlagUntilDate, "only cases opened on or before DATE (YYYY-MM-DD, local time)",
     "bara ärenden öppnade på eller före DATE (ÅÅÅÅ-MM-DD, lokal tid)"},
    {Msg::kBadFilterValue, "--$0 \"$1\" is not allowed; use one or more of: $2",
     "--$0 \"$1\" är inte tillåtet; ange ett eller flera av: $2"},
    {Msg::kBadFilterDate, "--$0 \"$1\" is not a date; write it as YYYY-MM-DD (e.g. 2026-11-28)",
     "--$0 \"$1\" är inget datum; skriv det som ÅÅÅÅ-MM-DD (t.ex. 2026-11-28)"},
    {Msg::kCmdSearch, "search the text of the cases your keystore can open, on this computer only",
     "sök i texten i de ärenden ditt nyckelarkiv kan öppna, bara på denna dator"},
    {Msg::kArgSearchText, "words to look for (case and accents do not matter)",
     "ord att leta efter (skiftläge och accenter spelar ingen roll)"},
    {Msg::kFlagSearchLimit, "read at most N cases, newest activity first (default 200)",
     "läs högst N ärenden, senast aktiva först (standard 200)"},
    {Msg::kSearchNone, "No case contains \"$0\".", "Inget ärende innehåller \"$0\"."},
    {Msg::kSearchSkipped, "samrad: searched $0 of $1 cases (--limit); older ones were not read",
     "samrad: sökte i $0 av $1 ärenden (--limit); äldre lästes inte"},
    {Msg::kFilterNoMatch, "No case matches the filters.", "Inget ärende matchar filtren."},
    {Msg::kDirSignFallbackNoAdvisers,
     "warning: the fallback unit $0 has no advisers; questions from counties whose unit has "
     "none cannot be sent at all",
     "varning: reservenheten $0 har inga rådgivare; frågor från län vars enhet saknar "
     "rådgivare kan inte skickas alls"},
    {Msg::kWatchExecNeedsQueue,
     "--exec works with `samrad watch` (the queue), not with the watch of one case",
     "--exec fungerar med `samrad watch` (kön), inte med bevakningen av ett ärende"},
    {Msg::kSearchEmpty, "give the words to search for, e.g. samrad search \"resa sommar\"",
     "ange orden att söka efter, t.ex. samrad search \"resa sommar\""},
    {Msg::kSearchBadLimit, "--limit must be a whole number from 1 to 10000, not \"$0\"",
     "--limit måste vara ett heltal från 1 till 10000, inte \"$0\""},
    {Msg::kFlagVerbose, "show gRPC's own diagnostics on stderr",
     "visa gRPC:s egen diagnostik på stderr"},
    {Msg::kOwnCertExpired,
     "your certificate has expired ($0) — ask your administrator for a new one",
     "ditt certifikat har gått ut ($0) — be din administratör om ett nytt"},
    {Msg::kOwnCertNotYetValid,
     "your certificate is not valid before $0 — check this computer's clock, or ask your "
     "administrator",
     "ditt certifikat gäller inte före $0 — kontrollera datorns klocka, eller fråga din "
     "administratör"},
    {Msg::kOwnCertExpiresSoon,
     "warning: your certificate expires in $0 days ($1) — ask your administrator for a new one",
     "varning: ditt certifikat går ut om $0 dagar ($1) — be din administratör om ett nytt"},
    {Msg::kRelayCertUntrusted,
     "the relay's certificate is not signed by your organisation's CA — check the CA file ($0), or "
     "the connection is being intercepted",
     "reläets certifikat är inte signerat av din organisations CA — kontrollera CA-filen ($0), "
     "eller så avlyssnas anslutningen"},
    {Msg::kRelayCertWrongName,
     "the relay's certificate is not issued for $0 — check the relay address, or pass "
     "--server-name with the name in its certificate",
     "reläets certifikat är inte utfärdat för $0 — kontrollera reläets adress, eller ange "
     "--server-name med namnet i dess certifikat"},
    {Msg::kRelayClosedConnection,
     "the relay at $0 closed the connection — it may be restarting (try again in a minute); if it "
     "happens on every try, the relay does not accept your certificate: ask your administrator",
     "reläet på $0 stängde anslutningen — det kanske startar om (försök igen om en minut); händer "
     "det varje gång godtar reläet inte ditt certifikat: fråga din administratör"},
    {Msg::kRelayNoAnswer,
     "the relay at $0 did not answer in time — try again; if it persists, tell the relay's "
     "operator",
     "reläet på $0 svarade inte i tid — försök igen; om det fortsätter, kontakta reläets "
     "driftansvariga"},
    {Msg::kRelayUnreachable,
     "cannot reach the relay at $0 — is it running? (check the address in your profile and your "
     "network)",
     "når inte reläet på $0 — är det igång? (kontrollera adressen i profilen och nätverket)"},
    {Msg::kAskPermanent,
     "The relay refused the question and will refuse it again; it is stored only on this computer. "
     "Remove it with `samrad discard $0`.",
     "Reläet avvisade frågan och kommer att avvisa den igen; den finns bara sparad på den här "
     "datorn. Ta bort den med `samrad discard $0`."},
    {Msg::kCmdDiscard, "professional: remove a question the relay never acknowledged",
     "yrkesperson: ta bort en fråga som reläet aldrig kvitterade"},
    {Msg::kDiscardConfirmPrompt,
     "Remove the unsent question $0 from this computer? It cannot be restored. [y/N] ",
     "Ta bort den oskickade frågan $0 från den här datorn? Den kan inte återställas. [j/N] "},
    {Msg::kDiscardNotConfirmed, "nothing was removed", "inget togs bort"},
    {Msg::kDiscardNeedsYes,
     "discard removes the question for good: confirm on a terminal, or pass --yes",
     "discard tar bort frågan för gott: bekräfta i en terminal, eller ange --yes"},
    {Msg::kDiscarded, "Removed the unsent question $0.", "Den oskickade frågan $0 togs bort."},
    {Msg::kDiscardAcknowledged,
     "case $0 reached the relay, so it is not discarded; close it with `samrad close $0` (add "
     "--forget to delete its keys)",
     "ärende $0 har nått reläet och kastas därför inte; stäng det med `samrad close $0` (lägg till "
     "--forget för att radera dess nycklar)"},
    {Msg::kCloseUnsent,
     "case $0 never reached the relay, so there is nothing to close there; send it with `samrad "
     "resend $0` or remove it with `samrad close $0 --forget` (or `samrad discard $0`)",
     "ärende $0 nådde aldrig reläet, så där finns inget att stänga; skicka det med `samrad resend "
     "$0` eller ta bort det med `samrad close $0 --forget` (eller `samrad discard $0`)"},
    {Msg::kCountyNotYours,
     "--county $0 ($1): your certificate is for county $2 ($3), and the relay accepts questions "
     "only for that county; use --county $2. Nothing was stored.",
     "--county $0 ($1): ditt certifikat gäller län $2 ($3), och reläet tar bara emot frågor för "
     "det länet; ange --county $2. Inget sparades."},
    {Msg::kAskNeedsProfessional,
     "only a professional's certificate can ask; yours is for the role $0 ($1). Nothing was "
     "stored.",
     "bara en yrkespersons certifikat kan ställa frågor; ditt gäller rollen $0 ($1). Inget "
     "sparades."},
    {Msg::kTextTooLong,
     "the text is too long for the relay: $0 bytes, at most $1 fit (the relay accepts $2 bytes "
     "sealed) — shorten it by at least $3 bytes. Nothing was stored.",
     "texten är för lång för reläet: $0 byte, högst $1 ryms (reläet tar emot $2 byte förseglat) — "
     "korta den med minst $3 byte. Inget sparades."},
    {Msg::kNoOpenCases, "No open cases; $0 closed (`samrad cases --all` lists them).",
     "Inga öppna ärenden; $0 stängda (`samrad cases --all` visar dem)."},
    {Msg::kInitReused, "Profile written to $0; keystore reused at $1.",
     "Profilen skrevs till $0; befintligt nyckelarkiv i $1 används."},
    {Msg::kInitNoDirectoryYet,
     "note: the relay has no key directory yet; `samrad` checks the directory key once the "
     "administrator has published one",
     "obs: reläet har ingen nyckelkatalog ännu; `samrad` kontrollerar katalognyckeln när "
     "administratören har publicerat en"},
    {Msg::kInitAdviserIdMismatch,
     "--adviser-id $0 does not match your certificate, which names $1 ($2); use --adviser-id $3 or "
     "the certificate issued to you. Nothing was written.",
     "--adviser-id $0 stämmer inte med ditt certifikat, som anger $1 ($2); ange --adviser-id $3 "
     "eller det certifikat som utfärdats till dig. Inget skrevs."},
    {Msg::kInitAdviserIdNotAdviser,
     "--adviser-id is for advisers, but your certificate names the role $0 ($1). Nothing was "
     "written.",
     "--adviser-id är för rådgivare, men ditt certifikat anger rollen $0 ($1). Inget skrevs."},
    {Msg::kInitCertNoIdentity,
     "the certificate $0 names no Samråd identity (SAN URI samrad://ROLE/UNIT-OR-COUNTY/ID) — ask "
     "your administrator for a Samråd certificate. Nothing was written.",
     "certifikatet $0 anger ingen Samråd-identitet (SAN URI samrad://ROLL/ENHET-ELLER-LÄN/ID) — be "
     "din administratör om ett Samråd-certifikat. Inget skrevs."},
    {Msg::kInitCertNotFromCa,
     "your certificate $0 was not issued by the CA in $1 ($2) — check --cert and --ca. Nothing was "
     "written.",
     "ditt certifikat $0 är inte utfärdat av CA:n i $1 ($2) — kontrollera --cert och --ca. Inget "
     "skrevs."},
    {Msg::kInitDirectoryKeyWrong,
     "the directory key you gave does not verify the key directory the relay serves — check "
     "--directory-key with your administrator. Nothing was written.",
     "katalognyckeln du angav verifierar inte nyckelkatalogen som reläet tillhandahåller — "
     "kontrollera --directory-key med din administratör. Inget skrevs."},
    {Msg::kCmdWhoami, "show who your certificate says you are, and the key directory in use",
     "visa vem ditt certifikat säger att du är, och nyckelkatalogen som används"},
    {Msg::kWhoami,
     "Role:          $0\nScope:         $1\nId:            $2\nCertificate:   expires $3 ($4 days "
     "left)\nKey directory: $5\n",
     "Roll:          $0\nOmråde:        $1\nId:            $2\nCertifikat:    går ut $3 (om $4 "
     "dagar)\nNyckelkatalog: $5\n"},
    {Msg::kWhoamiDirectory, "epoch $0, signed $1 ($2 ago)", "epok $0, signerad $1 (för $2 sedan)"},
    {Msg::kWhoamiNoDirectory, "none seen yet", "ingen sedd ännu"},
    {Msg::kRoleProfessional, "professional", "yrkesperson"},
    {Msg::kRoleAdviser, "adviser", "rådgivare"},
    {Msg::kRoleAdmin, "administrator", "administratör"},
    {Msg::kExamples, "Examples", "Exempel"},
    {Msg::kDidYouMean, "did you mean \"$0\"?", "menade du \"$0\"?"},
    {Msg::kCmdHelp, "show the help of a command (e.g. `samrad help ask`)",
     "visa hjälpen för ett kommando (t.ex. `samrad help ask`)"},
    {Msg::kArgCommand, "the command, e.g. `ask` or `admin directory sign`",
     "kommandot, t.ex. `ask` eller `admin directory sign`"},
    {Msg::kFlagYesConfirm, "do not ask for confirmation (for scripts)",
     "fråga inte om bekräftelse (för skript)"},
    {Msg::kForgetConfirmPrompt,
     "Close case $0 and delete its keys from this computer? You can never read it again. [y/N] ",
     "Stänga ärende $0 och radera dess nycklar från den här datorn? Du kan aldrig läsa det igen. "
     "[j/N] "},
    {Msg::kForgetNeedsYes,
     "close --forget deletes the case's keys for good: confirm on a terminal, or pass --yes",
     "close --forget raderar ärendets nycklar för gott: bekräfta i en terminal, eller ange --yes"},
    {Msg::kRevokeConfirmPrompt,
     "Revoke certificate $0? Its holder loses access at once; this cannot be undone. [y/N] ",
     "Spärra certifikat $0? Innehavaren förlorar åtkomsten direkt; det kan inte ångras. [j/N] "},
    {Msg::kRevokeNeedsYes,
     "revoking a certificate cannot be undone: confirm on a terminal, or pass --yes",
     "en spärr av ett certifikat kan inte ångras: bekräfta i en terminal, eller ange --yes"},
    {Msg::kNothingChanged, "nothing was changed", "inget ändrades"},
    {Msg::kExHelp,
     "samrad help ask\n    the help of `samrad ask`\nsamrad help admin directory sign\n    a "
     "nested command",
     "samrad help ask\n    hjälpen för `samrad ask`\nsamrad help admin directory sign\n    ett "
     "kommando i flera led"},
    {Msg::kExInit,
     "samrad init --relay relay.example.se:8443 --cert me.crt --key me.key --ca ca.crt "
     "--directory-key directory.pub\n    set up this computer with the files from your "
     "administrator",
     "samrad init --relay relay.example.se:8443 --cert jag.crt --key jag.key --ca ca.crt "
     "--directory-key katalog.pub\n    ställ in den här datorn med filerna från din administratör"},
    {Msg::kExWhoami, "samrad whoami\n    who the certificate says you are, and when it expires",
     "samrad whoami\n    vem certifikatet säger att du är, och när det går ut"},
    {Msg::kExCheck,
     "samrad check question.txt\n    what the anonymisation guard finds\nsamrad check --redact "
     "question.txt\n    also show the redacted text",
     "samrad check fraga.txt\n    vad anonymiseringskontrollen hittar\nsamrad check --redact "
     "fraga.txt\n    visa även den maskerade texten"},
    {Msg::kExUnlock, "samrad unlock --idle 2h\n    type the passphrase once for the next two hours",
     "samrad unlock --idle 2h\n    skriv lösenfrasen en gång för de närmaste två timmarna"},
    {Msg::kExLock, "samrad lock\n    forget the unlocked keystore now (e.g. before a break)",
     "samrad lock\n    glöm den upplåsta nyckelfilen nu (t.ex. före en paus)"},
    {Msg::kExPassphrase, "samrad passphrase\n    choose a new passphrase (at least 12 characters)",
     "samrad passphrase\n    välj en ny lösenfras (minst 12 tecken)"},
    {Msg::kExAsk,
     "samrad ask --county 07 --category honour-violence --urgency normal --org school --age child "
     "--file question.txt\n    ask the unit for county 07; prints the case reference",
     "samrad ask --county 07 --category hedersrelaterat-våld --urgency normal --org skola --age "
     "barn --file fraga.txt\n    fråga enheten för län 07; skriver ut ärendereferensen"},
    {Msg::kExResend,
     "samrad resend 3f9a2c1e\n    send again a question the relay did not acknowledge",
     "samrad resend 3f9a2c1e\n    skicka om en fråga som reläet inte kvitterade"},
    {Msg::kExDiscard, "samrad discard 3f9a2c1e\n    remove a question the relay refused for good",
     "samrad discard 3f9a2c1e\n    ta bort en fråga som reläet avvisade för gott"},
    {Msg::kExCases,
     "samrad cases\n    your open cases\nsamrad cases --all --state answered\n    also closed "
     "ones, only answered",
     "samrad cases\n    dina öppna ärenden\nsamrad cases --all --state besvarat\n    även stängda, "
     "bara besvarade"},
    {Msg::kExShow,
     "samrad show 3f9a2c1e\n    read the case (the first 8 characters of the reference suffice)",
     "samrad show 3f9a2c1e\n    läs ärendet (de första 8 tecknen i referensen räcker)"},
    {Msg::kExFollowup, "samrad followup 3f9a2c1e --file more.txt\n    add to your question",
     "samrad followup 3f9a2c1e --file mer.txt\n    komplettera din fråga"},
    {Msg::kExClose,
     "samrad close 3f9a2c1e\n    close the case; the answer stays readable\nsamrad close 3f9a2c1e "
     "--forget\n    close it and delete its keys (asks first)",
     "samrad close 3f9a2c1e\n    stäng ärendet; svaret går fortfarande att läsa\nsamrad close "
     "3f9a2c1e --forget\n    stäng det och radera dess nycklar (frågar först)"},
    {Msg::kExWatch,
     "samrad watch 3f9a2c1e\n    wait for the answer\nsamrad watch --exec 'notify-send Samråd'\n   "
     " adviser: notify on every new case",
     "samrad watch 3f9a2c1e\n    vänta på svaret\nsamrad watch --exec 'notify-send Samråd'\n    "
     "rådgivare: avisera vid varje nytt ärende"},
    {Msg::kExKeygen,
     "samrad keygen --out my-keys.bundle\n    create your keys; give the file to the "
     "administrator\nsamrad keygen --rotate\n    new keys (e.g. yearly)",
     "samrad keygen --out mina-nycklar.bundle\n    skapa dina nycklar; ge filen till "
     "administratören\nsamrad keygen --rotate\n    nya nycklar (t.ex. varje år)"},
    {Msg::kExKeysList, "samrad keys list\n    your current and earlier keys",
     "samrad keys list\n    dina nuvarande och tidigare nycklar"},
    {Msg::kExKeysPrune,
     "samrad keys prune --older-than 90\n    delete keys replaced more than 90 days ago",
     "samrad keys prune --older-than 90\n    radera nycklar som ersattes för mer än 90 dagar "
     "sedan"},
    {Msg::kExQueue,
     "samrad queue\n    the unit's open cases\nsamrad queue --urgency acute --mine\n    acute "
     "cases you hold",
     "samrad queue\n    enhetens öppna ärenden\nsamrad queue --urgency akut --mine\n    akuta "
     "ärenden som du har tagit"},
    {Msg::kExSearch,
     "samrad search 'forced marriage'\n    search the cases you can read, on this computer",
     "samrad search 'tvångsäktenskap'\n    sök i ärenden du kan läsa, på den här datorn"},
    {Msg::kExClaim, "samrad claim 3f9a2c1e\n    take the case so colleagues see it is handled",
     "samrad claim 3f9a2c1e\n    ta ärendet så att kollegor ser att det hanteras"},
    {Msg::kExRelease, "samrad release 3f9a2c1e\n    give a case you hold back to the queue",
     "samrad release 3f9a2c1e\n    lämna tillbaka ett ärende du har tagit till kön"},
    {Msg::kExHandover,
     "samrad handover 3f9a2c1e adviser-2\n    give the case to a colleague of your unit",
     "samrad handover 3f9a2c1e radgivare-2\n    ge ärendet till en kollega i din enhet"},
    {Msg::kExAnswer, "samrad answer 3f9a2c1e --file answer.txt\n    answer the case",
     "samrad answer 3f9a2c1e --file svar.txt\n    besvara ärendet"},
    {Msg::kExRefer,
     "samrad refer 3f9a2c1e --to rc-kronoberg --reason 'the family lives there'\n    move the case "
     "to another unit",
     "samrad refer 3f9a2c1e --to rc-kronoberg --reason 'familjen bor där'\n    flytta ärendet till "
     "en annan enhet"},
    {Msg::kExTeamShare,
     "samrad team share\n    let colleagues who joined later read the open cases",
     "samrad team share\n    låt kollegor som tillkommit senare läsa de öppna ärendena"},
    {Msg::kExDirInit,
     "samrad admin directory init --out /etc/samrad/directory\n    start a key directory",
     "samrad admin directory init --out /etc/samrad/directory\n    starta en nyckelkatalog"},
    {Msg::kExDirAddUnit,
     "samrad admin directory add-unit rc-kronoberg --name 'Resource centre Kronoberg' --counties "
     "07\n    a unit that answers county 07",
     "samrad admin directory add-unit rc-kronoberg --name 'Kompetenscentrum Kronoberg' --counties "
     "07\n    en enhet som svarar för län 07"},
    {Msg::kExDirRemoveUnit, "samrad admin directory remove-unit rc-kronoberg\n    remove a unit",
     "samrad admin directory remove-unit rc-kronoberg\n    ta bort en enhet"},
    {Msg::kExDirAddAdviser,
     "samrad admin directory add-adviser rc-kronoberg adviser.bundle\n    add the keys an adviser "
     "made with `samrad keygen`",
     "samrad admin directory add-adviser rc-kronoberg radgivare.bundle\n    lägg till nycklarna en "
     "rådgivare skapat med `samrad keygen`"},
    {Msg::kExDirRemoveAdviser,
     "samrad admin directory remove-adviser rc-kronoberg adviser-2 --revoke-keys\n    a lost or "
     "stolen key",
     "samrad admin directory remove-adviser rc-kronoberg radgivare-2 --revoke-keys\n    en "
     "borttappad eller stulen nyckel"},
    {Msg::kExDirSign,
     "samrad admin directory sign --valid-days 7\n    sign the changes as a new epoch, valid 7 "
     "days",
     "samrad admin directory sign --valid-days 7\n    signera ändringarna som en ny epok, giltig i "
     "7 dagar"},
    {Msg::kExDirRefresh,
     "samrad admin directory refresh && samrad admin directory publish\n    the weekly re-signing",
     "samrad admin directory refresh && samrad admin directory publish\n    den veckovisa "
     "omsigneringen"},
    {Msg::kExDirPublish,
     "samrad admin directory publish\n    send the signed directory to the relay",
     "samrad admin directory publish\n    skicka den signerade katalogen till reläet"},
    {Msg::kExDirShow, "samrad admin directory show\n    units, advisers and the epoch",
     "samrad admin directory show\n    enheter, rådgivare och epoken"},
    {Msg::kExAdminRevoke,
     "samrad admin revoke --cert lost-laptop.crt --reason 'stolen laptop'\n    lock a certificate "
     "out (asks first)\nsamrad admin revoke --serial 4F1A --yes\n    in a script",
     "samrad admin revoke --cert borttappad.crt --reason 'stulen dator'\n    stäng ute ett "
     "certifikat (frågar först)\nsamrad admin revoke --serial 4F1A --yes\n    i ett skript"},
    {Msg::kExAdminRevoked, "samrad admin revoked\n    the revocation list",
     "samrad admin revoked\n    spärrlistan"},
    {Msg::kExAdminRelease,
     "samrad admin release 3f9a2c1e5b7d4a6c8e0f1a2b3c4d5e6f\n    free the claim of an adviser who "
     "left",
     "samrad admin release 3f9a2c1e5b7d4a6c8e0f1a2b3c4d5e6f\n    frigör ett ärende som en "
     "rådgivare som slutat har tagit"},
    {Msg::kExAdminAudit,
     "samrad admin audit --since 2026-01-01\n    what happened this year\nsamrad admin audit "
     "--verify\n    check that the log is unbroken",
     "samrad admin audit --since 2026-01-01\n    vad som hänt i år\nsamrad admin audit --verify\n  "
     "  kontrollera att loggen är obruten"},
    {Msg::kExAdminStats,
     "samrad admin stats --year 2026 --by unit,category\n    the yearly follow-up\nsamrad admin "
     "stats --year 2026 --csv > stats.csv\n    for a spreadsheet",
     "samrad admin stats --year 2026 --by unit,category\n    den årliga uppföljningen\nsamrad "
     "admin stats --year 2026 --csv > statistik.csv\n    för ett kalkylark"},
    {Msg::kExAdminPurge,
     "samrad admin purge --dry-run\n    what the retention policy would delete now",
     "samrad admin purge --dry-run\n    vad gallringsregeln skulle radera nu"},
    {Msg::kExAdminBackup,
     "samrad admin backup\n    a backup of the relay's data (on the relay's host)\n"
     "samrad admin backup --list\n    the backups there, with the id to restore",
     "samrad admin backup\n    en säkerhetskopia av reläets data (på reläets värd)\n"
     "samrad admin backup --list\n    säkerhetskopiorna där, med id för återställning"},
    {Msg::kColSubject, "SUBJECT", "ÄMNE"},
    {Msg::kCmdAdminUnrevoke,
     "undo the revocation of a client certificate (national administrators)",
     "häv spärren av ett klientcertifikat (nationella administratörer)"},
    {Msg::kUnrevokedDone, "Certificate $0 is no longer revoked; it works again from its next call.",
     "Certifikat $0 är inte längre spärrat; det fungerar igen från nästa anrop."},
    {Msg::kAuditScopedNoVerify,
     "Your administrator certificate sees only its unit's audit entries, so the whole chain "
     "cannot be verified from it; a national administrator can run --verify.",
     "Ditt administratörscertifikat ser bara sin enhets granskningsposter, så hela kedjan kan "
     "inte verifieras med det; en nationell administratör kan köra --verify."},
    {Msg::kExAdminUnrevoke,
     "samrad admin unrevoke --cert found-laptop.crt --reason 'found again'\n    the "
     "certificate works again from its next call",
     "samrad admin unrevoke --cert hittad-dator.crt --reason 'återfunnen'\n    certifikatet "
     "fungerar igen från nästa anrop"},
    {Msg::kFlagBackupList, "list the backups on the relay's host instead of making one",
     "visa säkerhetskopiorna på reläets dator i stället för att göra en ny"},
    {Msg::kColBackupId, "BACKUP", "KOPIA"},
    {Msg::kColSize, "SIZE (BYTES)", "STORLEK (BYTE)"},
    {Msg::kColFiles, "FILES", "FILER"},
    {Msg::kBackupListTitle, "Backups in $0 on the relay's host (it keeps the newest $1):",
     "Säkerhetskopior i $0 på reläets dator (de $1 senaste sparas):"},
    {Msg::kNoBackups, "There are no backups in $0 on the relay's host yet.",
     "Det finns inga säkerhetskopior i $0 på reläets dator ännu."},
    {Msg::kBackupRestoreHint,
     "To restore one, stop the relay and run on its host: samrad-relay restore --backup-dir $0 "
     "--backup-id BACKUP --data-dir EMPTY-DIRECTORY",
     "Stoppa reläet och kör på dess dator för att återställa en: samrad-relay restore "
     "--backup-dir $0 --backup-id KOPIA --data-dir TOM-KATALOG"},
    {Msg::kBackupPurged, "Older backups removed (the relay keeps the newest $0): $1.",
     "Äldre säkerhetskopior togs bort (reläet sparar de $0 senaste): $1."},
    {Msg::kRelayRefused, "the relay refused: $0", "reläet nekade: $0"},
    {Msg::kRelayUntranslated, "$0",
     "reläet svarade med en text som inte är översatt till svenska: \"$0\""},
    {Msg::kManSection, "User Commands", "Användarkommandon"},
    {Msg::kManName, "NAME", "NAMN"},
    {Msg::kManSynopsis, "SYNOPSIS", "ÖVERSIKT"},
    {Msg::kManDescription, "DESCRIPTION", "BESKRIVNING"},
    {Msg::kManCommands, "COMMANDS", "KOMMANDON"},
    {Msg::kManGlobalOptions, "GLOBAL OPTIONS", "GLOBALA FLAGGOR"},
    {Msg::kManExitStatus, "EXIT STATUS", "SLUTSTATUS"},
    {Msg::kManEnvironment, "ENVIRONMENT", "MILJÖ"},
    {Msg::kManSeeAlso, "SEE ALSO", "SE ÄVEN"},
    {Msg::kManAllowed, "One of: $0.", "Något av: $0."},
    {Msg::kManDescriptionText,
     "samrad is the one command line of Samråd for professionals, advisers of regional resource "
     "centres and administrators. Messages are encrypted on this computer and only ciphertext "
     "reaches the relay (samrad-relay(8)). Every command takes --help; `samrad help COMMAND` "
     "shows the same text as this page's section for it.",
     "samrad är Samråds kommandorad för yrkesverksamma, rådgivare vid regionala resurscentrum och "
     "administratörer. Meddelanden krypteras på den här datorn och bara krypterad text når reläet "
     "(samrad-relay(8)). Varje kommando tar --help; `samrad help KOMMANDO` visar samma text som "
     "sidans avsnitt om kommandot."},
    {Msg::kManEnvironmentText,
     "Messages are in Swedish when LC_ALL, LC_MESSAGES or LANG (the first one set) starts with sv, "
     "otherwise in English. Times are shown in the zone TZ names (Europe/Stockholm under a "
     "Swedish locale when TZ is unset). XDG_RUNTIME_DIR holds the agent's socket (samrad "
     "unlock).",
     "Meddelanden är på svenska när LC_ALL, LC_MESSAGES eller LANG (den första som är satt) börjar "
     "med sv, annars på engelska. Tider visas i den zon som TZ anger (Europe/Stockholm med svensk "
     "språkinställning när TZ inte är satt). XDG_RUNTIME_DIR rymmer agentens uttag (samrad "
     "unlock)."},
    {Msg::kManCommandWord, "COMMAND", "KOMMANDO"},
    {Msg::kManOptionsWord, "OPTIONS", "FLAGGOR"},
    {Msg::kNoDirectoryPublished,
     "the relay has no key directory yet; the administrator must publish one (`samrad admin "
     "directory publish`)",
     "reläet har ingen nyckelkatalog än; administratören måste publicera en (`samrad admin "
     "directory publish`)"},
    {Msg::kNeedAdminDir, "give the directory folder with --dir DIR or $$SAMRAD_ADMIN_DIR",
     "ange katalogmappen med --dir MAPP eller $$SAMRAD_ADMIN_DIR"},
    {Msg::kHaveKeyPair, "you already have a key pair; pass --rotate to make a new one",
     "du har redan ett nyckelpar; ange --rotate för att skapa ett nytt"},
    {Msg::kOlderThanRange, "--older-than must be a number of days, 0..36500",
     "--older-than ska vara ett antal dagar, 0..36500"},
    {Msg::kFirstMessageUnverified, "the case's first message cannot be verified",
     "ärendets första meddelande kan inte verifieras"},
    {Msg::kLzNoKeystore, "no keystore at $0", "det finns inget nyckelarkiv i $0"},
    {Msg::kLzWrongPassphrase, "the passphrase for keystore $0 is wrong",
     "lösenfrasen för nyckelarkivet $0 är fel"},
    {Msg::kLzKeystoreDamaged, "keystore $0 is damaged: $1", "nyckelarkivet $0 är skadat: $1"},
    {Msg::kLzContentsDoNotParse, "its contents do not parse", "innehållet går inte att tolka"},
    {Msg::kLzNoAdviserKeys, "this keystore holds no adviser keys; run `samrad keygen`",
     "nyckelarkivet har inga rådgivarnycklar; kör `samrad keygen`"},
    {Msg::kLzKeystoreChanged,
     "keystore $0 was changed by another samrad meanwhile; nothing was saved, run the command "
     "again",
     "nyckelarkivet $0 ändrades av en annan samrad under tiden; inget sparades, kör kommandot "
     "igen"},
    {Msg::kLzRefTooShort, "case reference \"$0\" is too short; give at least $1 characters",
     "ärendereferensen \"$0\" är för kort; ange minst $1 tecken"},
    {Msg::kLzRefAmbiguous, "case reference \"$0\" matches several cases; give more characters",
     "ärendereferensen \"$0\" passar på flera ärenden; ange fler tecken"},
    {Msg::kLzNoSuchCase, "no case \"$0\" in this keystore; `samrad cases` lists them",
     "inget ärende \"$0\" i nyckelarkivet; `samrad cases` listar dem"},
    {Msg::kLzFileTruncated, "the file is truncated", "filen är avkortad"},
    {Msg::kLzFileWrongKind, "the file is not of the expected kind (wrong magic)",
     "filen är inte av väntat slag (fel filhuvud)"},
    {Msg::kLzFileHeaderDamaged, "the file header is damaged", "filhuvudet är skadat"},
    {Msg::kLzFileUnknownVersion, "unknown file format version", "okänd version av filformatet"},
    {Msg::kLzFileParamsOutOfRange, "the key derivation parameters in the header are out of range",
     "nyckelhärledningens parametrar i filhuvudet ligger utanför tillåtna värden"},
    {Msg::kLzFileTruncatedOrExtra, "the file is truncated or has extra bytes",
     "filen är avkortad eller har överflödiga byte"},
    {Msg::kLzPassphraseEmpty, "the passphrase is empty", "lösenfrasen är tom"},
    {Msg::kLzPassphraseWrong, "the passphrase is wrong", "lösenfrasen är fel"},
    {Msg::kLzKeyDoesNotOpen, "the key does not open this file (passphrase changed?)",
     "nyckeln öppnar inte filen (har lösenfrasen ändrats?)"},
    {Msg::kLzFileDamaged, "the file is damaged (authentication failed)",
     "filen är skadad (äktheten kunde inte bekräftas)"},
    {Msg::kLzProfileNotText, "profile $0 is not valid text format: $1",
     "profilen $0 är inte giltigt textformat: $1"},
    {Msg::kLzProfileInvalid, "profile $0: $1", "profilen $0: $1"},
    {Msg::kLzFieldNotSet, "$0 is not set", "$0 är inte angivet"},
    {Msg::kLzCannotOpen, "cannot open $0: $1", "kan inte öppna $0: $1"},
    {Msg::kLzCannotRead, "cannot read $0: $1", "kan inte läsa $0: $1"},
    {Msg::kLzCannotWrite, "cannot write $0: $1", "kan inte skriva $0: $1"},
    {Msg::kLzCannotCreate, "cannot create $0: $1", "kan inte skapa $0: $1"},
    {Msg::kLzCannotReplace, "cannot rename over $0: $1", "kan inte ersätta $0: $1"},
    {Msg::kLzCannotCreateDir, "cannot create directory $0: $1", "kan inte skapa katalogen $0: $1"},
    {Msg::kLzErrNoSuchFile, "no such file or directory", "filen eller katalogen finns inte"},
    {Msg::kLzErrPermission, "permission denied", "åtkomst nekad"},
    {Msg::kLzErrNoSpace, "no space left on the device", "det finns inget utrymme kvar på enheten"},
    {Msg::kLzErrReadOnly, "read-only file system", "filsystemet är skrivskyddat"},
    {Msg::kLzNoAgentListens, "no agent listens on $0", "ingen agent lyssnar på $0"},
    {Msg::kLzAgentOtherUser, "the agent socket belongs to another user",
     "agentens uttag tillhör en annan användare"},
    {Msg::kLzAgentClosed, "the agent closed the connection", "agenten stängde förbindelsen"},
    {Msg::kLzAgentNoAnswer, "the agent did not answer", "agenten svarade inte"},
    {Msg::kLzAgentCutShort, "the agent's answer was cut short", "agentens svar avbröts i förtid"},
    {Msg::kLzAgentRefused, "the agent refused the request", "agenten avvisade begäran"},
    {Msg::kLzNoAgent, "no agent", "ingen agent"},
    {Msg::kLzAgentAlreadyListens, "an agent already listens on $0", "en agent lyssnar redan på $0"},
    {Msg::kLzNotASocket, "$0 exists and is not a socket; remove it",
     "$0 finns redan och är inget uttag; ta bort det"},
    {Msg::kLzCannotListen, "cannot listen on $0", "kan inte lyssna på $0"},
    {Msg::kLzAgentDidNotStart, "the agent did not start", "agenten startade inte"},
    {Msg::kLzUnitNoAdvisers,
     "unit \"$0\" has no advisers in the key directory, so nobody could read the message; tell "
     "your administrator",
     "enheten \"$0\" har inga rådgivare i nyckelkatalogen, så ingen skulle kunna läsa meddelandet; "
     "kontakta din administratör"},
    {Msg::kLzSignedByRevoked,
     "signed by a revoked key: the directory says this key must never be trusted again",
     "signerat med en återkallad nyckel: katalogen säger att nyckeln aldrig får litas på igen"},
    {Msg::kLzSignedByOtherUnit, "signed by adviser $0 of unit $1, which this case was never with",
     "signerat av rådgivare $0 på enheten $1, som ärendet aldrig har legat hos"},
    {Msg::kLzSignedByRemovedKey,
     "signed by a key no longer in the directory (adviser $0 of unit $1); not verified",
     "signerat med en nyckel som inte längre finns i katalogen (rådgivare $0 på enheten $1); inte "
     "verifierat"},
    {Msg::kLzSignedByUnknownKey, "signed by a key that no verified directory lists",
     "signerat med en nyckel som ingen verifierad katalog tar upp"},
    {Msg::kLzFirstNotSignedByThreadKey,
     "the first message is not signed by the thread key it carries",
     "det första meddelandet är inte signerat med ärendenyckeln det bär på"},
    {Msg::kLzFirstNoReplyKey, "the first message carries no thread reply key",
     "det första meddelandet saknar ärendets svarsnyckel"},
    {Msg::kLzDamagedCaseKeys, "the keystore holds damaged keys for this case",
     "nyckelarkivet har skadade nycklar för det här ärendet"},
    {Msg::kLzDamagedAdviserKeys, "the keystore holds damaged adviser keys",
     "nyckelarkivet har skadade rådgivarnycklar"},
    {Msg::kLzNotAddressedToMe, "not addressed to any of my keys",
     "inte krypterat till någon av mina nycklar"},
    {Msg::kLzThreadKeyUnknown, "the thread key is unknown (first message unreadable)",
     "ärendenyckeln är okänd (det första meddelandet går inte att läsa)"},
    {Msg::kLzFirstNotQuestion, "the first message is not the professional's question",
     "det första meddelandet är inte yrkespersonens fråga"},
    {Msg::kLzReferralWrongUnit,
     "a referral to $0 signed by an adviser of $1 while the case was with $2",
     "en hänvisning till $0 signerad av en rådgivare på $1 medan ärendet låg hos $2"},
    {Msg::kLzReferralNoUnit,
     "a referral to $0 signed by an adviser of no unit while the case was with $1",
     "en hänvisning till $0 signerad av en rådgivare utan enhet medan ärendet låg hos $1"},
    {Msg::kLzSealedForOtherUnit, "sealed for unit $0 while the case was with $1",
     "förseglat för enheten $0 medan ärendet låg hos $1"},
    {Msg::kLzCannotReadPassphraseFile, "cannot read the passphrase file: $0",
     "kan inte läsa lösenfrasfilen: $0"},
    {Msg::kLzRelayCannot, "cannot $0: $1", "kan inte $0: $1"},
    {Msg::kLzRelayDidNotAnswer, "cannot $0: the relay at $1 did not answer ($2)",
     "kan inte $0: reläet på $1 svarade inte ($2)"},
    {Msg::kLzRelayRejectedCert, "cannot $0: the relay rejected your certificate ($1)",
     "kan inte $0: reläet godtog inte ditt certifikat ($1)"},
    {Msg::kActionFetchDirectory, "fetch the key directory", "hämta nyckelkatalogen"},
    {Msg::kActionWatchQueue, "watch the queue", "bevaka kön"},
    {Msg::kActionReadCase, "read the case", "läsa ärendet"},
    {Msg::kActionLookUpClosedCase, "look up a closed case", "slå upp ett stängt ärende"},
    {Msg::kActionCloseCase, "close the case", "stänga ärendet"},
    {Msg::kActionWatchCase, "watch the case", "bevaka ärendet"},
    {Msg::kActionTakeCase, "take the case", "ta ärendet"},
    {Msg::kActionReleaseCase, "release the case", "lämna tillbaka ärendet"},
    {Msg::kActionHandOver, "hand the case over", "lämna över ärendet"},
    {Msg::kActionSendAnswer, "send the answer", "skicka svaret"},
    {Msg::kActionReferCase, "refer the case", "hänvisa ärendet"},
    {Msg::kActionPublishDirectory, "publish the directory", "publicera katalogen"},
    {Msg::kActionListQueue, "list the queue", "lista kön"},
    {Msg::kActionSendQuestion, "send the question", "skicka frågan"},
    {Msg::kActionSendFollowup, "send the follow-up", "skicka följdfrågan"},
    {Msg::kActionReadAuditLog, "read the audit log", "läsa granskningsloggen"},
    {Msg::kActionRevokeCertificate, "revoke the certificate", "spärra certifikatet"},
    {Msg::kActionUndoRevocation, "undo the revocation", "häva spärren"},
    {Msg::kActionListRevoked, "list revoked certificates", "lista spärrade certifikat"},
    {Msg::kActionFreeCase, "free the case", "frigöra ärendet"},
    {Msg::kActionReadStatistics, "read the statistics", "läsa statistiken"},
    {Msg::kActionRunRetention, "run the retention policy", "tillämpa gallringsregeln"},
    {Msg::kActionListBackups, "list the backups", "lista säkerhetskopiorna"},
    {Msg::kActionMakeBackup, "make a backup", "göra en säkerhetskopia"},
    {Msg::kActionShareCase, "share the case", "dela ärendet"},
    {Msg::kLzNoProfileLocation,
     "cannot tell where the profile is: neither --config, $$SAMRAD_CONFIG nor $$HOME is set",
     "kan inte avgöra var profilen finns: varken --config, $$SAMRAD_CONFIG eller $$HOME är satt"},
    {Msg::kLzRelayAddressNotHostPort, "relay_address \"$0\" is not host:port",
     "relay_address \"$0\" har inte formen värd:port"},
    {Msg::kLzProfileDirectoryKey,
     "directory_public_key_hex must be 64 hex characters (the Ed25519 directory public key)",
     "directory_public_key_hex måste vara 64 hextecken (nyckelkatalogens publika Ed25519-nyckel)"},
    {Msg::kLzDirectoryKeyArgument,
     "directory key \"$0\" is neither 64 hex characters nor a readable file",
     "katalognyckeln \"$0\" är varken 64 hextecken eller en läsbar fil"},
    {Msg::kLzDirectoryKeyNotHex, "the directory public key must be 64 hex characters",
     "katalogens publika nyckel måste vara 64 hextecken"},
    {Msg::kLzTextFormatAt, "line $0 column $1: $2", "rad $0, kolumn $1: $2"},
    {Msg::kLzNotTextFormat, "not valid text format", "inte giltigt textformat"},
    {Msg::kLzCannotReadCertificate, "cannot read the certificate $0: $1",
     "kan inte läsa certifikatet $0: $1"},
    {Msg::kLzCertificateUnreadable, "the certificate $0: $1", "certifikatet $0: $1"},
    {Msg::kLzCannotReadCaCert, "cannot read the CA certificate: $0",
     "kan inte läsa CA-certifikatet: $0"},
    {Msg::kLzCannotReadClientCert, "cannot read the client certificate: $0",
     "kan inte läsa klientcertifikatet: $0"},
    {Msg::kLzCannotReadClientKey, "cannot read the client key: $0",
     "kan inte läsa klientnyckeln: $0"},
    {Msg::kLzClientCertUnusable, "the client certificate $0 cannot be used: $1",
     "klientcertifikatet $0 kan inte användas: $1"},
    {Msg::kLzCryptoDetail, "$0", "teknisk uppgift på engelska: $0"},
    {Msg::kLzMessageDoesNotOpen, "$0",
     "meddelandet kunde inte öppnas och verifieras (teknisk uppgift på engelska: $0)"},
    {Msg::kLzDirectoryFailsVerification,
     "the key directory from the relay failed verification under the pinned key: $0",
     "nyckelkatalogen från reläet kunde inte verifieras med den låsta katalognyckeln: $0"},
    {Msg::kLzBadUnitId, "unit id \"$0\" must be 1-64 of a-z, 0-9 and -",
     "enhets-id:t \"$0\" måste vara 1–64 tecken av a–z, 0–9 och -"},
    {Msg::kLzUnitListedTwice, "unit \"$0\" is listed twice", "enheten \"$0\" finns med två gånger"},
    {Msg::kLzUnitBadCounty, "unit \"$0\": county \"$1\" is not a Swedish county (län) code",
     "enheten \"$0\": \"$1\" är ingen svensk länskod"},
    {Msg::kLzCountyInTwoUnits, "county $0 belongs to more than one unit",
     "län $0 hör till mer än en enhet"},
    {Msg::kLzAdviserIdEmptyOrTwice, "unit \"$0\": adviser id \"$1\" is empty or listed twice",
     "enheten \"$0\": rådgivar-id:t \"$1\" är tomt eller finns med två gånger"},
    {Msg::kLzAdviserKeysWrongLength, "unit \"$0\": adviser \"$1\" has keys of the wrong length",
     "enheten \"$0\": rådgivaren \"$1\" har nycklar av fel längd"},
    {Msg::kLzFallbackNotAUnit, "the fallback unit \"$0\" is not among the units",
     "reservenheten \"$0\" finns inte bland enheterna"},
    {Msg::kLzNotKeyDirectoryText, "not a KeyDirectory in protobuf text format: $0",
     "inte en KeyDirectory i protobufs textformat: $0"},
    {Msg::kLzDirectoryKeyExists, "$0 exists; a directory key is never overwritten",
     "$0 finns redan; en katalognyckel skrivs aldrig över"},
    {Msg::kLzRoutingTable, "routing table $0: $1", "routningstabellen $0: $1"},
    {Msg::kLzNoWorkingDirectory,
     "no working directory at $0; run `samrad admin directory init --out DIR`",
     "ingen arbetskatalog i $0; kör `samrad admin directory init --out DIR`"},
    {Msg::kLzInFile, "$0: $1", "filen $0: $1"},
    {Msg::kLzCountyNotSwedish, "county \"$0\" is not a Swedish county (län) code; use one of: $1",
     "\"$0\" är ingen svensk länskod; använd en av: $1"},
    {Msg::kLzCountyGivenTwice, "county $0 is given twice", "län $0 är angivet två gånger"},
    {Msg::kLzCountyTaken, "county $0 already belongs to unit \"$1\"; remove it there first",
     "län $0 hör redan till enheten \"$1\"; ta bort det där först"},
    {Msg::kLzFallbackCannotGo, "\"$0\" is the fallback unit; make another unit the fallback first",
     "\"$0\" är reservenheten; gör först en annan enhet till reservenhet"},
    {Msg::kLzNoUnit, "no unit \"$0\" in the directory", "det finns ingen enhet \"$0\" i katalogen"},
    {Msg::kLzBundleBadKeys, "the adviser bundle has no id or keys of the wrong length",
     "rådgivarens publika fil saknar id eller har nycklar av fel längd"},
    {Msg::kLzAdviserInOtherUnit, "adviser \"$0\" is listed in unit \"$1\"; remove them there first",
     "rådgivaren \"$0\" finns i enheten \"$1\"; ta bort rådgivaren där först"},
    {Msg::kLzNoAdviserInUnit, "no adviser \"$0\" in unit \"$1\"",
     "det finns ingen rådgivare \"$0\" i enheten \"$1\""},
    {Msg::kLzBundleNotJson, "the adviser bundle is not valid JSON of AdviserKeys",
     "rådgivarens publika fil är inte giltig JSON för AdviserKeys"},
    {Msg::kLzValidDays, "a directory is valid for 1 to 90 days (--valid-days)",
     "en katalog gäller i 1 till 90 dagar (--valid-days)"},
    {Msg::kLzHoldsNoDirectory, "$0 does not hold a key directory",
     "$0 innehåller ingen nyckelkatalog"},
    {Msg::kLzNothingToRefresh,
     "nothing to refresh: no directory was signed yet; run `samrad admin directory sign`",
     "inget att förnya: ingen katalog har signerats än; kör `samrad admin directory sign`"},
    {Msg::kLzDirectoryKeyFile, "directory key $0: $1", "katalognyckeln $0: $1"},
    {Msg::kLzDirectoryKeyDamaged, "directory key $0 is damaged", "katalognyckeln $0 är skadad"},
    {Msg::kLzNoSignedDirectory, "no signed directory in $0; run `samrad admin directory sign`",
     "ingen signerad katalog i $0; kör `samrad admin directory sign`"},
    {Msg::kLzDoesNotParse, "$0 does not parse", "$0 går inte att tolka"},
    {Msg::kNoRoutingTable, "no routing table at $0; pass --routing FILE",
     "ingen routningstabell i $0; ange --routing FIL"},
    {Msg::kValidDaysValue, "--valid-days must be a whole number of days from 1 to 90, not \"$0\"",
     "--valid-days måste vara ett helt antal dagar från 1 till 90, inte \"$0\""},
    {Msg::kKeyNotListed,
     "your current key is not listed for unit \"$0\" in the published directory; give your bundle "
     "to the administrator and wait for the next epoch",
     "din nuvarande nyckel finns inte för enheten \"$0\" i den publicerade katalogen; ge din "
     "publika fil till administratören och vänta på nästa epok"},
    {Msg::kCaseAlreadyWith, "the case is already with \"$0\"", "ärendet ligger redan hos \"$0\""},
    {Msg::kCannotReferUnverified,
     "message #$0 cannot be verified and read, so it cannot be referred: $1",
     "meddelande #$0 kan inte verifieras och läsas, så ärendet kan inte hänvisas: $1"},
    {Msg::kMessageNotForMyKeys, "message #$0 is not addressed to your keys",
     "meddelande #$0 är inte adresserat till dina nycklar"},
    {Msg::kAlreadyAcknowledged,
     "this case was already acknowledged by the relay; nothing to resend",
     "reläet har redan bekräftat det här ärendet; inget att skicka om"},
    {Msg::kProfileExists, "a profile exists at $0; pass --force to replace it",
     "det finns redan en profil i $0; ange --force för att ersätta den"},
    {Msg::kNoSuchFile, "no file $0", "filen $0 finns inte"},
    {Msg::kProfileNoAdviserId,
     "the profile has no adviser_id; run `samrad init --force --adviser-id ID ...` with the id of "
     "your certificate",
     "profilen saknar adviser_id; kör `samrad init --force --adviser-id ID ...` med id:t i ditt "
     "certifikat"},
    {Msg::kEditorFailed, "the editor \"$0\" failed (exit $1); nothing was sent",
     "redigeraren \"$0\" misslyckades (slutkod $1); inget skickades"},
    {Msg::kNoCaseInQueue, "no case \"$0\" in your unit's queue; `samrad queue --all` lists them",
     "inget ärende \"$0\" i enhetens kö; `samrad queue --all` listar dem"},
    {Msg::kLzAuditEntryMissing, "expected index $0, found $1 (an entry is missing)",
     "post $0 väntades men post $1 kom (en post saknas)"},
    {Msg::kLzAuditPrevHashWrong, "prev_hash is not the hash of the entry before it",
     "prev_hash är inte hashen av posten före den"},
    {Msg::kLzAuditEntryAltered, "its hash does not match its contents (altered)",
     "dess hash stämmer inte med innehållet (posten har ändrats)"},
    {Msg::kLzAuditAnchorDamaged,
     "the audit anchor $0 is damaged; remove it to start a new anchor (only after checking the "
     "relay)",
     "granskningsankaret $0 är skadat; ta bort det för att börja ett nytt ankare (först när du har "
     "kontrollerat reläet)"},
    {Msg::kLzHookCannotStart, "cannot start it: fork failed",
     "kommandot kunde inte startas: fork misslyckades"},
    {Msg::kLzHookCannotWait, "cannot wait for it", "kan inte vänta på att kommandot blir klart"},
    {Msg::kLzHookTimedOut, "it ran longer than $0 s and was stopped",
     "kommandot körde längre än $0 s och stoppades"},
    {Msg::kLzHookExited, "it exited with $0", "kommandot avslutades med slutkod $0"},
    {Msg::kLzHookSignal, "it was ended by a signal", "kommandot avbröts av en signal"},
    {Msg::kLzDraftNoTempDir, "cannot create a private temporary directory in $0: $1",
     "kan inte skapa en privat tillfällig katalog i $0: $1"},
    {Msg::kLzDraftCannotCreate, "cannot create a draft in $0: $1",
     "kan inte skapa ett utkast i $0: $1"},
    {Msg::kLzDraftCannotWrite, "cannot write the draft $0: $1", "kan inte skriva utkastet $0: $1"},
    {Msg::kLzCannotInspect, "cannot inspect $0: $1", "kan inte undersöka $0: $1"},
    {Msg::kLzNoAgentDir, "no agent directory $0", "det finns ingen agentkatalog $0"},
    {Msg::kLzAgentSocketPathTooLong, "the agent socket path $0 is too long for a Unix socket",
     "sökvägen $0 till agentens uttag är för lång för ett Unix-uttag"},
    {Msg::kLzCannotCreateSocket, "cannot create a Unix socket", "kan inte skapa ett Unix-uttag"},
    {Msg::kLzAgentCannotPipe, "cannot create a pipe for the agent",
     "kan inte skapa en kommunikationskanal (pipe) till agenten"},
    {Msg::kLzAgentCannotFork, "cannot fork the agent",
     "kan inte starta agentens process (fork misslyckades)"},
};

static_assert(std::size(kTable) == static_cast<size_t>(Msg::kCount_),
              "every Msg needs exactly one entry in kTable");

constexpr bool TableInEnumOrder() {
  for (size_t i = 0; i < std::size(kTable); ++i) {
    if (static_cast<size_t>(kTable[i].id) != i) return false;
  }
  return true;
}
static_assert(TableInEnumOrder(), "kTable must list messages in enum Msg order");

bool IsSwedish(const char* value) {
  return value != nullptr && value[0] == 's' && value[1] == 'v' &&
         (value[2] == '\0' || value[2] == '_' || value[2] == '.' || value[2] == '-');
}

bool IsSet(const char* value) { return value != nullptr && value[0] != '\0'; }

}  // namespace

Language LanguageFromLocale(const char* lc_all, const char* lc_messages, const char* lang) {
  const char* chosen = IsSet(lc_all) ? lc_all : IsSet(lc_messages) ? lc_messages : lang;
  return IsSwedish(chosen) ? Language::kSwedish : Language::kEnglish;
}

Language LanguageFromEnvironment() {
  return LanguageFromLocale(std::getenv("LC_ALL"), std::getenv("LC_MESSAGES"), std::getenv("LANG"));
}

absl::string_view Messages::Get(Msg id) const {
  const Entry& entry = kTable[static_cast<size_t>(id)];
  return language_ == Language::kSwedish ? entry.sv : entry.en;
}

}  // namespace samrad::client
