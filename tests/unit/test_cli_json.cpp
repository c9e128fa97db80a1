// The CLI's JSON writer: escaping and numbers, checked by parsing back.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "cli_json_parser.h"

extern "C" {
#include "json.h"
}

namespace {

std::string Str(const char *s) {
  ikcli_buf b = {};
  ikcli_json_string(&b, s);
  std::string out(b.data, b.len);
  ikcli_buf_free(&b);
  return out;
}

std::string Num(double v) {
  ikcli_buf b = {};
  ikcli_json_number(&b, v);
  std::string out(b.data, b.len);
  ikcli_buf_free(&b);
  return out;
}

}  // namespace

TEST(CliJson, StringEscapesQuoteBackslashAndControls) {
  EXPECT_EQ(Str("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Str("\n\r\t"), "\"\\n\\r\\t\"");
  EXPECT_EQ(Str("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\"");
}

TEST(CliJson, EveryByteStringParsesBackToItsText) {
  std::string all;
  for (int c = 1; c < 0x80; c++) all += static_cast<char>(c);
  all += "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";  // é € 😀 stay as they are
  testjson::Value v = testjson::Parse(Str(all.c_str()));
  ASSERT_EQ(v.kind, testjson::Value::String);
  EXPECT_EQ(v.str, all);
}

TEST(CliJson, InvalidUtf8BecomesReplacementCharacter) {
  // A lone continuation byte, a truncated sequence, an overlong '/', a UTF-16
  // surrogate encoded in UTF-8, and a byte that never occurs in UTF-8.
  const char *bad[] = {"\x80", "\xe2\x82", "\xc0\xaf", "\xed\xa0\x80", "\xff"};
  for (const char *s : bad) {
    std::string json = Str(s);
    testjson::Value v = testjson::Parse(json);  // throws if it is not JSON
    EXPECT_NE(v.str.find("\xef\xbf\xbd"), std::string::npos) << json;
  }
  EXPECT_EQ(Str("a\xff" "b"), "\"a\\ufffdb\"");
}

TEST(CliJson, NumbersHaveAtMostThreeDecimalsWithoutTrailingZeros) {
  EXPECT_EQ(Num(0.49996376037597656), "0.5");  // an RTT as the clock gives it
  EXPECT_EQ(Num(0.07224082946777344), "0.072");
  EXPECT_EQ(Num(11.595010757446289), "11.595");
  EXPECT_EQ(Num(0.1), "0.1");
  EXPECT_EQ(Num(12.036), "12.036");
  EXPECT_EQ(Num(0.333), "0.333");
  EXPECT_EQ(Num(1.0), "1");
  EXPECT_EQ(Num(100.0), "100");
  EXPECT_EQ(Num(-2.5), "-2.5");
  EXPECT_EQ(Num(0.0), "0");
  EXPECT_EQ(Num(-0.0), "0");
  EXPECT_EQ(Num(-0.0001), "0");  // rounds to zero: no "-0"
  EXPECT_EQ(Num(0.0004), "0");
}

TEST(CliJson, EveryNumberParsesBackWithinHalfAThousandth) {
  const double samples[] = {11.595010757446289, 1e-7, 0.0015, 123456789.125, 2999.9996, 1e300,
                            -1e300, 5e-324, std::numeric_limits<double>::max()};
  for (double d : samples) {
    testjson::Value v = testjson::Parse(Num(d));  // throws if it is not JSON
    ASSERT_EQ(v.kind, testjson::Value::Number) << Num(d);
    EXPECT_LE(std::fabs(v.num - d), std::fabs(d) * 1e-15 + 0.0005) << Num(d);
  }
}

TEST(CliJson, NonFiniteNumbersBecomeNull) {
  EXPECT_EQ(Num(std::numeric_limits<double>::quiet_NaN()), "null");
  EXPECT_EQ(Num(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(Num(-std::numeric_limits<double>::infinity()), "null");
}

TEST(CliJson, KeysAreCommaSeparated) {
  ikcli_buf b = {};
  ikcli_buf_puts(&b, "{");
  ikcli_json_key(&b, "a", 1);
  ikcli_json_int(&b, -7);
  ikcli_json_key(&b, "b\"", 0);
  ikcli_json_bool(&b, 1);
  ikcli_buf_puts(&b, "}");
  testjson::Value v = testjson::Parse(std::string(b.data, b.len));
  EXPECT_EQ(v["a"].num, -7);
  EXPECT_TRUE(v["b\""].b);
  ikcli_buf_free(&b);
}

TEST(CliJson, BufferGrowsAndStaysTerminated) {
  ikcli_buf b = {};
  for (int i = 0; i < 10000; i++) ikcli_buf_printf(&b, "%d,", i % 10);
  EXPECT_EQ(b.len, 20000u);
  EXPECT_EQ(b.data[b.len], '\0');
  EXPECT_FALSE(b.failed);
  ikcli_buf_clear(&b);
  EXPECT_EQ(b.len, 0u);
  EXPECT_STREQ(b.data, "");
  ikcli_buf_free(&b);
}
