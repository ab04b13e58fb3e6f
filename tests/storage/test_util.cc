#include "tests/storage/test_util.h"

#include <filesystem>
#include <fstream>
#include <iterator>

#include "crypto/random.h"
#include "storage/rocks.h"

namespace samrad::storage::testing {

crypto::SecretBytes RandomKek() {
  crypto::SecretBytes kek(32);
  crypto::SystemRandom().Fill(kek.mutable_span());
  return kek;
}

absl::Status AwaitDone(absl::FunctionRef<void(DoneCallback)> start) {
  std::promise<absl::Status> promise;
  std::future<absl::Status> future = promise.get_future();
  start([&promise](absl::Status status) mutable { promise.set_value(std::move(status)); });
  return future.get();
}

v1::ThreadRecord MakeThread(const std::string& thread_id, const std::string& unit,
                            v1::Urgency urgency, v1::Category category,
                            int64_t created_at_unix_ms) {
  v1::ThreadRecord thread;
  thread.set_thread_id(thread_id);
  thread.set_unit(unit);
  thread.mutable_metadata()->set_county("01");
  thread.mutable_metadata()->set_urgency(urgency);
  thread.mutable_metadata()->set_category(category);
  thread.mutable_metadata()->set_org_type(v1::ORG_TYPE_SCHOOL);
  thread.set_created_at_unix_ms(created_at_unix_ms);
  thread.set_thread_signing_public_key(std::string(32, 'k'));
  return thread;
}

v1::StoredMessage ProfessionalMessage(const std::string& thread_id, const std::string& message_id,
                                      uint64_t sequence, const std::string& envelope) {
  v1::StoredMessage message;
  message.set_thread_id(thread_id);
  message.set_message_id(message_id);
  message.set_sequence(sequence);
  message.set_sender_role(v1::SENDER_ROLE_PROFESSIONAL);
  message.set_envelope(envelope.empty() ? "sealed-envelope-of-" + message_id : envelope);
  return message;
}

v1::StoredMessage AdviserMessage(const std::string& thread_id, const std::string& message_id,
                                 uint64_t sequence, const std::string& adviser_id) {
  v1::StoredMessage message = ProfessionalMessage(thread_id, message_id, sequence);
  message.set_sender_role(v1::SENDER_ROLE_ADVISER);
  message.set_adviser_id(adviser_id);
  return message;
}

absl::StatusOr<Appended> CreateThreadSync(Store& store, const v1::ThreadRecord& thread,
                                          const v1::StoredMessage& first) {
  return Await<Appended>(
      [&](Callback<Appended> done) { store.CreateThread(thread, first, std::move(done)); });
}

absl::StatusOr<Appended> AppendSync(Store& store, const v1::StoredMessage& message) {
  return Await<Appended>([&](Callback<Appended> done) {
    store.AppendMessage(message, std::nullopt, std::move(done));
  });
}

absl::StatusOr<std::string> ReadRaw(const StoreOptions& options, int cf, const std::string& key) {
  absl::StatusOr<std::unique_ptr<RocksHandle>> rocks = OpenRocks(options, /*read_only=*/true);
  if (!rocks.ok()) return rocks.status();
  std::string value;
  rocksdb::Status status = (*rocks)->db()->Get(
      rocksdb::ReadOptions(), (*rocks)->cf(static_cast<schema::CfId>(cf)), key, &value);
  if (!status.ok()) return FromRocks(status, "test read");
  return value;
}

absl::Status WriteRaw(const StoreOptions& options, int cf, const std::string& key,
                      const std::string& value) {
  absl::StatusOr<std::unique_ptr<RocksHandle>> rocks = OpenRocks(options, /*read_only=*/false);
  if (!rocks.ok()) return rocks.status();
  rocksdb::WriteOptions write;
  write.sync = true;
  rocksdb::Status status =
      (*rocks)->db()->Put(write, (*rocks)->cf(static_cast<schema::CfId>(cf)), key, value);
  if (!status.ok()) return FromRocks(status, "test write");
  return (*rocks)->Close();
}

bool AnyFileContains(const std::string& dir, const std::string& needle) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (contents.find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace samrad::storage::testing
