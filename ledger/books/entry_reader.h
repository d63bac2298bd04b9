// How entries.cc reads an entry body's fields, from either form a body comes in:
// nlohmann's JSON tree (ParseEntry) or the flat nodes of a canonical text
// (ParseCanonicalEntry). One Reader template over both, so that both give the same
// entries and the same errors. Internal to entries.cc.
#ifndef BOAI_LEDGER_BOOKS_ENTRY_READER_H_
#define BOAI_LEDGER_BOOKS_ENTRY_READER_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "ledger/books/entries.h"
#include "ledger/canonical_json.h"
#include "ledger/strings.h"
#include "nlohmann/json.hpp"

namespace boai::books::entries_internal {

// Where a key with this KeyHead and length starts looking in an object's Index
// (CanonicalForm below): a multiplicative hash to one of Index::kSlots slots.
constexpr uint32_t KeySlot(uint64_t head, size_t size) {
  return static_cast<uint32_t>(((head ^ size) * 0x9E3779B97F4A7C15ULL) >> 58);  // 6 bits
}

// A field's name with its KeyHead (and KeySlot) worked out when compiled:
// r.Str("date").
struct FieldName {
  template <size_t N>
  consteval FieldName(const char (&s)[N])  // NOLINT: implicit, from a literal
      : name(s, N - 1),
        head(ledger::KeyHead(std::string_view(s, N - 1))),
        slot(KeySlot(head, N - 1)) {}
  std::string_view name;
  uint64_t head;
  uint32_t slot;
};

// A form: the few operations Reader and ParseBody need of a JSON value.
struct NlohmannForm {
  using Value = nlohmann::json;
  static bool IsObject(const Value& v) { return v.is_object(); }
  static bool IsArray(const Value& v) { return v.is_array(); }
  static bool IsString(const Value& v) { return v.is_string(); }
  static bool IsInteger(const Value& v) { return v.is_number_integer(); }
  static bool IsBool(const Value& v) { return v.is_boolean(); }
  static bool Empty(const Value& v) { return v.empty(); }
  static void AssignString(const Value& v, std::string* out) {
    *out = v.get_ref<const std::string&>();
  }
  static int64_t Integer(const Value& v) { return v.get<int64_t>(); }
  static bool Bool(const Value& v) { return v.get<bool>(); }
  static std::string Dump(const Value& v) { return v.dump(); }
  static size_t Size(const Value& v) { return v.size(); }
  // Members have no positions here: Reader tells the fields it saw by name.
  static constexpr bool kPositions = false;
  static bool NeedsNames(const Value&) { return true; }
  struct Index {};
  static void BuildIndex(const Value&, Index*) {}
  static const Value* Find(const Value& object, const Index&, FieldName f, size_t* position) {
    *position = 64;
    if (!object.is_object()) return nullptr;
    auto it = object.find(f.name);
    return it == object.end() ? nullptr : &*it;
  }
  template <typename F>
  static void ForEachItem(const Value& array, F f) {
    for (const nlohmann::json& item : array) f(item);
  }
  template <typename F>
  static void ForEachKey(const Value& object, F f) {
    for (const auto& [key, value] : object.items()) f(std::string_view(key));
  }
};

struct CanonicalForm {
  using Value = ledger::CanonicalJsonNode;
  using Type = Value::Type;
  static bool IsObject(const Value& v) { return v.type == Type::kObject; }
  static bool IsArray(const Value& v) { return v.type == Type::kArray; }
  static bool IsString(const Value& v) { return v.type == Type::kString; }
  static bool IsInteger(const Value& v) { return v.type == Type::kInteger; }
  static bool IsBool(const Value& v) { return v.type == Type::kTrue || v.type == Type::kFalse; }
  // Like nlohmann's empty(): scalars are not empty.
  static bool Empty(const Value& v) {
    return (v.type == Type::kObject || v.type == Type::kArray) && v.size == 0;
  }
  static void AssignString(const Value& v, std::string* out) {
    if (v.escaped) {
      *out = ledger::CanonicalJsonString(v);
    } else {
      out->assign(v.text.substr(1, v.text.size() - 2));  // no escapes: the text inside the quotes
    }
  }
  static int64_t Integer(const Value& v) { return v.integer; }
  static bool Bool(const Value& v) { return v.type == Type::kTrue; }
  // A canonical text is what dump() writes for its value.
  static std::string Dump(const Value& v) { return std::string(v.text); }
  static size_t Size(const Value& v) { return v.size; }
  // The member named `key` and its position among the members (which Reader
  // notes, to tell the fields it saw without comparing names again).
  static constexpr bool kPositions = true;
  static bool NeedsNames(const Value& object) { return object.size > 64; }
  // An object's members in a small open-addressing hash table keyed by KeySlot,
  // so that finding one is a probe or two, not a scan of every member (an entry's
  // reader asks for each of its fields in turn: a scan would be quadratic).
  struct Index {
    static constexpr uint32_t kMax = 32;    // objects with more members: Find walks them
    static constexpr uint32_t kSlots = 64;  // at most half full; KeySlot gives 6 bits
    uint8_t slots[kSlots];                  // a member's position + 1, or 0 for an empty slot
    uint64_t heads[kMax];                   // the members' key heads and key sizes, by position, to
    uint32_t sizes[kMax];                   // compare without a trip to the member itself
    const Value* members[kMax];
    uint32_t count = 0;  // 0 for objects of more than kMax members
  };
  static void BuildIndex(const Value& object, Index* index) {
    if (object.type != Type::kObject || object.size > Index::kMax) return;
    std::memset(index->slots, 0, sizeof(index->slots));
    const Value* m = &object + 1;
    for (uint32_t i = 0; i < object.size; ++i, m += m->skip) {
      index->members[i] = m;
      index->heads[i] = m->key_head;
      index->sizes[i] = static_cast<uint32_t>(m->key.size());
      uint32_t slot = KeySlot(m->key_head, m->key.size());
      while (index->slots[slot] != 0) slot = (slot + 1) % Index::kSlots;
      index->slots[slot] = static_cast<uint8_t>(i + 1);
    }
    index->count = object.size;
  }
  static bool SameKey(const Value& member, FieldName f) {
    if (member.key_head != f.head || member.key.size() != f.name.size()) return false;
    for (size_t i = 8; i < f.name.size(); ++i) {
      if (member.key[i] != f.name[i]) return false;
    }
    return true;
  }
  static const Value* Find(const Value& object, const Index& index, FieldName f, size_t* position) {
    *position = 64;
    if (object.type != Type::kObject) return nullptr;
    if (index.count == object.size) {
      // Probe from the field's slot to the first empty one (the table is never
      // full); keys are unique, so at most one member matches.
      for (uint32_t slot = f.slot;; slot = (slot + 1) % Index::kSlots) {
        const uint32_t s = index.slots[slot];
        if (s == 0) return nullptr;
        if (index.heads[s - 1] == f.head && index.sizes[s - 1] == f.name.size() &&
            (f.name.size() <= 8 || SameKey(*index.members[s - 1], f))) {
          *position = s - 1;
          return index.members[s - 1];
        }
      }
    }
    const Value* m = &object + 1;
    for (uint32_t i = 0; i < object.size; ++i, m += m->skip) {
      if (SameKey(*m, f)) {
        *position = i;
        return m;
      }
    }
    return nullptr;
  }
  template <typename F>
  static void ForEachItem(const Value& array, F f) {
    const Value* item = &array + 1;
    for (uint32_t i = 0; i < array.size; ++i, item += item->skip) f(*item);
  }
  template <typename F>
  static void ForEachKey(const Value& object, F f) {
    ForEachItem(object, [&f](const Value& member) { f(member.key); });
  }
};

// Reads typed fields from a JSON object, remembering the first problem. Every
// field read is noted so that unknown fields can be refused afterwards.
template <typename Form>
class Reader {
 public:
  using Value = typename Form::Value;

  Reader(std::string_view kind, const Value& j) : kind_(kind), j_(j), names_(Form::NeedsNames(j)) {
    if (!Form::IsObject(j)) Bad("", "the body is not a JSON object");
    Form::BuildIndex(j, &index_);
  }

  std::string Str(FieldName f, bool required = true) {
    std::string s;
    StrTo(&s, f, required);
    return s;
  }
  // Str into *out, with no temporary string (for fields filled in place).
  void StrTo(std::string* out, FieldName f, bool required = true) {
    const Value* v = Field(f);
    if (v == nullptr) {
      if (required) Bad(f.name, "is missing");
      out->clear();
      return;
    }
    if (!Form::IsString(*v)) {
      Bad(f.name, "must be a string");
      out->clear();
      return;
    }
    Form::AssignString(*v, out);
  }
  int64_t Int(FieldName f, bool required = true) {
    const Value* v = Field(f);
    if (v == nullptr) {
      if (required) Bad(f.name, "is missing");
      return 0;
    }
    if (!Form::IsInteger(*v)) {
      Bad(f.name, StrCat("must be an integer, got ", Form::Dump(*v)));
      return 0;
    }
    return Form::Integer(*v);
  }
  bool Bool(FieldName f) {
    const Value* v = Field(f);
    if (v == nullptr) return false;
    if (!Form::IsBool(*v)) Bad(f.name, "must be true or false");
    return Form::IsBool(*v) && Form::Bool(*v);
  }
  const Value* Obj(FieldName f, bool required = true) {
    const Value* v = Field(f);
    if (v == nullptr) {
      if (required) Bad(f.name, "is missing");
      return nullptr;
    }
    if (!Form::IsObject(*v) && !Form::IsArray(*v)) {
      Bad(f.name, "must be an object or array");
      return nullptr;
    }
    return v;
  }
  void Check(const absl::Status& s) {
    if (!s.ok() && status_.ok()) status_ = s;
  }
  void Bad(std::string_view field, std::string_view why) {
    if (!status_.ok()) return;
    status_ = absl::InvalidArgumentError(
        field.empty() ? StrCat(kind_, " entry: ", why)
                      : StrCat(kind_, " entry: field \"", field, "\" ", why));
  }
  absl::Status Finish() {
    if (status_.ok() && Form::IsObject(j_)) {
      // Every member found (by position): no key to look at.
      if constexpr (Form::kPositions) {
        const size_t n = Form::Size(j_);
        if (!names_ && n <= 64 && found_ == (n == 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1)) {
          return status_;
        }
      }
      size_t position = 0;
      Form::ForEachKey(j_, [this, &position](std::string_view k) {
        const bool found = Form::kPositions && !names_ ? (found_ >> position & 1) != 0 : Seen(k);
        if (!found) Bad(k, "is not a field of this kind of entry");
        ++position;
      });
    }
    return status_;
  }

 private:
  // Notes `f` as a field of this kind and finds it.
  [[gnu::always_inline]] const Value* Field(FieldName f) {
    if (names_) seen_.push_back(f.name);
    size_t position;
    const Value* v = Form::Find(j_, index_, f, &position);
    if (v != nullptr && position < 64) found_ |= uint64_t{1} << position;
    return v;
  }
  bool Seen(std::string_view k) const {
    for (std::string_view s : seen_) {
      if (s == k) return true;
    }
    return false;
  }

  std::string_view kind_;
  const Value& j_;
  typename Form::Index index_;
  // The fields asked for, by name, where positions do not tell (Form::NeedsNames).
  const bool names_;
  std::vector<std::string_view> seen_;
  uint64_t found_ = 0;  // members found, by position, when the form knows positions
  absl::Status status_;
};

template <typename Form>
std::vector<Posting> ReadPostings(Reader<Form>& r, std::string_view kind,
                                  const typename Form::Value* arr) {
  std::vector<Posting> out;
  if (arr == nullptr) return out;
  if (!Form::IsArray(*arr) || Form::Empty(*arr)) {
    r.Bad("postings", "must be a non-empty array");
    return out;
  }
  out.reserve(Form::Size(*arr));
  Form::ForEachItem(*arr, [&](const typename Form::Value& p) {
    Reader<Form> pr(kind, p);
    Posting& post = out.emplace_back();  // filled in place, in the order read
    pr.StrTo(&post.account, "account");
    pr.StrTo(&post.fund, "fund");
    post.amount = pr.Int("amount");
    if (post.amount == 0) pr.Bad("postings[].amount", "must not be 0");
    r.Check(pr.Finish());
  });
  return out;
}

}  // namespace boai::books::entries_internal

#endif  // BOAI_LEDGER_BOOKS_ENTRY_READER_H_
