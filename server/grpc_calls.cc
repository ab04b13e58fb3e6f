#include "server/grpc_calls.h"

#include "common/reasons.h"
#include "common/status_macros.h"
#include "server/validation.h"

namespace samrad::server {

absl::Status UnaryCall::BeforeWrite() const {
  if (deadline_ <= std::chrono::system_clock::now()) {
    return absl::DeadlineExceededError("the call's deadline passed before the write started");
  }
  return absl::OkStatus();
}

GrpcCalls::GrpcCalls(Admission* admission, const DirectoryState* directory, ThreadEvents* events,
                     MaintenanceWorker* worker, CertificateExpiry* expiry,
                     std::function<void(const absl::Status&)> on_store_write)
    : admission_(admission),
      directory_(directory),
      events_(events),
      worker_(worker),
      expiry_(expiry),
      on_store_write_(std::move(on_store_write)) {}

absl::StatusOr<Identity> GrpcCalls::AdmitPeer(const std::string& leaf_pem,
                                              const std::string& chain_pem,
                                              absl::string_view full_method,
                                              const google::protobuf::Message& request) {
  if (shutting_down_.load()) {
    return reasons::Error(absl::StatusCode::kUnavailable, reasons::Reason::kShuttingDown, {});
  }
  auto caller = admission_->Authenticate(leaf_pem, chain_pem, full_method);
  if (!caller.ok()) return caller;
  // Nothing the relay does not understand is stored or served.
  SAMRAD_RETURN_IF_ERROR(RejectUnknownFields(request));
  return caller;
}

absl::StatusOr<Identity> GrpcCalls::Admit(grpc::CallbackServerContext* ctx,
                                          absl::string_view full_method,
                                          const google::protobuf::Message& request) {
  std::string leaf, chain;
  if (shutting_down_.load()) return AdmitPeer(leaf, chain, full_method, request);
  if (auto auth = ctx->auth_context(); auth != nullptr) {
    auto leaf_values = auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
    if (!leaf_values.empty()) leaf.assign(leaf_values[0].data(), leaf_values[0].size());
    auto chain_values = auth->FindPropertyValues(GRPC_X509_PEM_CERT_CHAIN_PROPERTY_NAME);
    if (!chain_values.empty()) chain.assign(chain_values[0].data(), chain_values[0].size());
  }
  return AdmitPeer(leaf, chain, full_method, request);
}

absl::Status GrpcCalls::RunBlocking(UnaryCall& call, std::function<absl::Status()> job) {
  auto shared_job = std::make_shared<std::function<absl::Status()>>(std::move(job));
  if (!worker_->Post([reactor = call.reactor(), shared_job] {
        reactor->Finish(ToGrpcStatus((*shared_job)()));
      })) {
    return reasons::Error(absl::StatusCode::kUnavailable, reasons::Reason::kShuttingDown, {});
  }
  call.HandOn();
  return absl::OkStatus();
}

absl::Status GrpcCalls::StillAdmitted(const Identity& caller) {
  SAMRAD_RETURN_IF_ERROR(admission_->NotRevokedNow(caller.serial_hex));
  return directory_->ListedIfAdviser(caller);
}

}  // namespace samrad::server
