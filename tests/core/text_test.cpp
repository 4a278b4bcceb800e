#include <gtest/gtest.h>

#include <string>

#include "calcscope/core/text.h"

namespace calcscope {
namespace {

TEST(ValidUtf8, ValidTextIsUnchanged) {
  for (const std::string s : {std::string(), std::string("Doe^Jane"), std::string("M\xc3\xbcller"),
                              std::string("\xe2\x82\xac 5"), std::string("\xf0\x9f\x98\x80")})
    EXPECT_EQ(valid_utf8(s), s);
}

TEST(ValidUtf8, StrayBytesAreReadAsLatin1) {
  EXPECT_EQ(valid_utf8("M\xfcller"), "M\xc3\xbcller");        // ISO 8859-1 u-umlaut
  EXPECT_EQ(valid_utf8("\xff"), "\xc3\xbf");
  EXPECT_EQ(valid_utf8("a\x80z"), "a\xc2\x80z");
  // a truncated sequence, an overlong form and a surrogate are not valid UTF-8: byte by byte
  EXPECT_EQ(valid_utf8("\xe2\x82"), "\xc3\xa2\xc2\x82");
  EXPECT_EQ(valid_utf8("\xc0\xaf"), "\xc3\x80\xc2\xaf");
  EXPECT_EQ(valid_utf8("\xed\xa0\x80"), "\xc3\xad\xc2\xa0\xc2\x80");
  // a valid sequence after a stray byte is kept
  EXPECT_EQ(valid_utf8("\xfc\xc3\xbc"), "\xc3\xbc\xc3\xbc");
}

}  // namespace
}  // namespace calcscope
