// Fuzzes the relay's request validation (server/validation.h) with requests parsed from
// the input bytes, as the gRPC layer would hand them over: byte 0 picks the request type
// (SubmitConsultationRequest, PostMessageRequest, ListQueueRequest, ReferThreadRequest,
// GetThreadRequest, EnvelopeHeader), the rest is its wire encoding. Each field goes
// through the same validators relay_service.cc calls. Contract checked: no crash, no
// sanitizer report, and every rejection is INVALID_ARGUMENT, FAILED_PRECONDITION or
// UNAUTHENTICATED (the codes validation.h documents).
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/check.h"
#include "common/ids.h"
#include "proto/envelope.pb.h"
#include "proto/relay.pb.h"
#include "server/validation.h"

namespace server = samrad::server;
namespace ids = samrad::ids;

namespace {

constexpr int64_t kNowMs = 1'780'000'000'000;  // fixed clock so runs reproduce
constexpr int64_t kWindowMs = 5 * 60 * 1000;

void Expect(const absl::Status& status) {
  if (status.ok()) return;
  SAMRAD_CHECK(status.code() == absl::StatusCode::kInvalidArgument ||
                   status.code() == absl::StatusCode::kFailedPrecondition ||
                   status.code() == absl::StatusCode::kUnauthenticated,
               "validation returned an undocumented status code");
  SAMRAD_CHECK(!status.message().empty(), "validation rejected without a message");
}

void CheckHeader(const samrad::v1::EnvelopeHeader& header) {
  Expect(server::ValidateHexId("envelope header thread_id", header.thread_id()));
  Expect(server::ValidateHexId("envelope header message_id", header.message_id()));
  for (int i = 0; i < header.recipients_size(); ++i) {
    Expect(server::ValidateWrappedKey(absl::StrCat("recipients[", i, "]"), header.recipients(i)));
  }
  server::ExpectedHeader expected;
  expected.thread_id = header.thread_id();
  expected.sequence = 1;
  expected.sender_role = samrad::v1::SENDER_ROLE_ADVISER;
  expected.units = {"rc-kronoberg", "nkt", header.unit()};
  expected.directory_epoch = 3;
  Expect(server::CheckEnvelopeHeader(header, expected));
  expected.sequence = header.sequence();
  expected.sender_role = header.sender_role();
  expected.directory_epoch = header.directory_epoch();
  Expect(server::CheckEnvelopeHeader(header, expected));
}

void CheckProof(const samrad::v1::OwnershipProof& proof, bool has_proof) {
  Expect(server::ValidateProofShape(proof, has_proof, kNowMs, kWindowMs));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 6) {
    case 0: {
      samrad::v1::SubmitConsultationRequest request;
      if (!request.ParseFromString(bytes)) return 0;
      Expect(server::ValidateCaseMetadata(request.metadata(), /*allow_empty_county=*/true));
      Expect(server::ValidateCaseMetadata(request.metadata(), /*allow_empty_county=*/false));
      (void)ids::IsCountyCode(request.metadata().county());
      samrad::v1::SealedEnvelope envelope;
      if (envelope.ParseFromString(request.envelope())) {
        samrad::v1::EnvelopeHeader header;
        if (header.ParseFromString(envelope.header())) CheckHeader(header);
      }
      break;
    }
    case 1: {
      samrad::v1::PostMessageRequest request;
      if (!request.ParseFromString(bytes)) return 0;
      Expect(server::ValidateHexId("thread_id", request.thread_id()));
      CheckProof(request.proof(), request.has_proof());
      samrad::v1::SealedEnvelope envelope;
      if (envelope.ParseFromString(request.envelope())) {
        samrad::v1::EnvelopeHeader header;
        if (header.ParseFromString(envelope.header())) CheckHeader(header);
      }
      break;
    }
    case 2: {
      samrad::v1::ListQueueRequest request;
      if (!request.ParseFromString(bytes)) return 0;
      Expect(server::ValidateQueueFilters(request));
      Expect(server::ValidateUtf8("cursor", request.cursor(), 256));
      break;
    }
    case 3: {
      samrad::v1::ReferThreadRequest request;
      if (!request.ParseFromString(bytes)) return 0;
      Expect(server::ValidateHexId("thread_id", request.thread_id()));
      for (int i = 0; i < request.rewraps_size(); ++i) {
        const auto& rewrap = request.rewraps(i);
        Expect(server::ValidateHexId("message_id", rewrap.message_id()));
        for (int k = 0; k < rewrap.recipients_size(); ++k) {
          Expect(server::ValidateWrappedKey("recipient", rewrap.recipients(k)));
        }
      }
      break;
    }
    case 4: {
      samrad::v1::GetThreadRequest request;
      if (!request.ParseFromString(bytes)) return 0;
      Expect(server::ValidateHexId("thread_id", request.thread_id()));
      CheckProof(request.proof(), request.has_proof());
      break;
    }
    default: {
      samrad::v1::EnvelopeHeader header;
      if (!header.ParseFromString(bytes)) return 0;
      CheckHeader(header);
      Expect(server::ValidateUtf8("unit", header.unit(), 64));
      break;
    }
  }
  return 0;
}
