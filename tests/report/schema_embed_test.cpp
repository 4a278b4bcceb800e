// The output JSON schemas embedded into the library (cmake/EmbedModels.cmake, calcscope_embed_schemas): they equal the
// files in schemas/, `calcscope schema NAME` prints them, and real output validates against what
// the binary prints.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "calcscope/compare/compare.h"
#include "calcscope/core/error.h"
#include "calcscope/report/json_output.h"
#include "calcscope/report/schema.h"
#include "test_support.h"

namespace calcscope {
namespace {

using nlohmann::json;

std::filesystem::path source_file(const std::string& name) {
  return name == "analysis" ? analysis_schema_path() : compare_schema_path();
}

std::string all(const std::vector<std::string>& errors) {
  std::string s;
  for (const auto& e : errors) s += e + "\n";
  return s;
}

int usage_exit_code() { return error_info(ErrorCode::Usage).exit_code; }

TEST(EmbeddedSchema, NamesAreAnalysisAndCompare) {
  EXPECT_EQ(schema_names(), (std::vector<std::string>{"analysis", "compare"}));
}

TEST(EmbeddedSchema, TextEqualsTheFileInSchemasDir) {
  for (const auto& name : schema_names()) {
    const auto path = source_file(name);
    ASSERT_TRUE(std::filesystem::exists(path)) << path;
    const std::string file = test::slurp(path);
    ASSERT_FALSE(file.empty()) << path;
    EXPECT_EQ(schema_text(name), file) << name << ": the embedded copy is stale; re-run cmake (the build does it "
                                       << "when " << path << " changes)";
    EXPECT_EQ(schema_json(name), read_json_file(path)) << name;
  }
}

TEST(EmbeddedSchema, ParsedSchemasMatchTheirVersionsAndIds) {
  EXPECT_EQ(&analysis_schema(), &schema_json("analysis")) << "parsed once and shared";
  EXPECT_EQ(&compare_schema(), &schema_json("compare"));
  EXPECT_EQ(analysis_schema()["$id"], "urn:calcscope:schema:analysis");
  EXPECT_EQ(compare_schema()["$id"], "urn:calcscope:schema:compare");
  EXPECT_EQ(analysis_schema()["x-schema-version"], kAnalysisSchemaVersion);
  EXPECT_EQ(compare_schema()["x-schema-version"], kCompareSchemaVersion);
  // Both are schemas our validator fully understands (a broken schema reports "schema ..." errors).
  for (const auto& name : schema_names()) {
    const auto e = validate_json(json::object(), schema_json(name));
    for (const auto& msg : e) EXPECT_EQ(msg.rfind("schema", 0), std::string::npos) << name << ": " << msg;
  }
}

TEST(EmbeddedSchema, UnknownNameIsAUsageError) {
  try {
    (void)schema_text("analysis.schema.json");
    FAIL() << "an unknown schema name must throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Usage);
    EXPECT_NE(e.message().find("analysis, compare"), std::string::npos) << e.message();
  }
  EXPECT_THROW((void)schema_json(""), Error);
}

TEST(SchemaCommand, PrintsEachSchemaExactlyToStdout) {
  test::TempDir dir("calcscope-schema-cmd");
  for (const auto& name : schema_names()) {
    const auto out = dir / (name + ".json");
    const auto r = test::run_cli("schema " + name + " > '" + out.string() + "'");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(r.output.empty()) << "nothing on stderr: " << r.output;
    const std::string printed = test::slurp(out);
    std::string expected = test::slurp(source_file(name));
    if (!expected.empty() && expected.back() != '\n') expected += '\n';  // the CLI ends with a newline
    EXPECT_EQ(printed, expected) << name;
    const json j = json::parse(printed);  // throws (and fails the test) when not JSON
    const json file = read_json_file(source_file(name));
    EXPECT_EQ(j["$id"], file["$id"]) << name;
    EXPECT_EQ(j["x-schema-version"], file["x-schema-version"]) << name;
  }
  const json analysis = json::parse(test::slurp(dir / "analysis.json"));
  EXPECT_EQ(analysis["x-schema-version"], kAnalysisSchemaVersion);
  const json compare = json::parse(test::slurp(dir / "compare.json"));
  EXPECT_EQ(compare["x-schema-version"], kCompareSchemaVersion);
}

TEST(SchemaCommand, UnknownOrMissingNameIsAUsageError) {
  auto r = test::run_cli("schema eval");
  EXPECT_EQ(r.exit_code, usage_exit_code()) << r.output;
  EXPECT_NE(r.output.find("eval"), std::string::npos) << "names the rejected value: " << r.output;
  r = test::run_cli("schema");
  EXPECT_EQ(r.exit_code, usage_exit_code()) << r.output;
  r = test::run_cli("schema analysis compare");
  EXPECT_EQ(r.exit_code, usage_exit_code()) << r.output;
}

TEST(SchemaCommand, RealAnalyzeOutputValidatesAgainstThePrintedSchema) {
  test::TempDir dir("calcscope-schema-analyze");
  const auto dcm = dir / "phantom.dcm";
  auto r = test::run_cli("phantom --output '" + dcm.string() +
                         "' --width-mm 80 --height-mm 100 --pixel-size 0.1 --view CC --laterality L --seed 5 "
                         "--cluster morphology=fine_pleomorphic,count=10,contrast=3,diameter=0.5 --benign 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run_cli("analyze '" + dcm.string() + "' --output '" + (dir / "out").string() + "' -q");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto schema_file = dir / "analysis.schema.json";
  r = test::run_cli("schema analysis > '" + schema_file.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json schema = read_json_file(schema_file);
  const json output = read_json_file(dir / "out" / "phantom.json");
  ASSERT_FALSE(output["clusters"].empty()) << "the phantom's cluster was not found: the check below needs one";
  const auto e = validate_json(output, schema);
  EXPECT_TRUE(e.empty()) << all(e);
  EXPECT_EQ(output["schema_version"], schema["x-schema-version"]);

  json broken = output;  // and the printed schema does check something
  broken["clusters"][0].erase("score");
  EXPECT_FALSE(validate_json(broken, schema).empty());
}

}  // namespace
}  // namespace calcscope
