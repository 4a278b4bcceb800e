// A small JSON Schema validator for the keywords our schemas use (see schema.h), and the
// analysis schema read from the source tree.
#include "calcscope/report/schema.h"

#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "calcscope/core/error.h"

namespace calcscope {
namespace {

using json = nlohmann::json;
using Ptr = json::json_pointer;

constexpr int kMaxDepth = 200;  // nested schemas / $ref hops before we call it a cycle

const std::set<std::string>& annotation_keywords() {
  static const std::set<std::string> k = {"$schema",  "$id",      "$comment",   "$defs",      "definitions",
                                          "title",    "description", "default", "examples",   "deprecated",
                                          "readOnly", "writeOnly"};
  return k;
}

const std::set<std::string>& supported_keywords() {
  static const std::set<std::string> k = {
      "type",      "required",  "properties", "additionalProperties", "items",    "enum",     "const",
      "minimum",   "maximum",   "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems", "minLength",
      "maxLength", "pattern",   "$ref",       "anyOf",               "oneOf",    "allOf"};
  return k;
}

const std::set<std::string>& type_names() {
  static const std::set<std::string> k = {"null", "boolean", "integer", "number", "string", "array", "object"};
  return k;
}

std::string where(const Ptr& p) {
  const std::string s = p.to_string();
  return s.empty() ? "(root)" : s;
}

std::string schema_at(const Ptr& p) {
  std::string s = "#";
  s += p.to_string();
  return s;
}

std::string short_dump(const json& v) {
  std::string s = v.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

std::string join(const std::set<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

bool is_integer(const json& v) {
  if (v.is_number_integer()) return true;
  if (!v.is_number_float()) return false;
  const double d = v.get<double>();
  return std::isfinite(d) && std::floor(d) == d;
}

std::string type_of(const json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "boolean";
  if (v.is_number()) return is_integer(v) ? "integer" : "number";
  if (v.is_string()) return "string";
  if (v.is_array()) return "array";
  return "object";
}

bool has_type(const json& v, const std::string& t) {
  if (t == "integer") return is_integer(v);
  if (t == "number") return v.is_number();
  return type_of(v) == t;
}

std::size_t utf8_length(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

bool is_count(const json& v) { return is_integer(v) && v.get<double>() >= 0; }

class Validator {
 public:
  explicit Validator(const json& root) : root_(root) {}

  /// Walks the whole schema once: unsupported keywords and malformed values are errors even in
  /// branches a given instance would never reach.
  void check_schema(const json& s, const Ptr& at, int depth) {
    if (depth > kMaxDepth) return schema_error(at, "nested too deeply");
    if (s.is_boolean()) return;
    if (!s.is_object()) return schema_error(at, "a schema must be an object or a boolean, not " + type_of(s));
    for (auto it = s.begin(); it != s.end(); ++it) {
      const std::string& k = it.key();
      const json& v = it.value();
      const Ptr kp = at / k;
      if (k == "$defs" || k == "definitions") {
        if (!v.is_object()) schema_error(kp, "must be an object of schemas");
        else
          for (auto d = v.begin(); d != v.end(); ++d) check_schema(d.value(), kp / d.key(), depth + 1);
      } else if (annotation_keywords().count(k) || k.rfind("x-", 0) == 0) {
        continue;
      } else if (!supported_keywords().count(k)) {
        schema_error(kp, "keyword '" + k + "' is not supported by calcscope's validator (supported: " +
                             join(supported_keywords()) + ")");
      } else {
        check_keyword(k, v, kp, depth);
      }
    }
  }

  void validate(const json& inst, const json& s, const Ptr& ip, const Ptr& sp, int depth,
                std::vector<std::string>& errors) {
    if (depth > kMaxDepth) {
      errors.push_back(where(ip) + ": schema nesting deeper than " + std::to_string(kMaxDepth) +
                       " (a $ref cycle?) at " + schema_at(sp));
      return;
    }
    if (s.is_boolean()) {
      if (!s.get<bool>()) errors.push_back(where(ip) + ": no value is allowed here [" + schema_at(sp) + "]");
      return;
    }
    auto fail = [&](const std::string& keyword, const std::string& what) {
      errors.push_back(where(ip) + ": " + what + " [" + schema_at(sp / keyword) + "]");
    };

    if (auto t = s.find("type"); t != s.end()) {
      const std::vector<std::string> allowed =
          t->is_string() ? std::vector<std::string>{t->get<std::string>()} : t->get<std::vector<std::string>>();
      bool ok = false;
      for (const auto& name : allowed) ok = ok || has_type(inst, name);
      if (!ok) {
        std::string list;
        for (const auto& name : allowed) list += (list.empty() ? "" : " or ") + name;
        fail("type", "expected " + list + ", found " + type_of(inst) + " " + short_dump(inst));
      }
    }
    if (auto e = s.find("enum"); e != s.end()) {
      bool ok = false;
      for (const auto& option : *e) ok = ok || option == inst;
      if (!ok) fail("enum", short_dump(inst) + " is not one of " + short_dump(*e));
    }
    if (auto c = s.find("const"); c != s.end() && *c != inst)
      fail("const", short_dump(inst) + " is not the required value " + short_dump(*c));

    if (inst.is_number()) {
      const double v = inst.get<double>();
      auto bound = [&](const char* keyword, const char* relation, auto violates) {
        if (auto b = s.find(keyword); b != s.end() && violates(v, b->get<double>()))
          fail(keyword, short_dump(inst) + " " + relation + " " + short_dump(*b));
      };
      bound("minimum", "is less than the minimum", [](double x, double m) { return x < m; });
      bound("maximum", "is greater than the maximum", [](double x, double m) { return x > m; });
      bound("exclusiveMinimum", "is not greater than the exclusive minimum", [](double x, double m) { return x <= m; });
      bound("exclusiveMaximum", "is not less than the exclusive maximum", [](double x, double m) { return x >= m; });
    }

    if (inst.is_string()) {
      const std::string& str = inst.get_ref<const std::string&>();
      const std::size_t len = utf8_length(str);
      if (auto m = s.find("minLength"); m != s.end() && len < m->get<std::size_t>())
        fail("minLength", "string of " + std::to_string(len) + " characters is shorter than " + m->dump());
      if (auto m = s.find("maxLength"); m != s.end() && len > m->get<std::size_t>())
        fail("maxLength", "string of " + std::to_string(len) + " characters is longer than " + m->dump());
      if (auto p = s.find("pattern"); p != s.end() && !std::regex_search(str, regex(p->get<std::string>())))
        fail("pattern", short_dump(inst) + " does not match the pattern " + p->dump());
    }

    if (inst.is_array()) {
      if (auto m = s.find("minItems"); m != s.end() && inst.size() < m->get<std::size_t>())
        fail("minItems", std::to_string(inst.size()) + " items, fewer than the minimum " + m->dump());
      if (auto m = s.find("maxItems"); m != s.end() && inst.size() > m->get<std::size_t>())
        fail("maxItems", std::to_string(inst.size()) + " items, more than the maximum " + m->dump());
      if (auto items = s.find("items"); items != s.end())
        for (std::size_t i = 0; i < inst.size(); ++i) validate(inst[i], *items, ip / i, sp / "items", depth + 1, errors);
    }

    if (inst.is_object()) {
      if (auto r = s.find("required"); r != s.end())
        for (const auto& name : *r)
          if (!inst.contains(name.get<std::string>()))
            errors.push_back(where(ip / name.get<std::string>()) + ": required property '" + name.get<std::string>() +
                             "' is missing [" + schema_at(sp / "required") + "]");
      const auto props = s.find("properties");
      const auto extra = s.find("additionalProperties");
      for (auto it = inst.begin(); it != inst.end(); ++it) {
        if (props != s.end() && props->contains(it.key())) {
          validate(it.value(), props->at(it.key()), ip / it.key(), sp / "properties" / it.key(), depth + 1, errors);
        } else if (extra != s.end()) {
          if (extra->is_boolean() && !extra->get<bool>())
            errors.push_back(where(ip / it.key()) + ": property '" + it.key() + "' is not allowed [" +
                             schema_at(sp / "additionalProperties") + "]");
          else
            validate(it.value(), *extra, ip / it.key(), sp / "additionalProperties", depth + 1, errors);
        }
      }
    }

    if (auto r = s.find("$ref"); r != s.end()) {
      const std::string ref = r->get<std::string>();
      const Ptr target(ref.substr(1));
      validate(inst, root_.at(target), ip, target, depth + 1, errors);
    }
    if (auto a = s.find("allOf"); a != s.end())
      for (std::size_t i = 0; i < a->size(); ++i) validate(inst, (*a)[i], ip, sp / "allOf" / i, depth + 1, errors);
    for (const char* keyword : {"anyOf", "oneOf"}) {
      auto a = s.find(keyword);
      if (a == s.end()) continue;
      std::size_t passed = 0;
      std::string reasons;
      for (std::size_t i = 0; i < a->size(); ++i) {
        std::vector<std::string> branch;
        validate(inst, (*a)[i], ip, sp / keyword / i, depth + 1, branch);
        if (branch.empty()) ++passed;
        else reasons += (reasons.empty() ? "" : "; ") + branch.front();
      }
      const std::string n = std::to_string(a->size());
      if (passed == 0) fail(keyword, "matches none of the " + n + " alternatives (" + reasons + ")");
      else if (std::string(keyword) == "oneOf" && passed > 1)
        fail(keyword, "matches " + std::to_string(passed) + " of the " + n + " alternatives, exactly one required");
    }
  }

  std::vector<std::string> schema_errors;

 private:
  void schema_error(const Ptr& at, const std::string& what) {
    schema_errors.push_back("schema " + schema_at(at) + ": " + what);
  }

  void check_keyword(const std::string& k, const json& v, const Ptr& kp, int depth) {
    if (k == "type") {
      const bool one = v.is_string() && type_names().count(v.get<std::string>());
      bool many = v.is_array() && !v.empty();
      if (many)
        for (const auto& t : v) many = many && t.is_string() && type_names().count(t.get<std::string>());
      if (!one && !many) schema_error(kp, "must be one of " + join(type_names()) + " or a non-empty array of them");
    } else if (k == "required") {
      bool ok = v.is_array();
      if (ok)
        for (const auto& t : v) ok = ok && t.is_string();
      if (!ok) schema_error(kp, "must be an array of property names");
    } else if (k == "properties") {
      if (!v.is_object()) return schema_error(kp, "must be an object of schemas");
      for (auto p = v.begin(); p != v.end(); ++p) check_schema(p.value(), kp / p.key(), depth + 1);
    } else if (k == "additionalProperties") {
      check_schema(v, kp, depth + 1);
    } else if (k == "items") {
      if (v.is_array()) return schema_error(kp, "the array (tuple) form of 'items' is not supported: use one schema");
      check_schema(v, kp, depth + 1);
    } else if (k == "enum") {
      if (!v.is_array() || v.empty()) schema_error(kp, "must be a non-empty array");
    } else if (k == "minimum" || k == "maximum" || k == "exclusiveMinimum" || k == "exclusiveMaximum") {
      if (v.is_boolean()) schema_error(kp, "the boolean (draft-04) form is not supported: give the bound as a number");
      else if (!v.is_number()) schema_error(kp, "must be a number");
    } else if (k == "minItems" || k == "maxItems" || k == "minLength" || k == "maxLength") {
      if (!is_count(v)) schema_error(kp, "must be a non-negative integer");
    } else if (k == "pattern") {
      if (!v.is_string()) return schema_error(kp, "must be a string");
      try {
        regex(v.get<std::string>());
      } catch (const std::regex_error& e) {
        schema_error(kp, "not a valid ECMAScript regular expression: " + std::string(e.what()));
      }
    } else if (k == "$ref") {
      const std::string ref = v.is_string() ? v.get<std::string>() : "";
      if (ref.empty() || ref[0] != '#')
        return schema_error(kp, "only references inside this schema are supported (\"#\", \"#/$defs/...\")");
      try {
        if (!root_.contains(Ptr(ref.substr(1)))) schema_error(kp, "'" + ref + "' does not resolve in this schema");
      } catch (const json::exception& e) {
        schema_error(kp, "'" + ref + "' is not a valid JSON pointer: " + e.what());
      }
    } else if (k == "anyOf" || k == "oneOf" || k == "allOf") {
      if (!v.is_array() || v.empty()) return schema_error(kp, "must be a non-empty array of schemas");
      for (std::size_t i = 0; i < v.size(); ++i) check_schema(v[i], kp / i, depth + 1);
    }
    // "const" takes any value
  }

  const std::regex& regex(const std::string& pattern) {
    auto it = regex_cache_.find(pattern);
    if (it == regex_cache_.end()) it = regex_cache_.emplace(pattern, std::regex(pattern, std::regex::ECMAScript)).first;
    return it->second;
  }

  const json& root_;
  std::map<std::string, std::regex> regex_cache_;
};

json load_analysis_schema() {
  const std::filesystem::path path = analysis_schema_path();
  std::ifstream in(path);
  if (!in)
    throw Error(ErrorCode::FileNotFound,
                "the analysis JSON Schema is missing: it is read from the source tree calcscope was built from "
                "(schemas/analysis.schema.json); restore the file or rebuild from a complete checkout",
                path.string());
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw Error(ErrorCode::InvalidData, std::string("the analysis JSON Schema is not valid JSON: ") + e.what(),
                path.string());
  }
}

}  // namespace

std::vector<std::string> validate_json(const nlohmann::json& instance, const nlohmann::json& schema) {
  Validator v(schema);
  v.check_schema(schema, Ptr(), 0);
  if (!v.schema_errors.empty()) return v.schema_errors;  // validating against a broken schema means nothing
  std::vector<std::string> errors;
  v.validate(instance, schema, Ptr(), Ptr(), 0, errors);
  return errors;
}

std::filesystem::path analysis_schema_path() {
  return std::filesystem::path(CALCSCOPE_SOURCE_DIR) / "schemas" / "analysis.schema.json";
}

const nlohmann::json& analysis_schema() {
  static const json schema = load_analysis_schema();  // a throw leaves it unset: the next call retries
  return schema;
}

}  // namespace calcscope
