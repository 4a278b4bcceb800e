// The JSON Schema validator (each keyword passes and fails), and the analysis schema against real
// `calcscope analyze` output and broken copies of it.
#include "calcscope/report/schema.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "calcscope/phantom/phantom.h"
#include "calcscope/pipeline/analyze.h"
#include "calcscope/report/json_output.h"
#include "test_support.h"

namespace calcscope {
namespace {

using nlohmann::json;

/// True when some error starts with `pointer` + ':' and contains `word`.
bool has_error(const std::vector<std::string>& errors, const std::string& pointer, const std::string& word = "") {
  return std::any_of(errors.begin(), errors.end(), [&](const std::string& e) {
    return e.rfind(pointer + ":", 0) == 0 && e.find(word) != std::string::npos;
  });
}

bool valid(const json& instance, const json& schema) { return validate_json(instance, schema).empty(); }

// ---- keywords -------------------------------------------------------------------------------

TEST(SchemaValidator, Type) {
  const json s = json::parse(R"({"type": "string"})");
  EXPECT_TRUE(valid("x", s));
  const auto e = validate_json(3, s);
  ASSERT_EQ(e.size(), 1u) << test::joined_lines(e);
  EXPECT_TRUE(has_error(e, "(root)", "expected string, found integer")) << test::joined_lines(e);

  const json many = json::parse(R"({"type": ["string", "null"]})");
  EXPECT_TRUE(valid(nullptr, many));
  EXPECT_TRUE(valid("a", many));
  EXPECT_FALSE(valid(true, many));
  EXPECT_FALSE(valid(json::array(), many));
  EXPECT_FALSE(valid(json::object(), many));
}

TEST(SchemaValidator, IntegerAndNumber) {
  const json integer = json::parse(R"({"type": "integer"})");
  EXPECT_TRUE(valid(3, integer));
  EXPECT_TRUE(valid(3.0, integer));  // JSON Schema: a number with no fractional part is an integer
  EXPECT_TRUE(valid(-7, integer));
  EXPECT_FALSE(valid(3.5, integer));
  EXPECT_FALSE(valid("3", integer));
  const json number = json::parse(R"({"type": "number"})");
  EXPECT_TRUE(valid(3, number));
  EXPECT_TRUE(valid(0.25, number));
  EXPECT_FALSE(valid("0.25", number));
  EXPECT_FALSE(valid(true, number));
}

TEST(SchemaValidator, BooleanSchemas) {
  EXPECT_TRUE(valid(json::object(), json(true)));
  EXPECT_FALSE(valid(json::object(), json(false)));
  const json s = json::parse(R"({"properties": {"never": false}})");
  EXPECT_TRUE(valid(json::parse(R"({"other": 1})"), s));
  EXPECT_TRUE(has_error(validate_json(json::parse(R"({"never": 1})"), s), "/never", "no value is allowed"));
}

TEST(SchemaValidator, RequiredAndProperties) {
  const json s = json::parse(R"({"type": "object", "required": ["a"],
      "properties": {"a": {"type": "object", "required": ["b"], "properties": {"b": {"type": "number"}}}}})");
  EXPECT_TRUE(valid(json::parse(R"({"a": {"b": 1}, "extra": "fine"})"), s));
  auto e = validate_json(json::object(), s);
  EXPECT_TRUE(has_error(e, "/a", "required property 'a' is missing")) << test::joined_lines(e);
  e = validate_json(json::parse(R"({"a": {}})"), s);
  EXPECT_TRUE(has_error(e, "/a/b", "missing")) << test::joined_lines(e);
  e = validate_json(json::parse(R"({"a": {"b": "one"}})"), s);
  EXPECT_TRUE(has_error(e, "/a/b", "expected number")) << test::joined_lines(e);
  // required is not checked on non-objects (type does that)
  EXPECT_TRUE(valid(5, json::parse(R"({"required": ["a"]})")));
}

TEST(SchemaValidator, AdditionalProperties) {
  const json closed = json::parse(R"({"properties": {"a": {}}, "additionalProperties": false})");
  EXPECT_TRUE(valid(json::parse(R"({"a": 1})"), closed));
  EXPECT_TRUE(has_error(validate_json(json::parse(R"({"a": 1, "b": 2})"), closed), "/b", "not allowed"));
  const json typed = json::parse(R"({"properties": {"a": {"type": "string"}}, "additionalProperties": {"type": "number"}})");
  EXPECT_TRUE(valid(json::parse(R"({"a": "x", "b": 2, "c": 3.5})"), typed));
  const auto e = validate_json(json::parse(R"({"a": "x", "b": "two"})"), typed);
  ASSERT_EQ(e.size(), 1u) << test::joined_lines(e);
  EXPECT_TRUE(has_error(e, "/b", "expected number")) << test::joined_lines(e);
  EXPECT_TRUE(valid(json::parse(R"({"b": 1})"), json::parse(R"({"additionalProperties": true})")));
}

TEST(SchemaValidator, Items) {
  const json s = json::parse(R"({"type": "array", "items": {"type": "integer", "minimum": 0}})");
  EXPECT_TRUE(valid(json::parse("[0, 1, 2]"), s));
  EXPECT_TRUE(valid(json::array(), s));
  const auto e = validate_json(json::parse("[0, -1, 2, \"x\"]"), s);
  EXPECT_TRUE(has_error(e, "/1", "minimum")) << test::joined_lines(e);
  EXPECT_TRUE(has_error(e, "/3", "expected integer")) << test::joined_lines(e);
  EXPECT_FALSE(has_error(e, "/0")) << test::joined_lines(e);
}

TEST(SchemaValidator, EnumAndConst) {
  const json en = json::parse(R"({"enum": ["L", "R", ""]})");
  EXPECT_TRUE(valid("L", en));
  EXPECT_TRUE(valid("", en));
  EXPECT_TRUE(has_error(validate_json("left", en), "(root)", "is not one of"));
  const json c = json::parse(R"({"const": {"a": [1, 2]}})");
  EXPECT_TRUE(valid(json::parse(R"({"a": [1, 2]})"), c));
  EXPECT_TRUE(has_error(validate_json(json::parse(R"({"a": [2, 1]})"), c), "(root)", "required value"));
}

TEST(SchemaValidator, NumericBounds) {
  const json s = json::parse(R"({"minimum": 0, "maximum": 1})");
  EXPECT_TRUE(valid(0, s));
  EXPECT_TRUE(valid(1, s));
  EXPECT_TRUE(valid(0.5, s));
  EXPECT_TRUE(has_error(validate_json(1.5, s), "(root)", "greater than the maximum"));
  EXPECT_TRUE(has_error(validate_json(-0.01, s), "(root)", "less than the minimum"));
  EXPECT_TRUE(valid("not a number", s));  // bounds apply to numbers only
  const json x = json::parse(R"({"exclusiveMinimum": 0, "exclusiveMaximum": 2})");
  EXPECT_TRUE(valid(0.001, x));
  EXPECT_TRUE(valid(1.999, x));
  EXPECT_TRUE(has_error(validate_json(0, x), "(root)", "exclusive minimum"));
  EXPECT_TRUE(has_error(validate_json(2, x), "(root)", "exclusive maximum"));
}

TEST(SchemaValidator, ArrayAndStringLengths) {
  const json a = json::parse(R"({"minItems": 2, "maxItems": 3})");
  EXPECT_TRUE(valid(json::parse("[1, 2]"), a));
  EXPECT_TRUE(valid(json::parse("[1, 2, 3]"), a));
  EXPECT_TRUE(has_error(validate_json(json::parse("[1]"), a), "(root)", "fewer"));
  EXPECT_TRUE(has_error(validate_json(json::parse("[1, 2, 3, 4]"), a), "(root)", "more"));
  const json s = json::parse(R"({"minLength": 2, "maxLength": 3})");
  EXPECT_TRUE(valid("ab", s));
  EXPECT_TRUE(valid("\xC3\xA9\xC3\xA9\xC3\xA9", s));  // "ééé": 3 characters, 6 bytes
  EXPECT_TRUE(has_error(validate_json("a", s), "(root)", "shorter"));
  EXPECT_TRUE(has_error(validate_json("\xC3\xA9", s), "(root)", "shorter"));  // 1 character, 2 bytes
  EXPECT_TRUE(has_error(validate_json("abcd", s), "(root)", "longer"));
}

TEST(SchemaValidator, Pattern) {
  const json s = json::parse(R"({"pattern": "^1\\.[0-9]+\\.[0-9]+$"})");
  EXPECT_TRUE(valid("1.0.0", s));
  EXPECT_TRUE(valid("1.12.3", s));
  EXPECT_TRUE(has_error(validate_json("2.0.0", s), "(root)", "does not match"));
  EXPECT_FALSE(valid("1.0", s));
  const json unanchored = json::parse(R"({"pattern": "mm"})");  // searched anywhere, as JSON Schema says
  EXPECT_TRUE(valid("radius_mm", unanchored));
  EXPECT_FALSE(valid("radius_px", unanchored));
}

TEST(SchemaValidator, Ref) {
  const json s = json::parse(R"({
      "properties": {"p": {"$ref": "#/$defs/pos"}, "q": {"$ref": "#/definitions/neg"}},
      "$defs": {"pos": {"type": "number", "exclusiveMinimum": 0}},
      "definitions": {"neg": {"type": "number", "exclusiveMaximum": 0}}})");
  EXPECT_TRUE(valid(json::parse(R"({"p": 1, "q": -1})"), s));
  const auto e = validate_json(json::parse(R"({"p": -1, "q": 1})"), s);
  EXPECT_TRUE(has_error(e, "/p", "#/$defs/pos/exclusiveMinimum")) << test::joined_lines(e);
  EXPECT_TRUE(has_error(e, "/q", "#/definitions/neg/exclusiveMaximum")) << test::joined_lines(e);
  // recursion through "#": a tree of arrays of integers
  const json tree = json::parse(R"({"anyOf": [{"type": "integer"}, {"type": "array", "items": {"$ref": "#"}}]})");
  EXPECT_TRUE(valid(json::parse("[1, [2, [3]], []]"), tree));
  EXPECT_FALSE(valid(json::parse("[1, [2, [\"x\"]]]"), tree));
}

TEST(SchemaValidator, RefProblemsAreSchemaErrors) {
  auto e = validate_json(1, json::parse(R"({"$ref": "#/$defs/missing"})"));
  ASSERT_EQ(e.size(), 1u) << test::joined_lines(e);
  EXPECT_EQ(e[0].rfind("schema #/$ref", 0), 0u) << e[0];
  EXPECT_NE(e[0].find("does not resolve"), std::string::npos) << e[0];
  e = validate_json(1, json::parse(R"({"$ref": "other.json#/x"})"));
  EXPECT_TRUE(has_error(e, "schema #/$ref", "only references inside")) << test::joined_lines(e);
  // a cycle that never reaches the instance's children: reported, not a stack overflow
  e = validate_json(1, json::parse(R"({"$ref": "#"})"));
  ASSERT_FALSE(e.empty());
  EXPECT_NE(e[0].find("$ref cycle"), std::string::npos) << test::joined_lines(e);
}

TEST(SchemaValidator, Combinators) {
  const json any = json::parse(R"({"anyOf": [{"type": "string"}, {"minimum": 10}]})");
  EXPECT_TRUE(valid("x", any));
  EXPECT_TRUE(valid(12, any));
  EXPECT_TRUE(has_error(validate_json(5, any), "(root)", "matches none of the 2 alternatives"));

  const json one = json::parse(R"({"oneOf": [{"type": "integer"}, {"minimum": 10}]})");
  EXPECT_TRUE(valid(5, one));
  EXPECT_TRUE(valid(10.5, one));
  EXPECT_TRUE(has_error(validate_json(12, one), "(root)", "matches 2 of the 2"));
  EXPECT_TRUE(has_error(validate_json(2.5, one), "(root)", "matches none"));

  const json both = json::parse(R"({"allOf": [{"minimum": 0}, {"maximum": 1}]})");
  EXPECT_TRUE(valid(0.5, both));
  EXPECT_TRUE(has_error(validate_json(2, both), "(root)", "#/allOf/1/maximum"));
  EXPECT_TRUE(has_error(validate_json(-2, both), "(root)", "#/allOf/0/minimum"));
}

TEST(SchemaValidator, PointersAreEscaped) {
  const json s = json::parse(R"({"additionalProperties": {"type": "number"}})");
  const auto e = validate_json(json::parse(R"({"a/b": "x", "c~d": "y"})"), s);
  EXPECT_TRUE(has_error(e, "/a~1b")) << test::joined_lines(e);
  EXPECT_TRUE(has_error(e, "/c~0d")) << test::joined_lines(e);
}

TEST(SchemaValidator, UnsupportedKeywordsAreErrorsEvenInUnusedBranches) {
  // "format" would silently check nothing: refuse it, although the instance never has "date"
  auto e = validate_json(json::object(), json::parse(R"({"properties": {"date": {"type": "string", "format": "date"}}})"));
  ASSERT_EQ(e.size(), 1u) << test::joined_lines(e);
  EXPECT_EQ(e[0].rfind("schema #/properties/date/format:", 0), 0u) << e[0];
  EXPECT_NE(e[0].find("not supported"), std::string::npos) << e[0];
  EXPECT_TRUE(has_error(validate_json(json::array(), json::parse(R"({"items": [{"type": "string"}]})")), "schema #/items",
                        "tuple"));
  EXPECT_TRUE(has_error(validate_json(1, json::parse(R"({"minimum": 0, "exclusiveMinimum": true})")),
                        "schema #/exclusiveMinimum", "draft-04"));
  EXPECT_TRUE(has_error(validate_json(1, json::parse(R"({"not": {"type": "string"}})")), "schema #/not", "not supported"));
  EXPECT_TRUE(has_error(validate_json("a", json::parse(R"({"pattern": "(unclosed"})")), "schema #/pattern",
                        "regular expression"));
  EXPECT_TRUE(has_error(validate_json(1, json::parse(R"({"type": "float"})")), "schema #/type"));
  EXPECT_TRUE(has_error(validate_json(1, json::parse(R"({"minItems": -1})")), "schema #/minItems"));
  EXPECT_TRUE(has_error(validate_json(1, json::parse(R"({"$defs": {"x": 3}})")), "schema #/$defs/x"));
  // annotations and x- extensions are fine
  EXPECT_TRUE(valid(1, json::parse(R"({"title": "t", "description": "d", "$comment": "c", "default": 0,
                                      "examples": [1], "x-units": "mm", "$schema": "s", "$id": "i"})")));
}

// ---- the analysis schema ----------------------------------------------------------------------

std::vector<std::string> required_of(const json& def) {
  return def.value("required", json::array()).get<std::vector<std::string>>();
}

bool includes(const std::vector<std::string>& have, const std::vector<std::string>& want) {
  return std::all_of(want.begin(), want.end(),
                     [&](const std::string& w) { return std::find(have.begin(), have.end(), w) != have.end(); });
}

TEST(AnalysisSchema, LoadsAndDeclaresTheContract) {
  const json& s = analysis_schema();
  EXPECT_EQ(s.value("x-schema-version", ""), kAnalysisSchemaVersion)
      << "bump x-schema-version in " << analysis_schema_path() << " with kAnalysisSchemaVersion";
  EXPECT_TRUE(valid(kAnalysisSchemaVersion, s["properties"]["schema_version"]));
  // The schema uses only keywords the validator checks: no "schema ..." errors for any instance.
  for (const auto& e : validate_json(json::object(), s)) EXPECT_NE(e.rfind("schema ", 0), 0u) << e;

  EXPECT_TRUE(includes(required_of(s), {"schema_version", "image", "calcifications", "clusters"}));
  const json& defs = s["$defs"];
  EXPECT_TRUE(includes(required_of(defs["image"]), {"width", "height", "pixel_size_mm", "laterality", "view"}));
  EXPECT_TRUE(includes(required_of(defs["calcification"]), {"id", "x", "y", "x_mm", "y_mm", "diameter_mm", "score"}));
  EXPECT_TRUE(
      includes(required_of(defs["cluster"]), {"id", "x", "y", "radius_mm", "count", "score", "calcification_ids"}));
  EXPECT_FALSE(s.contains("additionalProperties")) << "outside tools must accept added fields";
  EXPECT_TRUE(defs["score"]["minimum"] == 0 && defs["score"]["maximum"] == 1);
}

/// Every property in the schema has a description (its own or its $ref target's).
void expect_described(const json& schema, const json& node, const std::string& at) {
  if (!node.is_object()) return;
  if (auto p = node.find("properties"); p != node.end()) {
    for (auto it = p->begin(); it != p->end(); ++it) {
      const json& prop = it.value();
      bool described = prop.contains("description");
      if (!described && prop.contains("$ref"))
        described = schema.at(json::json_pointer(prop["$ref"].get<std::string>().substr(1))).contains("description");
      EXPECT_TRUE(described) << at << "/properties/" << it.key() << " has no description";
      expect_described(schema, prop, at + "/properties/" + it.key());
    }
  }
  for (const char* k : {"items", "additionalProperties"})
    if (node.contains(k)) expect_described(schema, node[k], at + "/" + k);
  if (node.contains("$defs"))
    for (auto it = node["$defs"].begin(); it != node["$defs"].end(); ++it)
      expect_described(schema, it.value(), at + "/$defs/" + it.key());
}

TEST(AnalysisSchema, EveryPropertyIsDescribed) { expect_described(analysis_schema(), analysis_schema(), "#"); }

/// A small synthetic MLO mammogram (DICOM, so laterality/view/UIDs are filled) analysed by the CLI.
class AnalysisOutput : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<test::TempDir>("calcscope-schema");
    const auto dcm = dir_->path() / "phantom.dcm";
    auto r = test::run_cli("phantom --output '" + dcm.string() +
                           "' --width-mm 100 --height-mm 120 --pixel-size 0.1 --view MLO --laterality R --seed 2 "
                           "--cluster morphology=fine_pleomorphic,count=12,contrast=3,diameter=0.5 --benign 3");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    r = test::run_cli("analyze '" + dcm.string() + "' --output '" + (dir_->path() / "out").string() + "' -q");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    output_ = std::make_unique<json>(read_json_file(dir_->path() / "out" / "phantom.json"));
  }
  static void TearDownTestSuite() {
    output_.reset();
    dir_.reset();
  }
  void SetUp() override {
    ASSERT_NE(output_, nullptr) << "the CLI run in SetUpTestSuite failed";
    ASSERT_FALSE((*output_)["clusters"].empty()) << "the phantom's cluster was not found; the tests below need one";
    ASSERT_FALSE((*output_)["calcifications"].empty());
  }
  static std::unique_ptr<test::TempDir> dir_;
  static std::unique_ptr<json> output_;
};
std::unique_ptr<test::TempDir> AnalysisOutput::dir_;
std::unique_ptr<json> AnalysisOutput::output_;

TEST_F(AnalysisOutput, RealOutputIsValid) {
  const json& j = *output_;
  const auto e = validate_json(j, analysis_schema());
  EXPECT_TRUE(e.empty()) << test::joined_lines(e);
  EXPECT_EQ(j["schema_version"], kAnalysisSchemaVersion);
  EXPECT_EQ(j["image"]["laterality"], "R");
  EXPECT_EQ(j["image"]["view"], "MLO");
  EXPECT_TRUE(j.contains("description") && j.contains("assessment")) << "the CLI merges description + assessment";
}

TEST_F(AnalysisOutput, MissingClusterScoreIsReported) {
  json j = *output_;
  j["clusters"][0].erase("score");
  const auto e = validate_json(j, analysis_schema());
  ASSERT_EQ(e.size(), 1u) << test::joined_lines(e);
  EXPECT_TRUE(has_error(e, "/clusters/0/score", "required property 'score' is missing")) << test::joined_lines(e);
  EXPECT_NE(e[0].find("#/$defs/cluster/required"), std::string::npos) << e[0];
}

TEST_F(AnalysisOutput, ScoreOutOfRangeIsReported) {
  json j = *output_;
  j["clusters"][0]["score"] = 1.5;
  j["calcifications"].back()["score"] = -0.1;
  const auto e = validate_json(j, analysis_schema());
  ASSERT_EQ(e.size(), 2u) << test::joined_lines(e);
  EXPECT_TRUE(has_error(e, "/clusters/0/score", "greater than the maximum 1")) << test::joined_lines(e);
  const std::string last = "/calcifications/" + std::to_string(j["calcifications"].size() - 1) + "/score";
  EXPECT_TRUE(has_error(e, last, "less than the minimum 0")) << test::joined_lines(e);
}

TEST_F(AnalysisOutput, WrongTypesAreReported) {
  json j = *output_;
  j["image"]["width"] = std::to_string(j["image"]["width"].get<int>());
  j["clusters"][0]["calcification_ids"][0] = 1.5;
  j["calcifications"][0]["x_mm"] = nullptr;  // what nlohmann writes for a NaN
  j["image"]["laterality"] = "left";
  const auto e = validate_json(j, analysis_schema());
  EXPECT_EQ(e.size(), 4u) << test::joined_lines(e);
  EXPECT_TRUE(has_error(e, "/image/width", "expected integer, found string")) << test::joined_lines(e);
  EXPECT_TRUE(has_error(e, "/clusters/0/calcification_ids/0", "expected integer, found number")) << test::joined_lines(e);
  EXPECT_TRUE(has_error(e, "/calcifications/0/x_mm", "expected number, found null")) << test::joined_lines(e);
  EXPECT_TRUE(has_error(e, "/image/laterality", "not one of")) << test::joined_lines(e);
}

TEST_F(AnalysisOutput, ContractFieldsAreRequiredOthersOptional) {
  for (const char* top : {"schema_version", "image", "calcifications", "clusters"}) {
    json j = *output_;
    j.erase(top);
    EXPECT_TRUE(has_error(validate_json(j, analysis_schema()), std::string("/") + top, "missing")) << top;
  }
  for (const char* field : {"width", "height", "pixel_size_mm", "laterality", "view"}) {
    json j = *output_;
    j["image"].erase(field);
    EXPECT_TRUE(has_error(validate_json(j, analysis_schema()), std::string("/image/") + field, "missing")) << field;
  }
  json j = *output_;
  for (const char* optional : {"description", "assessment", "stages", "breast", "generator", "operating_point"})
    j.erase(optional);
  j["a_field_added_in_1_1"] = {{"anything", 1}};
  j["clusters"][0]["new_measure_mm"] = 2.5;
  const auto e = validate_json(j, analysis_schema());
  EXPECT_TRUE(e.empty()) << test::joined_lines(e);
  j["schema_version"] = "2.0.0";
  EXPECT_TRUE(has_error(validate_json(j, analysis_schema()), "/schema_version", "does not match"));
}

TEST(AnalysisSchema, LibraryOutputWithoutDescriptionIsValid) {
  PhantomSpec spec;
  spec.width_mm = 80;
  spec.height_mm = 100;
  spec.pixel_size_mm = 0.2;
  spec.seed = 5;
  spec.clusters.push_back(parse_cluster_spec("morphology=amorphous,count=10,contrast=3,diameter=0.6"));
  const Phantom ph = make_phantom(spec);
  const json j = analysis_to_json(analyze(ph.image));
  const auto e = validate_json(j, analysis_schema());
  EXPECT_TRUE(e.empty()) << test::joined_lines(e);
  EXPECT_EQ(j["image"]["width"], ph.image.width);
}

}  // namespace
}  // namespace calcscope
