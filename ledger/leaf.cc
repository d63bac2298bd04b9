#include "ledger/leaf.h"

#include <simdjson.h>

#include "ledger/canonical_json.h"
#include "ledger/strings.h"
#include "nlohmann/json.hpp"

namespace boai::ledger {

std::string EncodeLeaf(const LeafHeader& h, std::string_view body) {
  std::string out;
  out.reserve(body.size() + h.key.size() + h.kind.size() + 160);
  out.append("{\"body\":");
  out.append(body);
  StrAppend(&out, ",\"index\":", h.index, ",\"key\":");
  AppendJsonString(&out, h.key);
  StrAppend(&out, ",\"kind\":\"", h.kind, "\",\"prev\":\"", HashToHex(h.prev),
            "\",\"time_ms\":", h.time_ms, ",\"v\":", kLeafVersion, "}");
  return out;
}

absl::Status ValidateKind(std::string_view kind) {
  bool ok = !kind.empty() && kind.size() <= 64 && kind[0] >= 'a' && kind[0] <= 'z';
  for (char c : kind) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.');
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        StrCat("entry kind \"", kind,
               "\" must be 1-64 characters of a-z, 0-9, _ and ., starting with a letter"));
  }
  return absl::OkStatus();
}

absl::Status ValidateKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyBytes || !IsValidUtf8(key)) {
    return absl::InvalidArgumentError(
        StrCat("idempotency key must be 1-", kMaxKeyBytes, " bytes of UTF-8, got ", key.size(),
               " bytes; use the receipt number, bank slip or platform transaction id"));
  }
  return absl::OkStatus();
}

namespace {

absl::Status UnknownVersion(uint64_t version) {
  return absl::InvalidArgumentError(StrCat("unknown leaf version ", version,
                                           "; this build reads version ", kLeafVersion,
                                           " only: use a newer boai-audit"));
}

}  // namespace

struct LeafDecoder::Impl {
  simdjson::ondemand::parser parser;
  simdjson::dom::parser validator;  // the on-demand parser does not validate skipped parts
  std::string buffer;               // the leaf copied with simdjson's padding
};

LeafDecoder::LeafDecoder() : impl_(new Impl) {}
LeafDecoder::~LeafDecoder() { delete impl_; }

absl::StatusOr<DecodedLeaf> LeafDecoder::Decode(std::string_view bytes) {
  absl::StatusOr<LeafView> view = DecodeView(bytes);
  if (!view.ok()) return view.status();
  return DecodedLeaf{std::move(view->header), std::string(view->body)};
}

namespace {

// Takes `suffix` off the end of `*s`.
bool EatBack(std::string_view* s, std::string_view suffix) {
  if (!s->ends_with(suffix)) return false;
  s->remove_suffix(suffix.size());
  return true;
}

// Takes a canonical decimal (no sign, no leading zero) off the end of `*s`. At
// most 19 digits, so the value always fits in 64 bits.
bool EatBackUint(std::string_view* s, uint64_t* out) {
  size_t n = 0;
  while (n < s->size() && n < 20 && static_cast<unsigned>((*s)[s->size() - 1 - n] - '0') <= 9) ++n;
  if (n == 0 || n == 20) return false;
  const char* digits = s->data() + s->size() - n;
  if (n > 1 && digits[0] == '0') return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = v * 10 + static_cast<uint64_t>(digits[i] - '0');
  *out = v;
  s->remove_suffix(n);
  return true;
}

// Takes a quoted string of plain characters (no escapes, no controls) off the end.
bool EatBackPlainString(std::string_view* s, std::string_view* out, bool kind_chars) {
  if (s->empty() || s->back() != '"') return false;
  size_t close = s->size() - 1;
  size_t open = s->rfind('"', close - 1);
  if (open == std::string_view::npos || open == close) return false;
  *out = s->substr(open + 1, close - open - 1);
  bool ok = true;
  for (char ch : *out) {
    unsigned char c = static_cast<unsigned char>(ch);
    ok &= c >= 0x20 && c != '\\';
    if (kind_chars) {
      ok &= (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    }
  }
  if (!ok || (open > 0 && (*s)[open - 1] == '\\')) return false;
  s->remove_suffix(s->size() - open);
  return true;
}

}  // namespace

absl::StatusOr<LeafView> LeafDecoder::DecodeEnvelope(std::string_view bytes) {
  // {"body":BODY,"index":N,"key":"K","kind":"C","prev":"H","time_ms":T,"v":1}
  std::string_view s = bytes;
  LeafView out;
  std::string_view key, kind, prev;
  // prev is exactly 64 hex digits in quotes: converted and checked in one pass
  // (HashFromLowerHex) rather than scanned as a general string first.
  auto eat_prev = [&s, &prev] {
    if (s.size() < 66 || s.back() != '"' || s[s.size() - 66] != '"') return false;
    prev = s.substr(s.size() - 65, 64);
    s.remove_suffix(66);
    return true;
  };
  Hash prev_hash;
  bool ok = EatBack(&s, ",\"v\":1}") && EatBackUint(&s, &out.header.time_ms) &&
            EatBack(&s, ",\"time_ms\":") && eat_prev() && HashFromLowerHex(prev, &prev_hash) &&
            EatBack(&s, ",\"prev\":") && EatBackPlainString(&s, &kind, true) &&
            EatBack(&s, ",\"kind\":") && EatBackPlainString(&s, &key, false) &&
            EatBack(&s, ",\"key\":") && EatBackUint(&s, &out.header.index) &&
            EatBack(&s, ",\"index\":") && s.starts_with("{\"body\":{") && s.size() >= 10 &&
            s.back() == '}';
  if (!ok) return DecodeView(bytes);  // not the canonical layout: the full decoder says why
  out.header.prev = prev_hash;
  out.header.key = std::string(key);
  out.header.kind = std::string(kind);
  out.body = s.substr(8);
  return out;
}

absl::StatusOr<LeafView> LeafDecoder::DecodeView(std::string_view bytes) {
  auto bad = [](std::string_view why) {
    return absl::InvalidArgumentError(StrCat("malformed leaf: ", why));
  };
  std::string& buf = impl_->buffer;
  buf.assign(bytes);
  buf.resize(bytes.size() + simdjson::SIMDJSON_PADDING);
  // Well-formed JSON as a whole: the on-demand pass below neither looks past the
  // leaf object nor validates the body it copies raw.
  simdjson::dom::element whole;
  if (auto err = impl_->validator.parse(buf.data(), bytes.size(), /*realloc_if_needed=*/false)
                     .get(whole)) {
    return bad(StrCat("not JSON (", simdjson::error_message(err), ")"));
  }
  simdjson::ondemand::document doc;
  if (impl_->parser.iterate(buf.data(), bytes.size(), buf.size()).get(doc)) {
    return bad("not JSON");
  }
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj)) return bad("not a JSON object");

  // The fields must come exactly in this order: canonical form sorts them.
  static constexpr std::string_view kFields[] = {"body", "index",   "key", "kind",
                                                 "prev", "time_ms", "v"};
  LeafView out;
  size_t n = 0;
  uint64_t version = 0;
  for (auto field : obj) {
    std::string_view name;
    if (field.unescaped_key().get(name)) return bad("unreadable field name");
    if (n >= std::size(kFields) || name != kFields[n]) {
      // A leaf of another version has other fields: say so rather than "unexpected".
      uint64_t v = 0;
      doc.rewind();
      if (!doc["v"].get_uint64().get(v) && v != static_cast<uint64_t>(kLeafVersion)) {
        return UnknownVersion(v);
      }
      return bad(StrCat("unexpected field \"", name, "\" at position ", n + 1,
                        "; version 1 leaves have body, index, key, kind, prev, time_ms, v"));
    }
    simdjson::ondemand::value value = field.value();
    simdjson::error_code err = simdjson::SUCCESS;
    switch (n) {
      case 0: {
        simdjson::ondemand::object body;
        std::string_view raw;
        err = value.get_object().get(body);
        if (!err) err = body.raw_json().get(raw);
        if (err) return bad("body is not a JSON object");
        out.body = bytes.substr(raw.data() - buf.data(), raw.size());  // same offset in `bytes`
        break;
      }
      case 1:
        err = value.get_uint64().get(out.header.index);
        if (err) return bad("index is not a non-negative integer");
        break;
      case 2: {
        std::string_view key;
        err = value.get_string().get(key);
        if (err) return bad("key is not a string");
        out.header.key = std::string(key);
        break;
      }
      case 3: {
        std::string_view kind;
        err = value.get_string().get(kind);
        if (err) return bad("kind is not a string");
        out.header.kind = std::string(kind);
        break;
      }
      case 4: {
        std::string_view prev;
        err = value.get_string().get(prev);
        absl::StatusOr<Hash> h = err ? absl::InvalidArgumentError("") : HashFromHex(prev);
        if (!h.ok()) return bad("prev is not 64 hex digits");
        out.header.prev = *h;
        break;
      }
      case 5:
        err = value.get_uint64().get(out.header.time_ms);
        if (err) return bad("time_ms is not a non-negative integer");
        break;
      case 6:
        err = value.get_uint64().get(version);
        if (err) return bad("v is not an integer");
        break;
    }
    ++n;
  }
  if (n != std::size(kFields)) {
    return bad(StrCat("it has ", n, " of the 7 fields of a version 1 leaf"));
  }
  if (version != static_cast<uint64_t>(kLeafVersion)) return UnknownVersion(version);
  return out;
}

absl::StatusOr<DecodedLeaf> DecodeLeafStrict(std::string_view bytes) {
  LeafDecoder decoder;
  absl::StatusOr<DecodedLeaf> leaf = decoder.Decode(bytes);
  if (!leaf.ok()) return leaf;
  nlohmann::json body = nlohmann::json::parse(leaf->body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return absl::InvalidArgumentError("malformed leaf: body is not JSON");
  absl::StatusOr<std::string> canonical = EncodeCanonicalJson(body);
  if (!canonical.ok()) {
    return absl::InvalidArgumentError(
        StrCat("malformed leaf body: ", canonical.status().message()));
  }
  if (EncodeLeaf(leaf->header, *canonical) != bytes) {
    return absl::InvalidArgumentError(
        "leaf is not in canonical form (field order, spacing, escaping or duplicate keys)");
  }
  return leaf;
}

}  // namespace boai::ledger
