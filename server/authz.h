// Method-level authorisation: which role may call which RPC, in one table.
//
// Resource-level rules (an adviser sees only their unit's threads; a
// professional reaches a thread only with its thread key) are enforced by the
// service after it has loaded the thread; see relay_service.cc.
//
// Thread-safety: pure functions over a constant table; safe from any thread.
#ifndef SAMRAD_SERVER_AUTHZ_H_
#define SAMRAD_SERVER_AUTHZ_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/identity.h"

namespace samrad::server {

// Full gRPC method names, e.g. "/samrad.v1.Relay/GetThread".
namespace method {
inline constexpr char kGetDirectory[] = "/samrad.v1.Relay/GetDirectory";
inline constexpr char kSubmitConsultation[] = "/samrad.v1.Relay/SubmitConsultation";
inline constexpr char kPostMessage[] = "/samrad.v1.Relay/PostMessage";
inline constexpr char kGetThread[] = "/samrad.v1.Relay/GetThread";
inline constexpr char kWatchThread[] = "/samrad.v1.Relay/WatchThread";
inline constexpr char kCloseThread[] = "/samrad.v1.Relay/CloseThread";
inline constexpr char kListQueue[] = "/samrad.v1.Relay/ListQueue";
inline constexpr char kWatchQueue[] = "/samrad.v1.Relay/WatchQueue";
inline constexpr char kClaimThread[] = "/samrad.v1.Relay/ClaimThread";
inline constexpr char kReleaseThread[] = "/samrad.v1.Relay/ReleaseThread";
inline constexpr char kHandoverThread[] = "/samrad.v1.Relay/HandoverThread";
inline constexpr char kForceReleaseThread[] = "/samrad.v1.Relay/ForceReleaseThread";
inline constexpr char kReferThread[] = "/samrad.v1.Relay/ReferThread";
inline constexpr char kPublishDirectory[] = "/samrad.v1.Relay/PublishDirectory";
inline constexpr char kRevokeCertificate[] = "/samrad.v1.Relay/RevokeCertificate";
inline constexpr char kListRevoked[] = "/samrad.v1.Relay/ListRevoked";
inline constexpr char kGetStats[] = "/samrad.v1.Relay/GetStats";
inline constexpr char kGetAuditLog[] = "/samrad.v1.Relay/GetAuditLog";
inline constexpr char kBackup[] = "/samrad.v1.Relay/Backup";
inline constexpr char kRunRetention[] = "/samrad.v1.Relay/RunRetention";
inline constexpr char kListBackups[] = "/samrad.v1.Relay/ListBackups";
inline constexpr char kShareThread[] = "/samrad.v1.Relay/ShareThread";
inline constexpr char kUnrevokeCertificate[] = "/samrad.v1.Relay/UnrevokeCertificate";
}  // namespace method

// The scope of an admin certificate that covers every unit.
inline constexpr char kNationalScope[] = "national";

// OK when a caller of `role` and `scope` may call `full_method`;
// PERMISSION_DENIED naming the roles (or "national admin") that may;
// PERMISSION_DENIED for a method missing from the table (deny by default).
// Some admin methods are for national admins only (publish, backup, list
// backups, retention, unrevoke); the others are scoped per resource by the service.
[[nodiscard]] absl::Status AuthorizeMethod(absl::string_view full_method, Role role,
                                           absl::string_view scope);

// Resource-level rule for admins acting on one unit's threads (e.g.
// ForceReleaseThread): a "national" admin covers every unit, a unit admin
// only their own.
bool AdminScopeCovers(absl::string_view admin_scope, absl::string_view unit);

}  // namespace samrad::server

#endif  // SAMRAD_SERVER_AUTHZ_H_
