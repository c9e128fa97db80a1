// A strict RFC 8259 JSON parser for the CLI tests, so output is checked by
// parsing it back rather than by substrings. Throws std::runtime_error on
// anything a conforming parser would reject.
#ifndef IK_TEST_CLI_JSON_PARSER_H
#define IK_TEST_CLI_JSON_PARSER_H

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace testjson {

struct Value {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  bool b = false;
  double num = 0;
  std::string str;
  std::vector<Value> arr;
  std::vector<std::pair<std::string, Value>> obj;  // keeps key order

  const Value &operator[](const std::string &key) const {
    for (const auto &kv : obj)
      if (kv.first == key) return kv.second;
    throw std::runtime_error("no key " + key);
  }
  bool has(const std::string &key) const {
    for (const auto &kv : obj)
      if (kv.first == key) return true;
    return false;
  }
  std::vector<std::string> keys() const {
    std::vector<std::string> k;
    for (const auto &kv : obj) k.push_back(kv.first);
    return k;
  }
};

class Parser {
 public:
  explicit Parser(const std::string &s) : s_(s) {}
  Value ParseDocument() {
    Value v = ParseValue();
    Ws();
    if (i_ != s_.size()) Fail("trailing characters");
    return v;
  }

 private:
  const std::string &s_;
  size_t i_ = 0;
  int depth_ = 0;

  [[noreturn]] void Fail(const std::string &why) {
    throw std::runtime_error("JSON: " + why + " at offset " + std::to_string(i_));
  }
  void Ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) i_++;
  }
  bool Lit(const char *w) {
    size_t n = std::char_traits<char>::length(w);
    if (s_.compare(i_, n, w) == 0) { i_ += n; return true; }
    return false;
  }
  Value ParseValue() {
    Ws();
    if (i_ >= s_.size()) Fail("unexpected end");
    if (++depth_ > 64) Fail("too deep");
    Value v;
    char c = s_[i_];
    if (c == '{') v = ParseObject();
    else if (c == '[') v = ParseArray();
    else if (c == '"') { v.kind = Value::String; v.str = ParseString(); }
    else if (Lit("true")) { v.kind = Value::Bool; v.b = true; }
    else if (Lit("false")) { v.kind = Value::Bool; }
    else if (Lit("null")) { v.kind = Value::Null; }
    else v = ParseNumber();
    depth_--;
    return v;
  }
  Value ParseObject() {
    Value v; v.kind = Value::Object;
    i_++; Ws();
    if (i_ < s_.size() && s_[i_] == '}') { i_++; return v; }
    for (;;) {
      Ws();
      if (i_ >= s_.size() || s_[i_] != '"') Fail("expected key");
      std::string k = ParseString();
      for (const auto &kv : v.obj) if (kv.first == k) Fail("duplicate key " + k);
      Ws();
      if (i_ >= s_.size() || s_[i_] != ':') Fail("expected ':'");
      i_++;
      v.obj.emplace_back(k, ParseValue());
      Ws();
      if (i_ < s_.size() && s_[i_] == ',') { i_++; continue; }
      if (i_ < s_.size() && s_[i_] == '}') { i_++; return v; }
      Fail("expected ',' or '}'");
    }
  }
  Value ParseArray() {
    Value v; v.kind = Value::Array;
    i_++; Ws();
    if (i_ < s_.size() && s_[i_] == ']') { i_++; return v; }
    for (;;) {
      v.arr.push_back(ParseValue());
      Ws();
      if (i_ < s_.size() && s_[i_] == ',') { i_++; continue; }
      if (i_ < s_.size() && s_[i_] == ']') { i_++; return v; }
      Fail("expected ',' or ']'");
    }
  }
  static void Utf8(std::string &out, unsigned cp) {
    if (cp < 0x80) out += static_cast<char>(cp);
    else if (cp < 0x800) { out += static_cast<char>(0xc0 | (cp >> 6)); out += static_cast<char>(0x80 | (cp & 0x3f)); }
    else if (cp < 0x10000) { out += static_cast<char>(0xe0 | (cp >> 12)); out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f)); out += static_cast<char>(0x80 | (cp & 0x3f)); }
    else { out += static_cast<char>(0xf0 | (cp >> 18)); out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f)); out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f)); out += static_cast<char>(0x80 | (cp & 0x3f)); }
  }
  unsigned Hex4() {
    if (i_ + 4 > s_.size()) Fail("short \\u escape");
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
      char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned>(c - 'A' + 10);
      else Fail("bad hex digit");
    }
    return v;
  }
  std::string ParseString() {
    std::string out;
    i_++;  // opening quote
    for (;;) {
      if (i_ >= s_.size()) Fail("unterminated string");
      unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') { i_++; return out; }
      if (c < 0x20) Fail("raw control character in string");
      if (c == '\\') {
        i_++;
        if (i_ >= s_.size()) Fail("bad escape");
        char e = s_[i_++];
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            unsigned cp = Hex4();
            if (cp >= 0xd800 && cp <= 0xdbff) {
              if (!Lit("\\u")) Fail("lone high surrogate");
              unsigned lo = Hex4();
              if (lo < 0xdc00 || lo > 0xdfff) Fail("bad low surrogate");
              cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            } else if (cp >= 0xdc00 && cp <= 0xdfff) {
              Fail("lone low surrogate");
            }
            Utf8(out, cp);
            break;
          }
          default: Fail("bad escape");
        }
        continue;
      }
      // Raw UTF-8 must be well formed.
      size_t n = c < 0x80 ? 1 : (c >= 0xc2 && c <= 0xdf) ? 2 : (c >= 0xe0 && c <= 0xef) ? 3 : (c >= 0xf0 && c <= 0xf4) ? 4 : 0;
      if (n == 0 || i_ + n > s_.size()) Fail("invalid UTF-8");
      for (size_t k = 1; k < n; k++)
        if ((static_cast<unsigned char>(s_[i_ + k]) & 0xc0) != 0x80) Fail("invalid UTF-8");
      out.append(s_, i_, n);
      i_ += n;
    }
  }
  Value ParseNumber() {
    size_t start = i_;
    if (i_ < s_.size() && s_[i_] == '-') i_++;
    if (i_ >= s_.size()) Fail("bad number");
    if (s_[i_] == '0') i_++;
    else if (s_[i_] >= '1' && s_[i_] <= '9') while (i_ < s_.size() && isdigit(static_cast<unsigned char>(s_[i_]))) i_++;
    else Fail("bad value");
    if (i_ < s_.size() && s_[i_] == '.') {
      i_++;
      if (i_ >= s_.size() || !isdigit(static_cast<unsigned char>(s_[i_]))) Fail("bad fraction");
      while (i_ < s_.size() && isdigit(static_cast<unsigned char>(s_[i_]))) i_++;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      i_++;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) i_++;
      if (i_ >= s_.size() || !isdigit(static_cast<unsigned char>(s_[i_]))) Fail("bad exponent");
      while (i_ < s_.size() && isdigit(static_cast<unsigned char>(s_[i_]))) i_++;
    }
    Value v; v.kind = Value::Number;
    v.num = std::strtod(s_.substr(start, i_ - start).c_str(), nullptr);
    return v;
  }
};

inline Value Parse(const std::string &s) { return Parser(s).ParseDocument(); }

// JSON Lines: every line one document, the text ending in "\n".
inline std::vector<Value> ParseLines(const std::string &s) {
  std::vector<Value> out;
  if (!s.empty() && s.back() != '\n') throw std::runtime_error("JSON Lines: missing final newline");
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    out.push_back(Parse(s.substr(pos, nl - pos)));
    pos = nl + 1;
  }
  return out;
}

}  // namespace testjson

#endif
