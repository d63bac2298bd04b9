// A small JSON Schema (draft 2020-12) validator for the keywords
// docs/statement.schema.json uses: type (a name or a list of names), required,
// properties, additionalProperties (false or a schema), items, enum, minimum and
// pattern (ECMAScript syntax through std::regex, unanchored as the spec says).
// Annotation keywords ($schema, $id, title, description) are ignored. Any other
// keyword is refused, so the schema cannot silently grow past what is checked.
#ifndef BOAI_TESTS_DISCLOSE_SCHEMA_VALIDATOR_H_
#define BOAI_TESTS_DISCLOSE_SCHEMA_VALIDATOR_H_

#include <regex>
#include <set>
#include <string>

#include "nlohmann/json.hpp"

namespace boai::disclose::testing {

// "" if `doc` is valid against `schema`, else the first problem with its JSON path.
inline std::string Validate(const nlohmann::json& schema, const nlohmann::json& doc,
                            const std::string& path = "$") {
  using nlohmann::json;
  static const std::set<std::string> kKnown = {
      "$schema", "$id",      "title",      "description",
      "type",    "required", "properties", "additionalProperties",
      "items",   "enum",     "minimum",    "pattern"};
  if (schema.is_boolean()) return schema.get<bool>() ? "" : path + ": no value is allowed here";
  if (!schema.is_object()) return path + ": the schema is not an object";
  for (const auto& [k, v] : schema.items()) {
    if (!kKnown.count(k)) return path + ": the validator does not implement keyword " + k;
  }
  auto type_ok = [&doc](const std::string& t) {
    if (t == "object") return doc.is_object();
    if (t == "array") return doc.is_array();
    if (t == "string") return doc.is_string();
    if (t == "integer") return doc.is_number_integer();
    if (t == "number") return doc.is_number();
    if (t == "boolean") return doc.is_boolean();
    if (t == "null") return doc.is_null();
    return false;
  };
  if (schema.contains("type")) {
    const json& t = schema["type"];
    bool ok = false;
    if (t.is_string()) ok = type_ok(t.get<std::string>());
    for (const json& one : t.is_array() ? t : json::array())
      ok = ok || type_ok(one.get<std::string>());
    if (!ok) return path + ": " + doc.dump() + " is not of type " + t.dump();
  }
  if (schema.contains("enum")) {
    bool found = false;
    for (const json& e : schema["enum"]) found = found || e == doc;
    if (!found) return path + ": " + doc.dump() + " is not one of " + schema["enum"].dump();
  }
  if (schema.contains("minimum") && doc.is_number() &&
      doc.get<double>() < schema["minimum"].get<double>()) {
    return path + ": " + doc.dump() + " is below the minimum " + schema["minimum"].dump();
  }
  if (schema.contains("pattern") && doc.is_string()) {
    std::regex re(schema["pattern"].get<std::string>(), std::regex::ECMAScript);
    if (!std::regex_search(doc.get<std::string>(), re)) {
      return path + ": " + doc.dump() + " does not match " + schema["pattern"].dump();
    }
  }
  if (doc.is_object()) {
    for (const json& r : schema.value("required", json::array())) {
      if (!doc.contains(r.get<std::string>())) return path + ": member " + r.dump() + " is missing";
    }
    const json props = schema.value("properties", json::object());
    for (const auto& [k, v] : doc.items()) {
      std::string sub = path + "." + k;
      if (props.contains(k)) {
        std::string bad = Validate(props[k], v, sub);
        if (!bad.empty()) return bad;
      } else if (schema.contains("additionalProperties")) {
        std::string bad = Validate(schema["additionalProperties"], v, sub);
        if (!bad.empty()) return bad;
      }
    }
  }
  if (doc.is_array() && schema.contains("items")) {
    for (size_t i = 0; i < doc.size(); ++i) {
      std::string bad = Validate(schema["items"], doc[i], path + "[" + std::to_string(i) + "]");
      if (!bad.empty()) return bad;
    }
  }
  return "";
}

}  // namespace boai::disclose::testing

#endif  // BOAI_TESTS_DISCLOSE_SCHEMA_VALIDATOR_H_
