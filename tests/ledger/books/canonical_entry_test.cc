// ParseCanonicalEntry (one pass over a canonical body, the auditor's replay) must
// read every body exactly as the reference does: nlohmann's parser, a canonical
// re-encoding compared with the bytes, then ParseEntry. Same entries for the bodies
// both accept, the same errors for canonical bodies that break a field rule, and a
// refusal for every body that is not canonical. Checked here over a sample of every
// kind, each field removed, retyped and replaced, unknown fields added, and small
// byte edits of the canonical bodies.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "ledger/books/entries.h"
#include "ledger/books/gift_body.h"
#include "ledger/books/replay.h"
#include "ledger/canonical_json.h"
#include "ledger/leaf.h"
#include "ledger/strings.h"

namespace boai::books {
namespace {

using nlohmann::json;

std::string Hex64(char c) { return std::string(64, c); }

// One entry of every kind, with the optional parts present in some.
std::vector<Entry> Samples() {
  std::vector<Entry> out;
  auto add = [&out](std::string kind, Body body) {
    out.push_back(Entry{std::move(kind), "clerk.wang", std::move(body)});
  };
  add("account.open", AccountOpen{"1001", "库存现金 Cash on hand", AccountType::kAsset});
  add("fund.open", FundOpen{"fund.relief", "Relief \"2019\"\n", "disaster relief", true});
  add("campaign.open", CampaignOpen{"c.99", "99 公益日", "fund.relief", "tencent", "2019-09-07",
                                    "2019-09-09", 100000000});
  add("programme.rules",
      ProgrammeRules{"leukaemia",
                     "白血病救助",
                     "fund.medical",
                     "2019-01-01",
                     2,
                     0,
                     14,
                     5000000,
                     {Tier{"first", 3000000, "", false}, Tier{"second", 2000000, "first", true}}});
  Gift cash;
  cash.date = "2019-09-09";
  cash.channel = "cash";
  cash.income = "donation";
  cash.fund = "fund.relief";
  cash.amount = 10000;
  cash.donor = Donor{"张*", Hex64('a')};
  cash.receipt_book = "HB2019";
  cash.receipt_number = 17;
  cash.postings = {Posting{"1001", "fund.relief", 10000}, Posting{"4101", "fund.relief", -10000}};
  add("gift", cash);
  Gift goods = cash;
  goods.channel = "in_kind";
  goods.income = "grant";
  goods.campaign = "c.99";
  goods.receipt_book.clear();
  goods.receipt_number = 0;
  goods.no_receipt = "anonymous";
  goods.in_kind = InKind{"米面油 rice\tflour", "份", "fair_value", 10, Hex64('b')};
  add("gift", goods);
  add("match",
      Match{"2019-09-09",
            "c.99",
            "ref-1",
            5000,
            {Posting{"1121", "fund.relief", 5000}, Posting{"4102", "fund.relief", -5000}}});
  add("match.clawback",
      Clawback{"2019-09-10",
               "c.99",
               "refund",
               100,
               {Posting{"4102", "fund.relief", 100}, Posting{"1121", "fund.relief", -100}}});
  add("settlement",
      Settlement{"2019-09-20",
                 "c.99",
                 Hex64('c'),
                 900,
                 4900,
                 {Posting{"1002", "fund.relief", 5800}, Posting{"1121", "fund.relief", -5800}}});
  PaymentRequest plain{"2019-10-01", "fund.relief", "tents", "supplier-7",
                       "2019-12-31", "bank",        250000,  std::nullopt};
  add("payment.request", plain);
  PaymentRequest grant = plain;
  grant.method = "cash";
  grant.grant = Grant{"leukaemia", "child-0042", "first", 9, true};
  add("payment.request", grant);
  add("payment.approve", PaymentDecision{"2019-10-02",
                                         "",
                                         12,
                                         {Posting{"5101", "fund.relief", 250000},
                                          Posting{"1002", "fund.relief", -250000}}});
  add("payment.reject", PaymentDecision{"2019-10-02", "no invoice", 13, {}});
  add("payment.expire", PaymentDecision{"2020-01-01", "", 14, {}});
  add("reversal",
      Reversal{"2019-10-03",
               "keyed wrongly",
               15,
               {Posting{"1001", "fund.relief", -10000}, Posting{"4101", "fund.relief", 10000}}});
  add("receipt.void", ReceiptVoid{"2019-10-04", "HB2019", "spoiled", 18});
  add("fund.release",
      Release{"2019-12-31",
              "fund.relief",
              "fund.general",
              "purpose met",
              700,
              {Posting{"3102", "fund.relief", 700}, Posting{"1002", "fund.relief", -700},
               Posting{"1002", "fund.general", 700}, Posting{"3101", "fund.general", -700}}});
  add("indicator",
      Indicator{"2019-12-31", "first-aid.certified", "应急救护取证", "人 persons", 1200});
  return out;
}

// Values a field may be replaced with: every JSON type, and the edge cases the
// field rules look at.
std::vector<json> Replacements() {
  return {json(nullptr),
          json(true),
          json(false),
          json(0),
          json(-1),
          json(1),
          json(4503599627370496),
          json(""),
          json("x"),
          json("2019-02-29"),
          json("2020-02-29"),
          json(Hex64('f')),
          json("cash"),
          json("a b"),
          json::array(),
          json::array({1}),
          json::object(),
          json{{"a", 1}},
          json{{"book", "HB"}, {"number", 1}}};
}

struct Reading {
  bool canonical = false;
  absl::StatusOr<Entry> entry;
};

Reading Reference(std::string_view kind, std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return {false, absl::InvalidArgumentError("not JSON")};
  absl::StatusOr<std::string> again = ledger::EncodeCanonicalJson(j);
  if (!again.ok() || *again != body) return {false, absl::InvalidArgumentError("not canonical")};
  return {true, ParseEntry(kind, j)};
}

struct Tally {
  int same_entry = 0, same_error = 0, not_canonical = 0;
};

// ParseEntry from text, before it took canonical bodies in one pass.
absl::StatusOr<Entry> TextReference(std::string_view kind, std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return absl::InvalidArgumentError(StrCat(kind, " entry: the body is not JSON"));
  }
  return ParseEntry(kind, j);
}

// Reads `body` both ways and compares; ParseEntry from text as well.
void ExpectSameReading(std::string_view kind, const std::string& body, Tally* tally) {
  SCOPED_TRACE(StrCat(kind, " ", body));
  absl::StatusOr<Entry> text = ParseEntry(kind, std::string_view(body));
  absl::StatusOr<Entry> text_reference = TextReference(kind, body);
  ASSERT_EQ(text.ok(), text_reference.ok()) << text.status() << "\n" << text_reference.status();
  if (text.ok()) {
    EXPECT_EQ(ToJson(*text), ToJson(*text_reference));
  } else {
    EXPECT_EQ(text.status(), text_reference.status());
  }
  Reading ref = Reference(kind, body);
  absl::StatusOr<Entry> fast = ParseCanonicalEntry(kind, body);
  if (!ref.canonical) {
    ASSERT_FALSE(fast.ok()) << "a body that is not canonical was accepted";
    EXPECT_EQ(fast.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(fast.status().message().find("not canonical JSON"), std::string::npos)
        << fast.status();
    ++tally->not_canonical;
    return;
  }
  ASSERT_EQ(fast.ok(), ref.entry.ok())
      << "fast: " << fast.status() << "\nreference: " << ref.entry.status();
  if (fast.ok()) {
    EXPECT_EQ(fast->kind, ref.entry->kind);
    EXPECT_EQ(fast->by, ref.entry->by);
    EXPECT_EQ(fast->body.index(), ref.entry->body.index());
    EXPECT_EQ(ToJson(*fast), ToJson(*ref.entry));
    ++tally->same_entry;
  } else {
    EXPECT_EQ(fast.status(), ref.entry.status());
    ++tally->same_error;
  }
}

// Every field of `j` (and of the objects inside it, postings items included):
// removed, and replaced with each replacement.
void ForEachFieldVariant(const json& j, const std::function<void(const json&)>& f) {
  for (const auto& [key, value] : j.items()) {
    json removed = j;
    removed.erase(key);
    f(removed);
    for (const json& r : Replacements()) {
      json replaced = j;
      replaced[key] = r;
      f(replaced);
    }
    if (value.is_object()) {
      ForEachFieldVariant(value, [&](const json& inner) {
        json nested = j;
        nested[key] = inner;
        f(nested);
      });
    }
    if (value.is_array() && !value.empty() && value[0].is_object()) {
      ForEachFieldVariant(value[0], [&](const json& inner) {
        json nested = j;
        nested[key][0] = inner;
        f(nested);
      });
      json none = j;
      none[key] = json::array();
      f(none);
    }
  }
  json extra = j;
  extra["zz_unknown"] = 1;
  f(extra);
  json early = j;
  early["_first"] = "x";  // sorts before every field
  f(early);
}

TEST(ParseCanonicalEntry, ReadsEverySampleLikeTheReference) {
  Tally tally;
  for (const Entry& e : Samples()) {
    std::string body = *ledger::EncodeCanonicalJson(ToJson(e));
    ExpectSameReading(e.kind, body, &tally);
    // The sample reads back as itself.
    absl::StatusOr<Entry> fast = ParseCanonicalEntry(e.kind, body);
    ASSERT_TRUE(fast.ok()) << e.kind << ": " << fast.status();
    EXPECT_EQ(ToJson(*fast), ToJson(e));
  }
  EXPECT_EQ(tally.same_entry, static_cast<int>(Samples().size()));
}

TEST(ParseCanonicalEntry, ReadsEveryFieldVariantLikeTheReference) {
  Tally tally;
  for (const Entry& e : Samples()) {
    ForEachFieldVariant(ToJson(e), [&](const json& variant) {
      absl::StatusOr<std::string> body = ledger::EncodeCanonicalJson(variant);
      ASSERT_TRUE(body.ok()) << body.status();
      ExpectSameReading(e.kind, *body, &tally);
      // The same body under every other kind: mostly refused, in the same words.
      if (variant.contains("date") && variant["date"] == "2019-09-09") {
        for (const char* other : {"gift", "match", "indicator", "no.such.kind"}) {
          ExpectSameReading(other, *body, &tally);
        }
      }
    });
    if (::testing::Test::HasFatalFailure()) return;
  }
  // Both outcomes were exercised in numbers.
  EXPECT_GT(tally.same_entry, 100);
  EXPECT_GT(tally.same_error, 1000);
}

TEST(ParseCanonicalEntry, RefusesEveryNonCanonicalFormOfASample) {
  Tally tally;
  for (const Entry& e : Samples()) {
    const json j = ToJson(e);
    std::string spaced = j.dump(1);               // whitespace
    std::string escaped = j.dump(-1, ' ', true);  // non-ASCII as \u escapes
    std::string body = *ledger::EncodeCanonicalJson(j);
    std::string reordered = body;  // the first two keys swapped
    size_t a = reordered.find(",\"");
    size_t b = reordered.find(",\"", a + 1);
    reordered = "{" + reordered.substr(a + 1, b - a - 1) + "," + reordered.substr(1, a - 1) +
                reordered.substr(b);
    for (const std::string& text : {spaced, escaped, reordered}) {
      if (text == body) continue;  // a sample with nothing to escape
      ExpectSameReading(e.kind, text, &tally);
    }
  }
  EXPECT_GT(tally.not_canonical, 30);
}

// The bytes a random edit writes: JSON's punctuation, escapes, digits, letters of
// the literals, a control byte, DEL, a lone continuation byte and a lead byte.
constexpr std::string_view kEditBytes = "{}[]\":,\\ -.019eutrfnl/aZ_\x01\x7f\x80\xE5";

// One random edit of `*text` (not empty): a byte removed, replaced or inserted.
// `pick(n)` gives a random number below n.
template <typename Pick>
void EditAByte(std::string* text, Pick& pick, std::string_view bytes) {
  const size_t at = pick(text->size());
  switch (pick(3)) {
    case 0:
      text->erase(at, 1);
      break;
    case 1:
      (*text)[at] = bytes[pick(bytes.size())];
      break;
    default:
      text->insert(at, 1, bytes[pick(bytes.size())]);
  }
}

TEST(ParseCanonicalEntry, ReadsByteEditsOfEverySampleLikeTheReference) {
  std::mt19937 rng(99);
  auto pick = [&rng](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  Tally tally;
  for (const Entry& e : Samples()) {
    const std::string body = *ledger::EncodeCanonicalJson(ToJson(e));
    for (int i = 0; i < 1500; ++i) {
      std::string text = body;
      for (int edits = 1 + pick(2); edits > 0; --edits) EditAByte(&text, pick, kEditBytes);
      ExpectSameReading(e.kind, text, &tally);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
  EXPECT_GT(tally.not_canonical, 10000);
  EXPECT_GT(tally.same_error + tally.same_entry, 1000);
}

// Objects of many members, up to the reader's index of 32 members, past it (where
// members are walked) and past 64 (where fields are told by name): filled with
// unknown keys, with keys that share a field's first 8 bytes and length, and with
// keys that sort before every field; at the top and inside the nested objects.
TEST(ParseCanonicalEntry, ReadsObjectsOfManyMembersLikeTheReference) {
  // `j` grown to `n` members (if it has fewer): near-twins of its keys, then keys
  // that start with `prefix` ("_" sorts before every field, "x." after most).
  auto grow = [](json j, size_t n, std::string_view prefix) {
    std::vector<std::string> twins;
    for (const auto& [key, value] : j.items()) {
      if (key.size() <= 8) continue;
      std::string twin = key;
      twin.back() = twin.back() == 'z' ? 'y' : 'z';
      twins.push_back(twin);
    }
    for (const std::string& twin : twins) {
      if (j.size() < n && !j.contains(twin)) j[twin] = "twin";
    }
    for (int i = 0; j.size() < n; ++i) {
      j[StrCat(prefix, 100 + i)] = i;
    }
    return j;
  };
  Tally tally;
  for (const Entry& e : Samples()) {
    const json j = ToJson(e);
    for (size_t n : {1, 12, 31, 32, 33, 63, 64, 65, 80}) {
      for (std::string_view prefix : {"_", "x."}) {
        ExpectSameReading(e.kind, *ledger::EncodeCanonicalJson(grow(j, n, prefix)), &tally);
        for (const auto& [key, value] : j.items()) {
          json nested = j;
          if (value.is_object()) {
            nested[key] = grow(value, n, prefix);
          } else if (value.is_array() && !value.empty() && value[0].is_object()) {
            nested[key][0] = grow(value[0], n, prefix);
          } else {
            continue;
          }
          ExpectSameReading(e.kind, *ledger::EncodeCanonicalJson(nested), &tally);
        }
        if (::testing::Test::HasFatalFailure()) return;
      }
    }
  }
  EXPECT_EQ(tally.not_canonical, 0);
  EXPECT_GT(tally.same_entry, 10);   // n below a body's own size leaves it as it is
  EXPECT_GT(tally.same_error, 100);  // the rest name a key that is not a field
}

// The replay's Prepare reads through the fast path and, when it refuses a body,
// gives the reference's reason: "not JSON" and "not in canonical form" stay apart.
TEST(ReplayPrepare, GivesTheReferenceReasons) {
  Replay replay(LeafReader{});
  auto prepare = [&replay](std::string kind, std::string body) {
    ledger::LeafView leaf;
    leaf.header.kind = std::move(kind);
    leaf.body = body;
    return replay.Prepare(leaf, "");
  };
  const Entry gift = Samples()[4];
  const std::string body = *ledger::EncodeCanonicalJson(ToJson(gift));
  absl::StatusOr<std::any> ok = prepare("gift", body);
  ASSERT_TRUE(ok.ok()) << ok.status();
  ASSERT_NE(std::any_cast<Entry>(&*ok), nullptr);
  EXPECT_EQ(ToJson(std::any_cast<Entry>(*ok)), ToJson(gift));

  absl::StatusOr<std::any> not_json = prepare("gift", "{\"by\":");
  ASSERT_FALSE(not_json.ok());
  EXPECT_EQ(not_json.status().message(), "the body is not JSON");

  absl::StatusOr<std::any> spaced = prepare("gift", ToJson(gift).dump(1));
  ASSERT_FALSE(spaced.ok());
  EXPECT_NE(spaced.status().message().find("not in canonical form"), std::string::npos)
      << spaced.status();

  json unknown = ToJson(gift);
  unknown["tip"] = 5;
  absl::StatusOr<std::any> field = prepare("gift", *ledger::EncodeCanonicalJson(unknown));
  ASSERT_FALSE(field.ok());
  EXPECT_EQ(field.status().message(),
            "gift entry: field \"tip\" is not a field of this kind of entry");

  // Deeper than ParseCanonicalJson goes, but canonical: the reference decides.
  std::string deep = body;
  deep.insert(1, "\"a\":" + std::string(70, '[') + std::string(70, ']') + ",");
  absl::StatusOr<std::any> nested = prepare("gift", deep);
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.status().message(),
            "gift entry: field \"a\" is not a field of this kind of entry");

  // log.* entries are not the books' business.
  absl::StatusOr<std::any> log = prepare("log.note", "{\"x\":1}");
  ASSERT_TRUE(log.ok());
  EXPECT_FALSE(log->has_value());
}

// The gift writer gives the generic encoder's bytes, and its errors, for gifts of
// every shape: optional members present or not, strings that need escapes, are
// not UTF-8 or sort oddly, integers at and past the canonical range.
TEST(EncodeBody, WritesGiftsExactlyAsTheGenericEncoder) {
  const std::vector<std::string> strings = {"",
                                            "bank",
                                            "张*",
                                            "fund.relief",
                                            "a\"quote\\back",
                                            std::string("nul\0byte", 8),
                                            "tab\tnew\nline\x01\x1f",
                                            "\xe2\x82\xac euro",
                                            "\xff not utf-8",
                                            "\xed\xa0\x80"};
  const std::vector<int64_t> numbers = {0,
                                        1,
                                        -1,
                                        12345,
                                        -250000,
                                        ledger::kMaxJsonInteger,
                                        -ledger::kMaxJsonInteger,
                                        ledger::kMaxJsonInteger + 1,
                                        -ledger::kMaxJsonInteger - 1};
  std::mt19937 rng(2026);
  auto s = [&] { return strings[rng() % strings.size()]; };
  auto n = [&] { return rng() % 4 == 0 ? numbers[rng() % numbers.size()] : int64_t{1000}; };
  int same = 0, refused = 0;
  for (int round = 0; round < 4000; ++round) {
    Gift g;
    g.date = rng() % 3 ? "2022-05-10" : s();
    g.channel = s();
    g.income = s();
    g.fund = s();
    if (rng() % 2) g.campaign = s();
    g.amount = n();
    g.donor = Donor{s(), s()};
    if (rng() % 2) {
      g.receipt_book = s();
      g.receipt_number = n();
    }
    if (rng() % 2) g.no_receipt = s();
    if (rng() % 3 == 0) g.in_kind = InKind{s(), s(), s(), n(), s()};
    for (int p = static_cast<int>(rng() % 4); p > 0; --p) g.postings.push_back({s(), s(), n()});
    Entry e{"gift", s(), g};
    absl::StatusOr<std::string> fast = EncodeBody(e);
    absl::StatusOr<std::string> reference = ledger::EncodeCanonicalJson(ToJson(e));
    ASSERT_EQ(fast.ok(), reference.ok()) << "round " << round;
    if (reference.ok()) {
      ASSERT_EQ(*fast, *reference) << "round " << round;
      ++same;
    } else {
      ASSERT_EQ(fast.status(), reference.status()) << "round " << round;
      ++refused;
    }
  }
  EXPECT_GT(same, 200);
  EXPECT_GT(refused, 200);
  for (const Entry& e : Samples()) {  // the other kinds go through the generic encoder
    EXPECT_EQ(*EncodeBody(e), *ledger::EncodeCanonicalJson(ToJson(e))) << e.kind;
  }
}

// The gift fast path (ReadGiftBody, taken first by ParseCanonicalEntry and
// ParseEntry): over random gifts, most of them valid, written by EncodeBody and
// then edited a byte or two, whatever it accepts the reference reads as the same
// entry; and it accepts every gift the reference accepts unless one of its
// strings needs an escape, so the fast path is the one valid imports take.
TEST(ReadGiftBody, AcceptsOnlyWhatTheReferenceReadsTheSame) {
  const std::vector<std::string> odd = {
      "",           "a b",         "张*",   "a\"quote", "tab\t", "\xff",     "x",
      "HB2019",     "online",      "grant", "declined", "0123",  "document", std::string(65, 'a'),
      "2019-02-29", "\xe2\x82\xac"};
  std::mt19937 rng(1999);
  auto pick = [&rng](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  // The valid value most of the time, else an odd one.
  auto v = [&](std::string valid) { return pick(8) == 0 ? odd[pick(odd.size())] : valid; };
  auto n = [&](int64_t valid) {
    const int64_t edge[] = {0, -1, ledger::kMaxJsonInteger, -ledger::kMaxJsonInteger};
    return pick(10) == 0 ? edge[pick(4)] : valid;
  };
  Tally tally;
  int accepted = 0, escaped = 0;
  for (int round = 0; round < 3000; ++round) {
    Gift g;
    g.date = v("2019-09-09");
    const char* channels[] = {"cash", "bank", "online", "in_kind"};
    g.channel = v(channels[pick(4)]);
    g.income = v(pick(2) ? "donation" : "grant");
    g.fund = v(pick(2) ? "fund.relief" : "fund.99-giving-day");
    if (pick(3) == 0) g.campaign = v("c.99");
    g.amount = n(1 + static_cast<int64_t>(pick(10000000)));
    g.donor = Donor{v(pick(2) ? "张*" : "爱心人士"), v(Hex64("0123456789abcdef"[pick(16)]))};
    if (pick(4) != 0) {
      g.receipt_book = v("HB2019");
      g.receipt_number = n(1 + static_cast<int64_t>(pick(1000000)));
    }
    if (g.receipt_book.empty() || pick(10) == 0) g.no_receipt = v("anonymous");
    if (g.channel == "in_kind" || pick(10) == 0) {
      g.in_kind = InKind{v("米面油"), v("份"), v(pick(2) ? "document" : "fair_value"), n(10),
                         v(Hex64('e'))};
    }
    const int64_t a = g.amount;
    g.postings = {Posting{v("1002"), v(g.fund), n(a)}, Posting{v("4101"), v(g.fund), n(-a)}};
    if (pick(20) == 0) g.postings.push_back(Posting{v("1001"), v(g.fund), n(5)});
    const Entry e{"gift", v("clerk.wang"), g};
    absl::StatusOr<std::string> body = EncodeBody(e);
    if (!body.ok()) continue;  // not UTF-8 or out of range: no body to read
    std::vector<std::string> texts = {*body};
    for (int k = 0; k < 3; ++k) {
      std::string edited = *body;
      EditAByte(&edited, pick, kEditBytes);
      texts.push_back(edited);
    }
    for (const std::string& text : texts) {
      SCOPED_TRACE(text);
      Entry fast;
      const bool took = entries_internal::ReadGiftBody(text, &fast);
      const Reading ref = Reference("gift", text);
      const bool valid = ref.canonical && ref.entry.ok();
      if (took) {
        ASSERT_TRUE(valid) << "the fast path read a gift the reference refuses: "
                           << ref.entry.status();
        EXPECT_EQ(fast.kind, "gift");
        EXPECT_EQ(ToJson(fast), ToJson(*ref.entry));
        ++accepted;
      } else if (valid) {
        EXPECT_NE(text.find('\\'), std::string::npos) << "a valid gift left to the general reader";
        ++escaped;
      }
      ExpectSameReading("gift", text, &tally);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
  EXPECT_GT(accepted, 500);
  EXPECT_GT(escaped, 20);
  EXPECT_GT(tally.same_error, 1000);
  EXPECT_GT(tally.not_canonical, 1000);
}

TEST(IsDefinedKind, KnowsEveryKindAndNoMisspelling) {
  for (const char* kind :
       {"account.open", "fund.open", "campaign.open", "programme.rules", "gift", "match",
        "match.clawback", "settlement", "payment.request", "payment.approve", "payment.reject",
        "payment.expire", "reversal", "receipt.void", "fund.release", "indicator"}) {
    EXPECT_TRUE(IsDefinedKind(kind)) << kind;
  }
  for (const char* kind : {"gfit", "gifts", "", "payment", "log.genesis", "log.key", "Gift"}) {
    EXPECT_FALSE(IsDefinedKind(kind)) << kind;
  }
}

}  // namespace
}  // namespace boai::books
