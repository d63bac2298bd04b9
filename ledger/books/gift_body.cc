#include "ledger/books/gift_body.h"

#include <array>
#include <bit>
#include <cstring>

#include "ledger/canonical_json.h"
#include "ledger/strings.h"

namespace boai::books::entries_internal {

bool IsHex64(std::string_view s) {
  if (s.size() != 64) return false;
  // Eight characters at a time, each byte of the word tested at once (SWAR): a
  // branch per character would be mispredicted half the time, digits and letters
  // coming at random. A byte is a digit if (b | 0x80) - '0' has the high bit set
  // and (b | 0x80) - ('9' + 1) does not; likewise 'a' to 'f'.
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  uint64_t bad = 0;
  for (size_t i = 0; i < 64; i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    const uint64_t x = w | kHigh;  // no borrow crosses bytes below
    const uint64_t digit = (x - '0' * kOnes) & ~(x - ('9' + 1) * kOnes) & kHigh;
    const uint64_t letter = (x - 'a' * kOnes) & ~(x - ('f' + 1) * kOnes) & kHigh;
    bad |= (w & kHigh) | (~(digit | letter) & kHigh);
  }
  return bad == 0;
}

// Members in byte order of their keys, as the canonical encoder sorts them.
std::optional<std::string> EncodeGiftBody(const std::string& by, const Gift& g) {
  std::string out;
  out.reserve(384 + 96 * g.postings.size());
  bool ok = true;
  auto str = [&out, &ok](std::string_view key, std::string_view v) {
    out.append(key);
    if (!ledger::IsValidUtf8(v)) ok = false;
    ledger::AppendJsonString(&out, v);
  };
  auto num = [&out, &ok](std::string_view key, int64_t v) {
    out.append(key);
    if (v > ledger::kMaxJsonInteger || v < -ledger::kMaxJsonInteger) ok = false;
    StrAppend(&out, v);
  };
  num("{\"amount\":", g.amount);
  str(",\"by\":", by);
  if (!g.campaign.empty()) str(",\"campaign\":", g.campaign);
  str(",\"channel\":", g.channel);
  str(",\"date\":", g.date);
  str(",\"donor\":{\"commitment\":", g.donor.commitment);
  str(",\"display\":", g.donor.display);
  str("},\"fund\":", g.fund);
  if (g.in_kind.has_value()) {
    str(",\"in_kind\":{\"description\":", g.in_kind->description);
    str(",\"evidence_sha256\":", g.in_kind->evidence_sha256);
    str(",\"method\":", g.in_kind->method);
    num(",\"quantity\":", g.in_kind->quantity);
    str(",\"unit\":", g.in_kind->unit);
    out.push_back('}');
  }
  str(",\"income\":", g.income);
  // As ToJson: both when both are set, so that the reader refuses the gift.
  if (g.receipt_book.empty() || !g.no_receipt.empty()) str(",\"no_receipt\":", g.no_receipt);
  out.append(",\"postings\":[");
  for (size_t i = 0; i < g.postings.size(); ++i) {
    const Posting& p = g.postings[i];
    str(i == 0 ? "{\"account\":" : ",{\"account\":", p.account);
    num(",\"amount\":", p.amount);
    str(",\"fund\":", p.fund);
    out.push_back('}');
  }
  out.push_back(']');
  if (!g.receipt_book.empty()) {
    str(",\"receipt\":{\"book\":", g.receipt_book);
    num(",\"number\":", g.receipt_number);
    out.push_back('}');
  }
  out.push_back('}');
  if (!ok) return std::nullopt;
  return out;
}

namespace {

// A cursor over a body that must follow EncodeGiftBody's layout exactly. Every
// method consumes what it reads and returns false when the text does not go on
// as expected.
class GiftScanner {
  // Bytes that end a run of plain ASCII inside a string: '"', '\\', controls and
  // the bytes of non-ASCII characters.
  static constexpr std::array<bool, 256> kStops = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 256; ++c) t[c] = c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
    return t;
  }();

 public:
  explicit GiftScanner(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  bool AtEnd() const { return p_ == end_; }

  // The literal `lit` (a key with its punctuation, as the encoder writes it),
  // compared with a length known when compiled.
  template <size_t N>
  bool Lit(const char (&lit)[N]) {
    constexpr size_t kSize = N - 1;
    if (static_cast<size_t>(end_ - p_) < kSize || std::memcmp(p_, lit, kSize) != 0) return false;
    p_ += kSize;
    return true;
  }

  // A string the encoder writes as itself: valid UTF-8 with no byte below 0x20,
  // no '"' and no '\\' (anything with an escape is left to the general reader).
  bool Str(std::string* out) {
    if (p_ == end_ || *p_ != '"') return false;
    const char* start = ++p_;
    bool ascii = true;
    while (true) {
      SkipPlain();
      if (p_ == end_) return false;
      const unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') break;
      if (c < 0x80) return false;  // a control byte or a backslash
      ascii = false;
      ++p_;
    }
    std::string_view v(start, static_cast<size_t>(p_ - start));
    ++p_;  // closing quote
    if (!ascii && !ledger::IsValidUtf8(v)) return false;
    out->assign(v);
    return true;
  }

  // An integer as the encoder writes it: no leading zero, no "-0", within
  // +-(2^53-1), and not followed by a fraction or an exponent (the next literal
  // would not match one).
  bool Int(int64_t* out) {
    const bool negative = p_ != end_ && *p_ == '-';
    if (negative) ++p_;
    if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
    if (*p_ == '0') {
      ++p_;
      if (negative) return false;
      *out = 0;
      return p_ == end_ || *p_ < '0' || *p_ > '9';
    }
    uint64_t v = 0;
    int digits = 0;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') {
      if (++digits > 16) return false;
      v = v * 10 + static_cast<uint64_t>(*p_ - '0');
      ++p_;
    }
    if (v > static_cast<uint64_t>(ledger::kMaxJsonInteger)) return false;
    *out = negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
    return true;
  }

 private:
  // Moves past printable ASCII other than '"' and '\\', eight bytes at a time while
  // eight remain: a byte-at-a-time loop would be most of the reading. In each
  // 64-bit word (x - n*ones) & ~x & high flags the bytes below n, and exactly so
  // for the lowest flagged byte (a borrow only runs upwards, from a flagged byte),
  // which is the one wanted.
  void SkipPlain() {
    constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
    while (end_ - p_ >= 8) {
      uint64_t x;
      std::memcpy(&x, p_, 8);
      // Byte order matters below (the lowest flagged byte must be the first in memory).
      if constexpr (std::endian::native == std::endian::big) x = __builtin_bswap64(x);
      const uint64_t quote = x ^ ('"' * kOnes), backslash = x ^ ('\\' * kOnes);
      const uint64_t stop = ((x - 0x20 * kOnes) & ~x) | ((quote - kOnes) & ~quote) |
                            ((backslash - kOnes) & ~backslash) | x;
      if ((stop & kHigh) != 0) {
        p_ += std::countr_zero(stop & kHigh) / 8;  // the lowest byte is the first
        return;
      }
      p_ += 8;
    }
    while (p_ != end_ && !kStops[static_cast<unsigned char>(*p_)]) ++p_;
  }

  const char* p_;
  const char* end_;
};

bool IsId(std::string_view id) { return CheckId("", id).ok(); }

}  // namespace

bool ReadGiftBody(std::string_view body, Entry* e) {
  GiftScanner s(body);
  e->kind = "gift";
  Gift& g = e->body.emplace<Gift>();
  if (!s.Lit("{\"amount\":") || !s.Int(&g.amount) || !s.Lit(",\"by\":") || !s.Str(&e->by)) {
    return false;
  }
  if (s.Lit(",\"campaign\":") && (!s.Str(&g.campaign) || g.campaign.empty())) return false;
  if (!s.Lit(",\"channel\":") || !s.Str(&g.channel) || !s.Lit(",\"date\":") || !s.Str(&g.date) ||
      !s.Lit(",\"donor\":{\"commitment\":") || !s.Str(&g.donor.commitment) ||
      !s.Lit(",\"display\":") || !s.Str(&g.donor.display) || !s.Lit("},\"fund\":") ||
      !s.Str(&g.fund)) {
    return false;
  }
  if (s.Lit(",\"in_kind\":{\"description\":")) {
    InKind& k = g.in_kind.emplace();
    if (!s.Str(&k.description) || !s.Lit(",\"evidence_sha256\":") || !s.Str(&k.evidence_sha256) ||
        !s.Lit(",\"method\":") || !s.Str(&k.method) || !s.Lit(",\"quantity\":") ||
        !s.Int(&k.quantity) || !s.Lit(",\"unit\":") || !s.Str(&k.unit) || !s.Lit("}")) {
      return false;
    }
  }
  if (!s.Lit(",\"income\":") || !s.Str(&g.income)) return false;
  const bool has_no_receipt = s.Lit(",\"no_receipt\":");
  if (has_no_receipt && !s.Str(&g.no_receipt)) return false;
  if (!s.Lit(",\"postings\":[")) return false;
  g.postings.reserve(2);  // a gift's usual pair: the asset and the income
  do {
    Posting& p = g.postings.emplace_back();
    if (!s.Lit("{\"account\":") || !s.Str(&p.account) || !s.Lit(",\"amount\":") ||
        !s.Int(&p.amount) || !s.Lit(",\"fund\":") || !s.Str(&p.fund) || !s.Lit("}") ||
        p.amount == 0) {
      return false;
    }
  } while (s.Lit(","));
  if (!s.Lit("]")) return false;
  const bool has_receipt = s.Lit(",\"receipt\":{\"book\":");
  if (has_receipt && (!s.Str(&g.receipt_book) || !s.Lit(",\"number\":") ||
                      !s.Int(&g.receipt_number) || !s.Lit("}"))) {
    return false;
  }
  if (!s.Lit("}") || !s.AtEnd()) return false;

  // The gift rules ParseCanonicalEntry applies; any break is left to it to name.
  if (has_receipt == has_no_receipt) return false;
  if (has_receipt && (!IsId(g.receipt_book) || g.receipt_number <= 0)) return false;
  if (has_no_receipt && g.no_receipt != "anonymous" && g.no_receipt != "declined" &&
      g.no_receipt != "not_a_donation") {
    return false;
  }
  if (g.in_kind.has_value() &&
      ((g.in_kind->method != "document" && g.in_kind->method != "fair_value") ||
       g.in_kind->quantity <= 0 || !IsHex64(g.in_kind->evidence_sha256))) {
    return false;
  }
  const bool channel_ok =
      g.channel == "cash" || g.channel == "bank" || g.channel == "online" || g.channel == "in_kind";
  return channel_ok && (g.channel == "in_kind") == g.in_kind.has_value() &&
         (g.income == "donation" || g.income == "grant") && IsId(e->by) &&
         CheckDate("date", g.date).ok() && IsId(g.fund) &&
         (g.campaign.empty() || IsId(g.campaign)) && g.amount > 0 && !g.donor.display.empty() &&
         IsHex64(g.donor.commitment);
}

}  // namespace boai::books::entries_internal
