// common/status_macros.h: each macro returns the error unchanged and
// stops there, and passes a value through when OK.
#include "common/status_macros.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace samrad {
namespace {

absl::Status Step(bool ok, int* calls) {
  ++*calls;
  return ok ? absl::OkStatus() : absl::NotFoundError("step failed");
}

absl::StatusOr<std::unique_ptr<int>> MakeInt(bool ok, int value) {
  if (!ok) return absl::InvalidArgumentError("no int");
  return std::make_unique<int>(value);
}

absl::Status TwoSteps(bool first_ok, bool second_ok, int* calls) {
  SAMRAD_RETURN_IF_ERROR(Step(first_ok, calls));
  SAMRAD_RETURN_IF_ERROR(Step(second_ok, calls));
  return absl::OkStatus();
}

// Adds two move-only values; any failure is returned as it was.
absl::StatusOr<int> Sum(bool a_ok, bool b_ok) {
  SAMRAD_ASSIGN_OR_RETURN(std::unique_ptr<int> a, MakeInt(a_ok, 40));
  std::unique_ptr<int> b;
  SAMRAD_ASSIGN_OR_RETURN(b, MakeInt(b_ok, 2));
  return *a + *b;
}

TEST(StatusMacrosTest, ReturnIfErrorStopsAtTheFirstError) {
  int calls = 0;
  EXPECT_TRUE(TwoSteps(true, true, &calls).ok());
  EXPECT_EQ(calls, 2);
  calls = 0;
  absl::Status failed = TwoSteps(false, true, &calls);
  EXPECT_EQ(failed, absl::NotFoundError("step failed"));
  EXPECT_EQ(calls, 1);
  calls = 0;
  EXPECT_EQ(TwoSteps(true, false, &calls).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(calls, 2);
}

TEST(StatusMacrosTest, AssignOrReturnMovesTheValueOrReturnsTheStatus) {
  absl::StatusOr<int> sum = Sum(true, true);
  ASSERT_TRUE(sum.ok()) << sum.status();
  EXPECT_EQ(*sum, 42);
  EXPECT_EQ(Sum(false, true).status(), absl::InvalidArgumentError("no int"));
  EXPECT_EQ(Sum(true, false).status(), absl::InvalidArgumentError("no int"));
}

TEST(StatusMacrosTest, ReturnIfErrorWorksInAStatusOrFunction) {
  auto f = [](bool ok) -> absl::StatusOr<std::string> {
    int calls = 0;
    SAMRAD_RETURN_IF_ERROR(Step(ok, &calls));
    return std::string("done");
  };
  EXPECT_EQ(*f(true), "done");
  EXPECT_EQ(f(false).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace samrad
