#include <set>

#include <gtest/gtest.h>

#include "calcscope/core/error.h"

using namespace calcscope;

TEST(ErrorTable, ExitCodesAreUniqueAndNonZeroForFailures) {
  std::set<int> seen;
  for (const auto& e : error_table()) {
    EXPECT_TRUE(seen.insert(e.exit_code).second) << "duplicate exit code " << e.exit_code;
    if (e.code != ErrorCode::Ok) {
      EXPECT_NE(e.exit_code, 0);
      EXPECT_NE(e.exit_code, 1) << "1 is reserved for partial batch failure";
    }
  }
}

TEST(Error, MessageNamesTheFile) {
  Error e(ErrorCode::NotAnImage, "no pixel data", "/tmp/x.dcm");
  EXPECT_STREQ(e.what(), "/tmp/x.dcm: no pixel data");
  EXPECT_EQ(e.exit_code(), 6);
  EXPECT_EQ(e.name(), "not_an_image");
}
