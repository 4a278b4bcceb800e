// schemas/compare.schema.json (as embedded in the library: compare_schema()) against a real `calcscope compare` output (a phantom prior/current
// pair with new, increased, decreased, stable and resolved clusters), and broken copies of it.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "calcscope/compare/compare.h"
#include "calcscope/io/image_writer.h"
#include "calcscope/phantom/phantom.h"
#include "calcscope/report/json_output.h"
#include "calcscope/report/schema.h"
#include "test_support.h"

namespace calcscope {
namespace {

using nlohmann::json;

TEST(CompareSchema, RealCompareOutputIsValidAndBrokenCopiesAreNot) {
  const json schema = compare_schema();
  EXPECT_EQ(schema["x-schema-version"], kCompareSchemaVersion) << "bump the schema with kCompareSchemaVersion";

  PhantomSpec spec;
  spec.pixel_size_mm = 0.1;
  spec.seed = 42;
  for (int c = 0; c < 5; ++c) {
    PhantomClusterSpec cs;
    cs.count = 12;
    cs.contrast = 1.6;
    spec.clusters.push_back(cs);
  }
  PhantomChangeSpec change;
  change.rotation_deg = 2.5;
  change.shift_x_mm = -6;
  change.shift_y_mm = 4;
  change.scale = 1.02;
  change.add_clusters = change.remove_clusters = change.grow_clusters = change.shrink_clusters = 1;
  const auto [prior, current] = make_phantom_pair(spec, change);
  test::TempDir dir;
  write_raster(prior.image, dir / "prior.png");
  write_raster(current.image, dir / "current.png");
  const auto r = test::run_cli("compare --current '" + (dir / "current.png").string() + "' --prior '" +
                               (dir / "prior.png").string() +
                               "' --pixel-size 0.1 --current-date 2024-05-01 --prior-date 2022-04-20 -o '" +
                               dir.path().string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json j = read_json_file(dir / "current.compare.json");

  const auto errors = validate_json(j, schema);
  EXPECT_TRUE(errors.empty()) << test::joined_lines(errors);
  // the output exercises the schema: clusters with the contract fields and more than one label
  ASSERT_GE(j["clusters"].size(), 3u);
  std::set<std::string> labels;
  for (const auto& c : j["clusters"]) {
    labels.insert(c["change"].get<std::string>());
    EXPECT_TRUE(c.contains("pixel_evidence"));  // both images at hand
  }
  EXPECT_GE(labels.size(), 2u);

  // broken copies are caught, each at its place
  auto fails_at = [&](const json& broken, const std::string& pointer) {
    const auto e = validate_json(broken, schema);
    return std::any_of(e.begin(), e.end(), [&](const std::string& m) { return m.rfind(pointer + ":", 0) == 0; });
  };
  json b = j;
  b["clusters"][0]["change"] = "grown";
  EXPECT_TRUE(fails_at(b, "/clusters/0/change"));
  b = j;
  b["clusters"][0].erase("x");
  EXPECT_TRUE(fails_at(b, "/clusters/0/x"));  // a missing required property is reported at its place
  b = j;
  b["clusters"][0]["y"] = "12";
  EXPECT_TRUE(fails_at(b, "/clusters/0/y"));
  b = j;
  b["schema_version"] = "2.0.0";
  EXPECT_TRUE(fails_at(b, "/schema_version"));
  b = j;
  b["priors"][0]["date"] = "20-04-2022";
  EXPECT_TRUE(fails_at(b, "/priors/0/date"));
  b = j;
  b["priors"][0]["matrix_px"].erase(0);
  EXPECT_TRUE(fails_at(b, "/priors/0/matrix_px"));
}

}  // namespace
}  // namespace calcscope
