// The access matrix of samrad.v1.Relay: every RPC of the service (enumerated
// from its generated descriptor, so a new RPC without a row fails) times every
// kind of caller, each cell asserting the exact gRPC status code written in
// tests/server/access_matrix.txt. One real relay (real mTLS on 127.0.0.1,
// real RocksDB in a temp dir) serves every cell; cells whose outcome depends
// on state get a fresh thread of their own.
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "crypto/directory.h"
#include "crypto/envelope.h"
#include "crypto/random.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "tests/server/relay_fixture.h"

namespace samrad::server::testing {
namespace {

using grpc::ClientContext;
using grpc::StatusCode;

constexpr char kMatrixFile[] = SAMRAD_SOURCE_DIR "/tests/server/access_matrix.txt";
constexpr char kServiceFullName[] = "samrad.v1.Relay";
constexpr std::chrono::seconds kCallDeadline(10);
constexpr std::chrono::seconds kStreamDeadline(5);

// ---------------------------------------------------------------------------
// The table file.

// The principals, one column each, in the order the test runs them.
enum class Principal {
  kNoCertificate,
  kOtherCa,
  kExpired,
  kRevoked,
  kProfessional,
  kProfessionalWithoutThreadKey,
  kAdviserOfUnit,
  kAdviserOfOtherUnit,
  kAdmin,
  kUnitAdmin,
  kOtherUnitAdmin,
};

struct PrincipalColumn {
  Principal principal;
  const char* column;
};

constexpr PrincipalColumn kPrincipals[] = {
    {Principal::kNoCertificate, "no-cert"},
    {Principal::kOtherCa, "other-ca"},
    {Principal::kExpired, "expired"},
    {Principal::kRevoked, "revoked"},
    {Principal::kProfessional, "professional"},
    {Principal::kProfessionalWithoutThreadKey, "pro-no-key"},
    {Principal::kAdviserOfUnit, "adviser-unit"},
    {Principal::kAdviserOfOtherUnit, "adviser-other"},
    {Principal::kAdmin, "admin"},
    {Principal::kUnitAdmin, "admin-unit"},
    {Principal::kOtherUnitAdmin, "admin-other"},
};

std::vector<std::string> PrincipalColumns() {
  std::vector<std::string> out;
  for (const PrincipalColumn& p : kPrincipals) out.push_back(p.column);
  return out;
}

// Every grpc::StatusCode by its canonical name.
const std::map<std::string, StatusCode>& CodesByName() {
  static const auto* codes = new std::map<std::string, StatusCode>{
      {"OK", StatusCode::OK},
      {"CANCELLED", StatusCode::CANCELLED},
      {"UNKNOWN", StatusCode::UNKNOWN},
      {"INVALID_ARGUMENT", StatusCode::INVALID_ARGUMENT},
      {"DEADLINE_EXCEEDED", StatusCode::DEADLINE_EXCEEDED},
      {"NOT_FOUND", StatusCode::NOT_FOUND},
      {"ALREADY_EXISTS", StatusCode::ALREADY_EXISTS},
      {"PERMISSION_DENIED", StatusCode::PERMISSION_DENIED},
      {"RESOURCE_EXHAUSTED", StatusCode::RESOURCE_EXHAUSTED},
      {"FAILED_PRECONDITION", StatusCode::FAILED_PRECONDITION},
      {"ABORTED", StatusCode::ABORTED},
      {"OUT_OF_RANGE", StatusCode::OUT_OF_RANGE},
      {"UNIMPLEMENTED", StatusCode::UNIMPLEMENTED},
      {"INTERNAL", StatusCode::INTERNAL},
      {"UNAVAILABLE", StatusCode::UNAVAILABLE},
      {"DATA_LOSS", StatusCode::DATA_LOSS},
      {"UNAUTHENTICATED", StatusCode::UNAUTHENTICATED},
  };
  return *codes;
}

std::string CodeName(StatusCode code) {
  for (const auto& [name, value] : CodesByName()) {
    if (value == code) return name;
  }
  return absl::StrCat("CODE_", static_cast<int>(code));
}

// The parsed table: the expected code of every (rpc, principal column).
struct AccessMatrix {
  std::vector<std::string> rpcs;  // in file order
  std::map<std::string, std::map<std::string, StatusCode>> expected;
};

// Parses the table. '#' starts a comment; blank lines are skipped; fields are
// separated by spaces or tabs. The first line is the header: "rpc" followed by
// each of `columns` exactly once (in any order). Every other line is an RPC
// name followed by one code name per header column. INVALID_ARGUMENT naming
// the line for anything else: a missing or wrong header, a wrong number of
// cells, an unknown code name, an RPC named twice.
absl::StatusOr<AccessMatrix> ParseAccessMatrix(absl::string_view text,
                                               const std::vector<std::string>& columns) {
  AccessMatrix matrix;
  std::vector<std::string> header;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = line.substr(0, line.find('#'));
    std::vector<std::string> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (fields.empty()) continue;
    const std::string where = absl::StrCat("line ", line_number, ": ");
    if (header.empty()) {
      if (fields[0] != "rpc") {
        return absl::InvalidArgumentError(absl::StrCat(
            where, "the first line must be the header \"rpc ", absl::StrJoin(columns, " "), "\""));
      }
      header.assign(fields.begin() + 1, fields.end());
      const std::set<std::string> known(columns.begin(), columns.end());
      std::set<std::string> seen;
      for (const std::string& column : header) {
        if (!known.contains(column)) {
          return absl::InvalidArgumentError(absl::StrCat(where, "unknown principal column \"",
                                                         column, "\"; the principals are ",
                                                         absl::StrJoin(columns, " ")));
        }
        if (!seen.insert(column).second) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, "principal column \"", column, "\" appears twice"));
        }
      }
      for (const std::string& column : columns) {
        if (!seen.contains(column)) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, "the header has no column for principal \"", column, "\""));
        }
      }
      continue;
    }
    if (fields.size() != header.size() + 1) {
      return absl::InvalidArgumentError(absl::StrCat(where, "row ", fields[0], " has ",
                                                     fields.size() - 1, " cells; the header has ",
                                                     header.size(), " columns"));
    }
    if (matrix.expected.contains(fields[0])) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "rpc ", fields[0], " has a row already"));
    }
    std::map<std::string, StatusCode>& row = matrix.expected[fields[0]];
    for (size_t i = 0; i < header.size(); ++i) {
      auto code = CodesByName().find(fields[i + 1]);
      if (code == CodesByName().end()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, "\"", fields[i + 1], "\" (rpc ", fields[0], ", column ", header[i],
                         ") is not a gRPC status code name such as OK or NOT_FOUND"));
      }
      row[header[i]] = code->second;
    }
    matrix.rpcs.push_back(fields[0]);
  }
  if (header.empty()) return absl::InvalidArgumentError("the table has no header line");
  return matrix;
}

// The method names of samrad.v1.Relay, from the generated descriptor.
std::vector<std::string> ServiceMethods() {
  const google::protobuf::ServiceDescriptor* service =
      v1::GetDirectoryRequest::descriptor()->file()->FindServiceByName("Relay");
  std::vector<std::string> out;
  if (service == nullptr || service->full_name() != kServiceFullName) return out;
  for (int i = 0; i < service->method_count(); ++i) out.push_back(service->method(i)->name());
  return out;
}

// What keeps `matrix` from covering exactly `methods`; empty when nothing.
std::vector<std::string> CoverageProblems(const AccessMatrix& matrix,
                                          const std::vector<std::string>& methods) {
  std::vector<std::string> problems;
  if (methods.empty()) problems.push_back(absl::StrCat("no service ", kServiceFullName));
  const std::set<std::string> method_set(methods.begin(), methods.end());
  for (const std::string& method : methods) {
    if (!matrix.expected.contains(method)) {
      problems.push_back(
          absl::StrCat("rpc ", method, " of ", kServiceFullName, " has no row in the table"));
    }
  }
  for (const std::string& rpc : matrix.rpcs) {
    if (!method_set.contains(rpc)) {
      problems.push_back(absl::StrCat("the table has a row for ", rpc, ", which ", kServiceFullName,
                                      " does not have"));
    }
  }
  return problems;
}

absl::StatusOr<AccessMatrix> LoadMatrixFile() {
  const std::string text = ReadFile(kMatrixFile);
  if (text.empty()) return absl::NotFoundError(absl::StrCat(kMatrixFile, " is missing or empty"));
  auto matrix = ParseAccessMatrix(text, PrincipalColumns());
  if (!matrix.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(kMatrixFile, " ", matrix.status().message()));
  }
  return matrix;
}

TEST(AccessMatrixTableTest, ParserRefusesMalformedTables) {
  const std::vector<std::string> columns = {"a", "b"};
  struct Case {
    const char* text;
    const char* problem;  // expected in the message
  };
  const Case cases[] = {
      {"", "no header"},
      {"# only a comment\n\n", "no header"},
      {"Get OK OK\n", "header"},
      {"rpc a\nGet OK\n", "no column for principal \"b\""},
      {"rpc a b c\n", "unknown principal column \"c\""},
      {"rpc a b a\n", "appears twice"},
      {"rpc a b\nGet OK\n", "has 1 cells"},
      {"rpc a b\nGet OK OK OK\n", "has 3 cells"},
      {"rpc a b\nGet OK NOT_FOND\n", "\"NOT_FOND\""},
      {"rpc a b\nGet OK ok\n", "\"ok\""},
      {"rpc a b\nGet OK OK\nGet OK OK\n", "has a row already"},
  };
  for (const Case& c : cases) {
    auto matrix = ParseAccessMatrix(c.text, columns);
    ASSERT_FALSE(matrix.ok()) << c.text;
    EXPECT_EQ(matrix.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(matrix.status().message().find(c.problem), std::string::npos)
        << c.text << " -> " << matrix.status().message();
  }
  auto good = ParseAccessMatrix("# c\nrpc b a  # swapped\n\nGet\tOK   NOT_FOUND # x\n", columns);
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(good->rpcs, std::vector<std::string>{"Get"});
  EXPECT_EQ(good->expected.at("Get").at("b"), StatusCode::OK);
  EXPECT_EQ(good->expected.at("Get").at("a"), StatusCode::NOT_FOUND);
}

TEST(AccessMatrixTableTest, CoverageNamesMissingAndUnknownRpcs) {
  auto matrix = ParseAccessMatrix("rpc a\nGet OK\nGone OK\n", {"a"});
  ASSERT_TRUE(matrix.ok()) << matrix.status();
  const std::vector<std::string> problems = CoverageProblems(*matrix, {"Get", "New"});
  ASSERT_EQ(problems.size(), 2u) << absl::StrJoin(problems, "; ");
  EXPECT_NE(problems[0].find("rpc New"), std::string::npos) << problems[0];
  EXPECT_NE(problems[1].find("Gone"), std::string::npos) << problems[1];
}

TEST(AccessMatrixTableTest, TableParsesAndHasARowForEveryRpcOfTheService) {
  const std::vector<std::string> methods = ServiceMethods();
  ASSERT_FALSE(methods.empty()) << "the descriptor of " << kServiceFullName << " is missing";
  auto matrix = LoadMatrixFile();
  ASSERT_TRUE(matrix.ok()) << matrix.status();
  const std::vector<std::string> problems = CoverageProblems(*matrix, methods);
  EXPECT_TRUE(problems.empty()) << absl::StrJoin(problems, "\n");
}

// ---------------------------------------------------------------------------
// The cells, against a real relay.

class AccessMatrixTest : public RelayTest {
 protected:
  // A third unit, the destination of referrals (so that the adviser of
  // another unit asks to refer to a unit that is not their own).
  static constexpr char kThirdUnit[] = "rc-skane";
  static constexpr char kThirdAdviser[] = "adviser-rc-skane-c-1";  // keys only
  static constexpr char kPostMessage[] = "/samrad.v1.Relay/PostMessage";
  static constexpr char kGetThread[] = "/samrad.v1.Relay/GetThread";
  static constexpr char kWatchThread[] = "/samrad.v1.Relay/WatchThread";
  static constexpr char kCloseThread[] = "/samrad.v1.Relay/CloseThread";

  // What a caller sends: the request a correct client in its position builds.
  enum class Sends {
    kOwnerRequest,     // proofs and envelopes under the thread key
    kStrangerRequest,  // proofs and envelopes under a key that is not the thread's
    kAdviserRequest,   // envelopes under the adviser's directory key, no proof
  };

  struct Caller {
    Principal principal;
    std::string column;
    std::unique_ptr<v1::Relay::Stub> stub;
    Sends sends = Sends::kOwnerRequest;
    std::string adviser;  // certificate name, for kAdviserRequest
  };

  // A thread opened by kProfessional (county 07, so in kUnit).
  struct ScenarioThread {
    ThreadKeys keys;
    std::string first_envelope;
  };

  void SetUp() override {
    RelayTest::SetUp();
    advisers_.emplace(kThirdAdviser,
                      AdviserKeys{kThirdUnit, "c-1", crypto::X25519PrivateKey::Generate(),
                                  crypto::Ed25519PrivateKey::Generate()});
    revoked_certificate_ = IssueClientCertificate("professional", "07", "p-revoked");
    unit_admin_ = IssueClientCertificate("admin", kUnit, "ua-1");
    other_unit_admin_ = IssueClientCertificate("admin", kOtherUnit, "oa-1");
    revocation_target_ = IssueClientCertificate("adviser", kUnit, "a-revoke");
  }

  // The directory: kUnit (07, 06), kOtherUnit (05, fallback), kThirdUnit (12).
  v1::SignedDirectory MatrixDirectory(uint64_t epoch) {
    v1::KeyDirectory directory;
    directory.set_epoch(epoch);
    directory.set_issued_at_unix_ms(NowMs());
    directory.set_not_after_unix_ms(directory.issued_at_unix_ms() +
                                    crypto::kDefaultDirectoryValidityMs);
    directory.set_fallback_unit_id(kOtherUnit);
    const std::vector<std::pair<std::string, std::vector<std::string>>> units = {
        {kUnit, {"07", "06"}}, {kOtherUnit, {"05"}}, {kThirdUnit, {"12"}}};
    for (const auto& [unit_id, counties] : units) {
      v1::UnitEntry* unit = directory.add_units();
      unit->set_unit_id(unit_id);
      unit->set_display_name(unit_id);
      for (const std::string& county : counties) unit->add_counties(county);
      for (const auto& [name, keys] : advisers_) {
        if (keys.unit != unit_id) continue;
        v1::AdviserKeys* adviser = unit->add_advisers();
        adviser->set_adviser_id(keys.id);
        adviser->set_encryption_public_key(keys.encryption.public_key().bytes());
        adviser->set_signing_public_key(keys.signing.public_key().bytes());
      }
    }
    auto signed_directory = crypto::SignDirectory(directory, *directory_key_);
    EXPECT_TRUE(signed_directory.ok()) << signed_directory.status();
    return signed_directory.ok() ? *signed_directory : v1::SignedDirectory();
  }

  template <typename Request, typename Reply>
  static grpc::Status Call(grpc::Status (v1::Relay::Stub::*method)(ClientContext*, const Request&,
                                                                   Reply*),
                           v1::Relay::Stub& stub, const Request& request) {
    ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    Reply reply;
    return (stub.*method)(&ctx, request, &reply);
  }

  // Scenario set-up failed: not a code the table can expect by accident.
  static grpc::Status SetupFailed(const std::string& what) {
    ADD_FAILURE() << "scenario set-up failed: " << what;
    return grpc::Status(StatusCode::INTERNAL, "scenario set-up failed: " + what);
  }

  // The stub that sets scenarios up as certificate `name` (one connection
  // each, kept for the whole test).
  v1::Relay::Stub& ScenarioStub(const std::string& name) {
    std::unique_ptr<v1::Relay::Stub>& stub = scenario_stubs_[name];
    if (stub == nullptr) stub = Stub(name);
    return *stub;
  }

  ScenarioThread NewThread() {
    ScenarioThread thread{NewThreadKeys(), ""};
    v1::SubmitConsultationRequest request = SubmitRequest(thread.keys, "access matrix");
    thread.first_envelope = request.envelope();
    grpc::Status status =
        Call(&v1::Relay::Stub::SubmitConsultation, ScenarioStub(kProfessional), request);
    EXPECT_TRUE(status.ok()) << "opening a scenario thread: " << status.error_message();
    return thread;
  }

  grpc::Status Claim(const ScenarioThread& thread) {
    v1::ClaimThreadRequest request;
    request.set_thread_id(thread.keys.thread_id);
    return Call(&v1::Relay::Stub::ClaimThread, ScenarioStub(kAdviser), request);
  }

  // Refers `thread` (in kUnit, one message) to `to_unit`, re-wrapping its
  // content key as kAdviser's client would.
  v1::ReferThreadRequest ReferRequest(const ScenarioThread& thread, const std::string& to_unit) {
    v1::ReferThreadRequest request;
    request.set_thread_id(thread.keys.thread_id);
    request.set_to_unit(to_unit);
    auto parsed = crypto::ParseEnvelope(thread.first_envelope);
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    if (!parsed.ok()) return request;
    auto wraps = crypto::RewrapContentKey(*parsed, advisers_.at(kAdviser).encryption, {},
                                          UnitRecipients(to_unit));
    EXPECT_TRUE(wraps.ok()) << wraps.status();
    if (!wraps.ok()) return request;
    v1::MessageRewrap* rewrap = request.add_rewraps();
    rewrap->set_message_id(parsed->header.message_id());
    for (const v1::WrappedKey& wrap : *wraps) *rewrap->add_recipients() = wrap;
    request.set_note_envelope(SealReferralNote(advisers_.at(kAdviser), thread.keys, 2, to_unit));
    return request;
  }

  // Shares message 1 of `thread` (in kUnit) with kUnit's advisers, its
  // content key re-wrapped as kAdviser's client would.
  v1::ShareThreadRequest ShareRequest(const ScenarioThread& thread) {
    v1::ShareThreadRequest request;
    request.set_thread_id(thread.keys.thread_id);
    auto parsed = crypto::ParseEnvelope(thread.first_envelope);
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    if (!parsed.ok()) return request;
    auto wraps = crypto::RewrapContentKey(*parsed, advisers_.at(kAdviser).encryption, {},
                                          UnitRecipients(kUnit));
    EXPECT_TRUE(wraps.ok()) << wraps.status();
    if (!wraps.ok()) return request;
    v1::MessageRewrap* rewrap = request.add_rewraps();
    rewrap->set_message_id(parsed->header.message_id());
    for (const v1::WrappedKey& wrap : *wraps) *rewrap->add_recipients() = wrap;
    return request;
  }

  // Causes one queue event in `unit` (kUnit: a new thread; kOtherUnit: a
  // thread referred in).
  void PokeQueue(const std::string& unit) {
    ScenarioThread thread = NewThread();
    if (unit == kUnit) return;
    grpc::Status status =
        Call(&v1::Relay::Stub::ReferThread, ScenarioStub(kAdviser), ReferRequest(thread, unit));
    EXPECT_TRUE(status.ok()) << "referring a thread to " << unit << ": " << status.error_message();
  }

  // A thread request by `caller` for `thread`: adviser callers send no proof;
  // professional-style callers prove with the thread key or a stranger's.
  template <typename Request>
  void ProveAs(const Caller& caller, Request& request, const std::string& method,
               const ScenarioThread& thread) {
    if (caller.sends == Sends::kAdviserRequest) return;
    if (caller.sends == Sends::kOwnerRequest) return Prove(request, method, thread.keys);
    ThreadKeys stranger = NewThreadKeys();
    stranger.thread_id = thread.keys.thread_id;
    Prove(request, method, stranger);
  }

  Caller MakeCaller(const PrincipalColumn& column) {
    const TestPki& pki = SharedPki();
    Caller caller{column.principal, column.column, nullptr, Sends::kOwnerRequest, ""};
    switch (column.principal) {
      case Principal::kNoCertificate:
        caller.stub = Stub("");
        break;
      case Principal::kOtherCa:
        caller.stub =
            StubWithFiles(pki.other_dir + "/" + kProfessional + ".crt",
                          pki.other_dir + "/" + kProfessional + ".key", pki.dir + "/ca.crt");
        break;
      case Principal::kExpired:
        caller.stub = Stub("expired");
        break;
      case Principal::kRevoked:
        caller.stub = Stub(revoked_certificate_);
        break;
      case Principal::kProfessional:
        caller.stub = Stub(kProfessional);
        break;
      case Principal::kProfessionalWithoutThreadKey:
        caller.stub = Stub(kProfessional2);
        caller.sends = Sends::kStrangerRequest;
        break;
      case Principal::kAdviserOfUnit:
        caller.stub = Stub(kAdviser);
        caller.sends = Sends::kAdviserRequest;
        caller.adviser = kAdviser;
        break;
      case Principal::kAdviserOfOtherUnit:
        caller.stub = Stub(kOtherAdviser);
        caller.sends = Sends::kAdviserRequest;
        caller.adviser = kOtherAdviser;
        break;
      case Principal::kAdmin:
        caller.stub = Stub(kAdmin);
        break;
      case Principal::kUnitAdmin:
        caller.stub = Stub(unit_admin_);
        break;
      case Principal::kOtherUnitAdmin:
        caller.stub = Stub(other_unit_admin_);
        break;
    }
    return caller;
  }

  using Runner = std::function<grpc::Status(const Caller&)>;

  // One runner per RPC: builds the cell's scenario and request, makes the
  // call as `caller` and returns its status.
  std::map<std::string, Runner> Runners() {
    using S = v1::Relay::Stub;
    std::map<std::string, Runner> runners;
    runners["GetDirectory"] = [](const Caller& c) {
      return Call(&S::GetDirectory, *c.stub, v1::GetDirectoryRequest());
    };
    runners["SubmitConsultation"] = [this](const Caller& c) {
      ThreadKeys keys = NewThreadKeys();
      if (c.sends == Sends::kStrangerRequest) {
        // A "new" consultation under the id of an existing thread, signed
        // with the caller's own key: a take-over attempt.
        keys.thread_id = NewThread().keys.thread_id;
      }
      // County left empty: the relay takes it from the certificate, so that
      // only a professional's certificate can route the request at all.
      v1::SubmitConsultationRequest request = SubmitRequest(keys, "access matrix");
      request.mutable_metadata()->clear_county();
      return Call(&S::SubmitConsultation, *c.stub, request);
    };
    runners["PostMessage"] = [this](const Caller& c) {
      ScenarioThread thread = NewThread();
      v1::PostMessageRequest request;
      request.set_thread_id(thread.keys.thread_id);
      const std::string message_id = crypto::RandomId();
      if (c.sends == Sends::kAdviserRequest) {
        request.set_envelope(
            SealFromAdviser(advisers_.at(c.adviser), thread.keys, message_id, 2, "answer"));
      } else if (c.sends == Sends::kOwnerRequest) {
        request.set_envelope(SealFromProfessional(thread.keys, message_id, 2, "more", false));
      } else {
        ThreadKeys stranger = NewThreadKeys();
        stranger.thread_id = thread.keys.thread_id;
        request.set_envelope(SealFromProfessional(stranger, message_id, 2, "more", false));
      }
      ProveAs(c, request, kPostMessage, thread);
      return Call(&S::PostMessage, *c.stub, request);
    };
    runners["GetThread"] = [this](const Caller& c) {
      ScenarioThread thread = NewThread();
      v1::GetThreadRequest request;
      request.set_thread_id(thread.keys.thread_id);
      ProveAs(c, request, kGetThread, thread);
      return Call(&S::GetThread, *c.stub, request);
    };
    runners["WatchThread"] = [this](const Caller& c) {
      ScenarioThread thread = NewThread();
      v1::WatchThreadRequest request;
      request.set_thread_id(thread.keys.thread_id);
      ProveAs(c, request, kWatchThread, thread);
      ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + kStreamDeadline);
      auto reader = c.stub->WatchThread(&ctx, request);
      v1::ThreadEvent event;
      if (reader->Read(&event)) {  // an accepted watch starts with the backlog
        ctx.TryCancel();
        reader->Finish();
        return event.message().sequence() == 1
                   ? grpc::Status::OK
                   : SetupFailed("the first event of a watch is not message 1");
      }
      return reader->Finish();
    };
    runners["CloseThread"] = [this](const Caller& c) {
      ScenarioThread thread = NewThread();
      v1::CloseThreadRequest request;
      request.set_thread_id(thread.keys.thread_id);
      ProveAs(c, request, kCloseThread, thread);
      return Call(&S::CloseThread, *c.stub, request);
    };
    runners["ListQueue"] = [](const Caller& c) {
      return Call(&S::ListQueue, *c.stub, v1::ListQueueRequest());
    };
    runners["WatchQueue"] = [this](const Caller& c) { return WatchQueueCell(c); };
    runners["ClaimThread"] = [this](const Caller& c) {
      ScenarioThread thread = NewThread();
      v1::ClaimThreadRequest request;
      request.set_thread_id(thread.keys.thread_id);
      return Call(&S::ClaimThread, *c.stub, request);
    };
    runners["ReleaseThread"] = [this](const Caller& c) {
      ScenarioThread thread = NewThread();
      if (grpc::Status s = Claim(thread); !s.ok())
        return SetupFailed("claim: " + s.error_message());
      v1::ReleaseThreadRequest request;
      request.set_thread_id(thread.keys.thread_id);
      return Call(&S::ReleaseThread, *c.stub, request);
    };
    runners["HandoverThread"] = [this](const Caller& c) {
      ScenarioThread thread = NewThread();
      if (grpc::Status s = Claim(thread); !s.ok())
        return SetupFailed("claim: " + s.error_message());
      v1::HandoverThreadRequest request;
      request.set_thread_id(thread.keys.thread_id);
      request.set_to_adviser_id(advisers_.at(kAdviser2).id);
      return Call(&S::HandoverThread, *c.stub, request);
    };
    runners["ForceReleaseThread"] = [this](const Caller& c) {
      ScenarioThread thread = NewThread();
      if (grpc::Status s = Claim(thread); !s.ok())
        return SetupFailed("claim: " + s.error_message());
      v1::ForceReleaseThreadRequest request;
      request.set_thread_id(thread.keys.thread_id);
      return Call(&S::ForceReleaseThread, *c.stub, request);
    };
    runners["ReferThread"] = [this](const Caller& c) {
      ScenarioThread thread = NewThread();
      return Call(&S::ReferThread, *c.stub, ReferRequest(thread, kThirdUnit));
    };
    runners["ShareThread"] = [this](const Caller& c) {
      ScenarioThread thread = NewThread();
      return Call(&S::ShareThread, *c.stub, ShareRequest(thread));
    };
    runners["PublishDirectory"] = [this](const Caller& c) {
      const uint64_t epoch = ++last_signed_epoch_;  // always above the current one
      v1::PublishDirectoryRequest request;
      *request.mutable_directory() = MatrixDirectory(epoch);
      grpc::Status status = Call(&S::PublishDirectory, *c.stub, request);
      if (status.ok()) epoch_ = epoch;  // envelopes are sealed for it from now on
      return status;
    };
    // By certificate (as `samrad admin revoke --cert` sends it): an adviser
    // certificate of the thread's unit that nobody calls with (revoking it
    // again is idempotent).
    runners["RevokeCertificate"] = [this](const Caller& c) {
      v1::RevokeCertificateRequest request;
      request.set_certificate_pem(ReadFile(SharedPki().Cert(revocation_target_)));
      request.set_reason("access matrix");
      return Call(&S::RevokeCertificate, *c.stub, request);
    };
    // The same certificate, revoked by the national admin before each cell.
    runners["UnrevokeCertificate"] = [this](const Caller& c) {
      v1::RevokeCertificateRequest revoke;
      revoke.set_certificate_pem(ReadFile(SharedPki().Cert(revocation_target_)));
      if (grpc::Status s = Call(&S::RevokeCertificate, ScenarioStub(kAdmin), revoke); !s.ok()) {
        return SetupFailed("revoke: " + s.error_message());
      }
      v1::UnrevokeCertificateRequest request;
      request.set_certificate_pem(revoke.certificate_pem());
      return Call(&S::UnrevokeCertificate, *c.stub, request);
    };
    runners["ListRevoked"] = [](const Caller& c) {
      return Call(&S::ListRevoked, *c.stub, v1::ListRevokedRequest());
    };
    runners["GetStats"] = [](const Caller& c) {
      v1::StatsRequest request;
      request.set_period(v1::STATS_PERIOD_YEAR);
      request.set_year(2000);
      request.add_group_by("unit");
      return Call(&S::GetStats, *c.stub, request);
    };
    runners["GetAuditLog"] = [](const Caller& c) {
      return Call(&S::GetAuditLog, *c.stub, v1::AuditLogRequest());
    };
    runners["Backup"] = [](const Caller& c) {
      return Call(&S::Backup, *c.stub, v1::BackupRequest());
    };
    runners["RunRetention"] = [](const Caller& c) {
      v1::RetentionRequest request;
      request.set_dry_run(true);
      return Call(&S::RunRetention, *c.stub, request);
    };
    runners["ListBackups"] = [](const Caller& c) {
      return Call(&S::ListBackups, *c.stub, v1::ListBackupsRequest());
    };
    return runners;
  }

  // OK when the first event arrives; an adviser's own unit's queue is poked
  // until it does (a subscription has no other visible sign of life). A
  // refused watch ends at once with its code; one that is neither refused nor
  // delivering ends with DEADLINE_EXCEEDED.
  grpc::Status WatchQueueCell(const Caller& c) {
    ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + kStreamDeadline);
    auto reader = c.stub->WatchQueue(&ctx, v1::WatchQueueRequest());
    std::atomic<bool> done{false};
    bool got_event = false;
    std::thread read([&] {
      v1::QueueEvent event;
      got_event = reader->Read(&event);
      done = true;
    });
    if (c.sends == Sends::kAdviserRequest) {
      const std::string unit = advisers_.at(c.adviser).unit;
      for (int i = 0; i < 40 && !done.load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (!done.load()) PokeQueue(unit);
      }
    }
    read.join();  // by the deadline at the latest
    if (got_event) {
      ctx.TryCancel();
      reader->Finish();
      return grpc::Status::OK;
    }
    return reader->Finish();
  }

  void RevokeTheRevokedCertificate() {
    const std::string serial = CertificateSerialHex(revoked_certificate_);
    ASSERT_FALSE(serial.empty());
    v1::RevokeCertificateRequest request;
    request.set_serial_hex(serial);
    request.set_reason("access matrix: the revoked principal");
    grpc::Status status = Call(&v1::Relay::Stub::RevokeCertificate, *Stub(kAdmin), request);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  std::string revoked_certificate_;
  std::string unit_admin_;         // samrad://admin/rc-kronoberg/ua-1 (the thread's unit)
  std::string other_unit_admin_;   // samrad://admin/nkt/oa-1
  std::string revocation_target_;  // samrad://adviser/rc-kronoberg/a-revoke
  uint64_t last_signed_epoch_ = 0;
  std::map<std::string, std::unique_ptr<v1::Relay::Stub>> scenario_stubs_;
};

TEST_F(AccessMatrixTest, EveryRpcAndPrincipalGetsExactlyTheCodeInTheTable) {
  const std::vector<std::string> methods = ServiceMethods();
  ASSERT_FALSE(methods.empty()) << "the descriptor of " << kServiceFullName << " is missing";
  auto matrix = LoadMatrixFile();
  ASSERT_TRUE(matrix.ok()) << matrix.status();
  std::vector<std::string> problems = CoverageProblems(*matrix, methods);
  std::map<std::string, Runner> runners = Runners();
  for (const std::string& method : methods) {
    if (!runners.contains(method)) {
      problems.push_back(absl::StrCat("rpc ", method, " has no runner in ", __FILE__));
    }
  }
  ASSERT_TRUE(problems.empty()) << absl::StrJoin(problems, "\n");

  StartRelay();
  {
    v1::PublishDirectoryRequest request;
    *request.mutable_directory() = MatrixDirectory(++last_signed_epoch_);
    grpc::Status status = Call(&v1::Relay::Stub::PublishDirectory, *Stub(kAdmin), request);
    ASSERT_TRUE(status.ok()) << status.error_message();
    epoch_ = last_signed_epoch_;
  }
  RevokeTheRevokedCertificate();
  std::vector<Caller> callers;
  for (const PrincipalColumn& column : kPrincipals) callers.push_back(MakeCaller(column));

  // The codes the relay returned, in the table's format, for the log.
  std::ostringstream actual;
  actual << "rpc                 ";
  for (const Caller& c : callers) actual << c.column << std::string(19 - c.column.size(), ' ');
  actual << "\n";
  size_t cells = 0;
  for (const std::string& rpc : methods) {
    actual << rpc << std::string(rpc.size() < 20 ? 20 - rpc.size() : 1, ' ');
    for (const Caller& c : callers) {
      const grpc::Status got = runners.at(rpc)(c);
      const StatusCode want = matrix->expected.at(rpc).at(c.column);
      ++cells;
      EXPECT_EQ(CodeName(got.error_code()), CodeName(want))
          << "cell " << rpc << " x " << c.column << ": the relay said \"" << got.error_message()
          << "\"";
      const std::string name = CodeName(got.error_code());
      actual << name << std::string(name.size() < 19 ? 19 - name.size() : 1, ' ');
    }
    actual << "\n";
  }
  EXPECT_EQ(cells, methods.size() * std::size(kPrincipals));
  if (HasFailure()) ADD_FAILURE() << "what the relay returned:\n" << actual.str();
}

}  // namespace
}  // namespace samrad::server::testing
