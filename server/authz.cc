#include "server/authz.h"

#include "absl/strings/str_cat.h"
#include "common/reasons.h"

namespace samrad::server {
namespace {

struct MethodRule {
  absl::string_view method;
  bool professional;
  bool adviser;
  bool admin;
  bool national_only = false;  // admin only when the admin's scope is national
};

// clang-format off
// The whole method-level policy. Deny by default: a method not listed here is
// refused for everyone.
const MethodRule kRules[] = {
    //  method                         professional adviser admin  national-only
    {method::kGetDirectory,              true,        true,   true},
    {method::kSubmitConsultation,        true,        false,  false},
    {method::kPostMessage,               true,        true,   false},
    {method::kGetThread,                 true,        true,   false},
    {method::kWatchThread,               true,        true,   false},
    {method::kCloseThread,               true,        true,   false},
    {method::kListQueue,                 false,       true,   false},
    {method::kWatchQueue,                false,       true,   false},
    {method::kClaimThread,               false,       true,   false},
    {method::kReleaseThread,             false,       true,   false},
    {method::kHandoverThread,            false,       true,   false},
    {method::kForceReleaseThread,        false,       false,  true},
    {method::kReferThread,               false,       true,   false},
    {method::kPublishDirectory,          false,       false,  true,   true},
    {method::kRevokeCertificate,         false,       false,  true},
    {method::kListRevoked,               false,       false,  true},
    {method::kGetStats,                  false,       false,  true},
    {method::kGetAuditLog,               false,       false,  true},
    {method::kBackup,                    false,       false,  true,   true},
    {method::kRunRetention,              false,       false,  true,   true},
    {method::kListBackups,               false,       false,  true,   true},
    {method::kShareThread,               false,       true,   false},
    {method::kUnrevokeCertificate,       false,       false,  true,   true},
};
// clang-format on

}  // namespace

absl::Status AuthorizeMethod(absl::string_view full_method, Role role, absl::string_view scope) {
  for (const MethodRule& rule : kRules) {
    if (rule.method != full_method) continue;
    const bool allowed = (role == Role::kProfessional && rule.professional) ||
                         (role == Role::kAdviser && rule.adviser) ||
                         (role == Role::kAdmin && rule.admin);
    if (allowed && role == Role::kAdmin && rule.national_only && scope != kNationalScope) {
      return reasons::Error(absl::StatusCode::kPermissionDenied,
                            reasons::Reason::kMethodNationalOnly,
                            {std::string(full_method), std::string(scope)});
    }
    if (allowed) return absl::OkStatus();
    std::string who;
    if (rule.professional) absl::StrAppend(&who, who.empty() ? "" : ", ", "professional");
    if (rule.adviser) absl::StrAppend(&who, who.empty() ? "" : ", ", "adviser");
    if (rule.admin) {
      absl::StrAppend(&who, who.empty() ? "" : ", ",
                      rule.national_only ? "national admin" : "admin");
    }
    return reasons::Error(absl::StatusCode::kPermissionDenied, reasons::Reason::kMethodRoles,
                          {std::string(full_method), who, std::string(RoleName(role))});
  }
  return reasons::Error(absl::StatusCode::kPermissionDenied, reasons::Reason::kMethodUnknown,
                        {std::string(full_method)});
}

bool AdminScopeCovers(absl::string_view admin_scope, absl::string_view unit) {
  return admin_scope == kNationalScope || (!unit.empty() && admin_scope == unit);
}

}  // namespace samrad::server
