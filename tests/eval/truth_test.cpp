// Truth readers, analysis-JSON reader and pairing.
#include <fstream>
#include <functional>

#include <gtest/gtest.h>

#include "calcscope/core/error.h"
#include "calcscope/eval/eval.h"
#include "test_support.h"

using namespace calcscope;
using namespace calcscope::eval;

namespace {

ErrorCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::Ok;
}

const char* kMiasText =
    "mdb001 G CIRC B 535 425 197\n"
    "mdb003 D NORM \n"
    "mdb216 D CALC M *NOTE 3* \n"
    "mdb226 D CALC B 287 610 7\r\n"
    "mdb226 D CALC M 329 550 25\n"
    "\n";

}  // namespace

TEST(MiasTruth, ParsesRowsNoteThreeAndBottomLeftOrigin) {
  const TruthSet t = parse_mias_truth(kMiasText);
  EXPECT_EQ(t.kind, TruthKind::Mias);
  ASSERT_EQ(t.images.size(), 4u);
  EXPECT_FALSE(t.images.at("mdb001").has_calcifications);  // a mass only
  EXPECT_TRUE(t.images.at("mdb001").clusters.empty());
  EXPECT_FALSE(t.images.at("mdb003").has_calcifications);

  const auto& n3 = t.images.at("mdb216");
  EXPECT_TRUE(n3.has_calcifications);
  ASSERT_EQ(n3.clusters.size(), 1u);
  EXPECT_FALSE(n3.clusters[0].locatable);
  EXPECT_EQ(n3.clusters[0].severity, "M");

  const auto& two = t.images.at("mdb226");
  ASSERT_EQ(two.clusters.size(), 2u);
  EXPECT_TRUE(two.clusters[0].locatable);
  EXPECT_DOUBLE_EQ(two.clusters[0].x, 287);
  EXPECT_DOUBLE_EQ(two.clusters[0].y, 1024 - 610);  // row from the top
  EXPECT_DOUBLE_EQ(two.clusters[0].radius_px, 7);
  EXPECT_EQ(two.clusters[0].severity, "B");
  EXPECT_EQ(two.clusters[1].severity, "M");
  EXPECT_DOUBLE_EQ(two.clusters[1].y, 1024 - 550);
  EXPECT_EQ(two.image_height_px, 1024);

  // The conversion follows the image height given.
  const TruthSet tall = parse_mias_truth(kMiasText, "x", 2048);
  EXPECT_DOUBLE_EQ(tall.images.at("mdb226").clusters[0].y, 2048 - 610);
}

TEST(MiasTruth, MalformedRowsAreInvalidData) {
  EXPECT_EQ(code_of([] { parse_mias_truth("mdb300\n"); }), ErrorCode::InvalidData);
  EXPECT_EQ(code_of([] { parse_mias_truth("mdb300 D CALC X 1 2 3\n"); }), ErrorCode::InvalidData);
  EXPECT_EQ(code_of([] { parse_mias_truth("mdb300 D CALC B 1 two 3\n"); }), ErrorCode::InvalidData);
  EXPECT_EQ(code_of([] { parse_mias_truth("mdb300 D CALC B 1 2\n"); }), ErrorCode::InvalidData);
  EXPECT_EQ(code_of([] { parse_mias_truth("mdb300 D CALC B 1 2000 3\n"); }), ErrorCode::InvalidData);
  EXPECT_EQ(code_of([] { parse_mias_truth("\n\n"); }), ErrorCode::InvalidData);
  EXPECT_EQ(code_of([] { read_mias_truth("/nonexistent/truth.txt"); }), ErrorCode::FileNotFound);
  try {
    parse_mias_truth("mdb001 G NORM\nmdb300 D CALC B 1 two 3\n", "truth.txt");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
}

TEST(MiasTruth, RealMiniMiasTruthFile) {
  const auto shared = test::shared_dir();
  if (!shared) GTEST_SKIP() << "../shared/data not found: skipping the real MIAS truth check";
  const TruthSet t = read_mias_truth(*shared / "data/mias/truth.txt");
  int calc_rows = 0, locatable = 0, calc_images = 0;
  for (const auto& [stem, img] : t.images) {
    calc_rows += static_cast<int>(img.clusters.size());
    calc_images += img.has_calcifications ? 1 : 0;
    for (const auto& c : img.clusters) {
      locatable += c.locatable ? 1 : 0;
      if (c.locatable) {
        EXPECT_GT(c.radius_px, 0);
        EXPECT_GE(c.y, 0);
        EXPECT_LE(c.y, 1024);
      }
    }
  }
  EXPECT_EQ(t.images.size(), 212u);  // README: 212 of the 322 images
  EXPECT_EQ(calc_rows, 16);
  EXPECT_EQ(calc_images, 13);
  EXPECT_EQ(locatable, 14);
  EXPECT_FALSE(t.images.at("mdb216").clusters.at(0).locatable);
  EXPECT_DOUBLE_EQ(t.images.at("mdb211").clusters.at(0).y, 1024 - 327);
}

TEST(PhantomTruth, ParsesClustersAndCalcifications) {
  const auto j = nlohmann::json::parse(R"({
    "kind": "calcscope-phantom-truth",
    "image": {"width": 2000, "height": 3000, "pixel_size_mm": 0.1},
    "clusters": [{"id": 1, "x": 500, "y": 600, "x_mm": 50, "y_mm": 60, "radius_mm": 4, "count": 2,
                  "morphology": "fine_pleomorphic", "distribution": "grouped", "calcification_ids": [1, 2]}],
    "calcifications": [
      {"id": 1, "x": 501, "y": 600, "x_mm": 50.1, "y_mm": 60, "diameter_mm": 0.3, "length_mm": 0,
       "morphology": "punctate", "cluster_id": 1},
      {"id": 2, "x": 510, "y": 605, "x_mm": 51, "y_mm": 60.5, "diameter_mm": 0.1, "length_mm": 1.5,
       "angle_deg": 30, "morphology": "fine_linear_branching", "cluster_id": 1}]})");
  const TruthImage t = parse_phantom_truth(j, "ph1", "ph1.truth.json");
  EXPECT_TRUE(t.has_calcifications);
  EXPECT_TRUE(t.has_calcification_truth);
  EXPECT_EQ(t.image_height_px, 3000);
  ASSERT_EQ(t.clusters.size(), 1u);
  EXPECT_DOUBLE_EQ(t.clusters[0].radius_px, 40);  // 4 mm at 0.1 mm
  EXPECT_EQ(t.clusters[0].id, "1");
  EXPECT_EQ(t.clusters[0].morphology, "fine_pleomorphic");
  ASSERT_EQ(t.calcifications.size(), 2u);
  EXPECT_EQ(t.calcifications[1].cluster_id, "1");
  EXPECT_DOUBLE_EQ(*t.calcifications[1].angle_deg, 30);
  EXPECT_FALSE(t.calcifications[0].angle_deg);

  auto bad = j;
  bad["kind"] = "something-else";
  EXPECT_EQ(code_of([&] { parse_phantom_truth(bad, "x"); }), ErrorCode::InvalidData);
  bad = j;
  bad["calcifications"][0].erase("diameter_mm");
  EXPECT_EQ(code_of([&] { parse_phantom_truth(bad, "x"); }), ErrorCode::InvalidData);
  bad = j;
  bad["clusters"][0]["x"] = "five";
  EXPECT_EQ(code_of([&] { parse_phantom_truth(bad, "x"); }), ErrorCode::InvalidData);
}

TEST(PhantomTruth, ReadsADirectoryOfTruthFiles) {
  test::TempDir dir;
  EXPECT_EQ(code_of([&] { read_phantom_truth(dir.path()); }), ErrorCode::FileNotFound);
  std::ofstream(dir / "a.truth.json")
      << R"({"kind":"calcscope-phantom-truth","image":{"pixel_size_mm":0.07},"clusters":[],"calcifications":[]})";
  std::ofstream(dir / "a.json") << "{}";  // an analysis output beside it is ignored
  const auto set = read_phantom_truth(dir.path());
  EXPECT_EQ(set.kind, TruthKind::Phantom);
  ASSERT_EQ(set.images.size(), 1u);
  EXPECT_FALSE(set.images.at("a").has_calcifications);
}

TEST(AnalysisJson, ParsesFieldsAndNestedValueField) {
  const auto j = nlohmann::json::parse(R"({
    "schema_version": "1.0.0",
    "image": {"width": 100, "height": 80, "pixel_size_mm": 0.2, "laterality": "L", "view": "MLO", "file": "a.png"},
    "breast": {"area_mm2": 1234.5},
    "calcifications": [{"id": 1, "x": 3, "y": 4, "x_mm": 0.6, "y_mm": 0.8, "diameter_mm": 0.3, "score": 0.7}],
    "clusters": [{"id": 1, "x": 10, "y": 20, "x_mm": 2, "y_mm": 4, "radius_mm": 3, "count": 3, "score": 0.6,
                  "calcification_ids": [1], "assessment": {"malignancy": 0.25}},
                 {"id": "c2", "x": 11, "y": 21, "score": 0.1}],
    "operating_point": {"min_calcification_score": 0, "min_cluster_score": 0}})");
  const ImageResult r = parse_analysis(j, "a", "a.json", "assessment.malignancy");
  EXPECT_EQ(r.width, 100);
  EXPECT_EQ(r.height, 80);
  EXPECT_DOUBLE_EQ(r.pixel_size_mm, 0.2);
  EXPECT_DOUBLE_EQ(r.breast_area_mm2, 1234.5);
  ASSERT_EQ(r.clusters.size(), 2u);
  EXPECT_DOUBLE_EQ(*r.clusters[0].value, 0.25);
  EXPECT_FALSE(r.clusters[1].value);
  EXPECT_EQ(r.clusters[1].id, "c2");
  ASSERT_EQ(r.calcifications.size(), 1u);
  EXPECT_DOUBLE_EQ(r.calcifications[0].score, 0.7);

  auto bad = j;
  bad["clusters"][0].erase("score");
  EXPECT_EQ(code_of([&] { parse_analysis(bad, "a"); }), ErrorCode::InvalidData);
  bad = j;
  bad["image"]["pixel_size_mm"] = 0;
  EXPECT_EQ(code_of([&] { parse_analysis(bad, "a"); }), ErrorCode::InvalidData);
  bad = j;
  bad["clusters"][0]["assessment"]["malignancy"] = "high";
  EXPECT_EQ(code_of([&] { parse_analysis(bad, "a", "", "assessment.malignancy"); }), ErrorCode::InvalidData);
}

TEST(Pairing, SkipsResultsWithoutTruthAndReportsMissingOnes) {
  TruthSet truth = parse_mias_truth("mdb001 G NORM\nmdb002 G CALC B 10 20 5\n");
  ResultsDir results;
  for (const char* stem : {"mdb001", "mdb999"}) {
    ImageResult r;
    r.stem = stem;
    r.width = r.height = 1024;
    r.pixel_size_mm = 0.2;
    results.images[stem] = r;
  }
  try {
    pair_results_with_truth(results, truth);
    FAIL() << "expected an error for mdb002";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::FileNotFound);
    EXPECT_NE(std::string(e.what()).find("mdb002"), std::string::npos);
  }
  PairOptions allow;
  allow.allow_missing = true;
  const auto p = pair_results_with_truth(results, truth, allow);
  ASSERT_EQ(p.cases.size(), 1u);
  EXPECT_EQ(p.cases[0].result.stem, "mdb001");
  ASSERT_EQ(p.notes.size(), 2u);
  EXPECT_NE(p.notes[0].find("mdb999"), std::string::npos);

  PairOptions only;
  only.only = std::vector<std::string>{"mdb001"};
  EXPECT_EQ(pair_results_with_truth(results, truth, only).cases.size(), 1u);
  only.only = std::vector<std::string>{"mdb999"};
  EXPECT_EQ(code_of([&] { pair_results_with_truth(results, truth, only); }), ErrorCode::InvalidData);

  results.images["mdb001"].height = 512;  // analysed on another grid: truth rows would be wrong
  EXPECT_EQ(code_of([&] { pair_results_with_truth(results, truth, allow); }), ErrorCode::InvalidData);
}
