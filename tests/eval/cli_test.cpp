// End-to-end: `calcscope eval` on analysis JSON files written here (independent of `analyze`).
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "calcscope/eval/infn_cases.h"

#include "test_support.h"

using calcscope::test::run_cli;
using calcscope::test::TempDir;

namespace {

struct Det {
  double x, y, score;
};

void write_analysis(const std::filesystem::path& file, const std::vector<Det>& clusters, double pixel_mm = 0.2) {
  nlohmann::json j;
  j["schema_version"] = "1.0.0";
  j["image"] = {{"width", 1024}, {"height", 1024}, {"pixel_size_mm", pixel_mm},
                {"laterality", "L"}, {"view", "MLO"}, {"file", file.stem().string() + ".png"}};
  j["breast"] = {{"area_mm2", 20000.0}};
  j["calcifications"] = nlohmann::json::array();
  j["clusters"] = nlohmann::json::array();
  int id = 1;
  for (const auto& d : clusters)
    j["clusters"].push_back({{"id", id++}, {"x", d.x}, {"y", d.y}, {"x_mm", d.x * pixel_mm},
                             {"y_mm", d.y * pixel_mm}, {"radius_mm", 3.0}, {"count", 4}, {"score", d.score},
                             {"calcification_ids", nlohmann::json::array()}});
  j["operating_point"] = {{"min_calcification_score", 0}, {"min_cluster_score", 0}};
  std::ofstream(file) << j.dump(2);
}

// The tiny case of metrics_test.cpp written as files: MIAS Y = 1024 - row.
//   imga: truth (100, row 100) r 30 px; detections 0.9 on it, 0.6 beside it, 0.4 far away.
//   imgb: truth (200, row 300) r 10 px; detection 0.7 20 px away (a hit by the 5 mm = 25 px minimum).
//   imgc: normal; detection 0.8.
// Hand-computed: sensitivity 0.5, 0.5, 1, 1, 1 at 0.1, 0.25, 0.5, 1, 2 FP/image; image AUC 0.5.
struct Fixture {
  TempDir dir{"calcscope-eval-cli"};
  std::filesystem::path results = dir / "results";
  std::filesystem::path truth = dir / "truth.txt";
  Fixture() {
    std::filesystem::create_directories(results);
    write_analysis(results / "imga.json", {{100, 100, 0.9}, {105, 100, 0.6}, {400, 400, 0.4}});
    write_analysis(results / "imgb.json", {{220, 300, 0.7}});
    write_analysis(results / "imgc.json", {{50, 50, 0.8}});
    write_analysis(results / "extra.json", {{50, 50, 0.99}});  // no truth: skipped with a note
    std::ofstream(results / "summary.json") << R"({"images": 4})";  // not an analysis output
    std::ofstream(truth) << "imga G CALC M 100 924 30\nimgb F CALC B 200 724 10\nimgc G NORM\n";
  }
  std::string base() const { return "eval --results '" + results.string() + "' --mias-truth '" + truth.string() + "'"; }
};

}  // namespace

TEST(EvalCli, TableAndJsonMatchTheHandComputation) {
  Fixture f;
  const auto out = f.dir / "eval.json";
  const auto r = run_cli(f.base() + " --bootstrap 200 --output '" + out.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("FP/image"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("extra"), std::string::npos) << "the skipped result should be named\n" << r.output;
  EXPECT_NE(r.output.find("3 images"), std::string::npos) << r.output;

  std::ifstream in(out);
  ASSERT_TRUE(in) << "no JSON written";
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j.at("schema_version"), "1.2.0");
  EXPECT_EQ(j.at("counts").at("images"), 3);
  EXPECT_EQ(j.at("counts").at("locatable_truth_clusters"), 2);
  const double expected[] = {0.5, 0.5, 1.0, 1.0, 1.0};
  const auto& ops = j.at("cluster_froc").at("operating_points");
  ASSERT_EQ(ops.size(), 5u);
  for (std::size_t k = 0; k < 5; ++k) {
    EXPECT_DOUBLE_EQ(ops[k].at("sensitivity").get<double>(), expected[k]) << ops[k].dump();
    EXPECT_FALSE(ops[k].at("ci95_low").is_null());
  }
  EXPECT_DOUBLE_EQ(ops[2].at("threshold").get<double>(), 0.7);
  EXPECT_DOUBLE_EQ(j.at("image_level").at("auc").get<double>(), 0.5);
  EXPECT_FALSE(j.contains("calcification_froc"));
}

TEST(EvalCli, MinRadiusOption) {
  Fixture f;
  const auto out = f.dir / "eval0.json";
  const auto r = run_cli(f.base() + " --min-radius-mm 0 --bootstrap 0 --output '" + out.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(std::ifstream(out));
  for (const auto& op : j.at("cluster_froc").at("operating_points"))
    EXPECT_DOUBLE_EQ(op.at("sensitivity").get<double>(), 0.5);
}

TEST(EvalCli, MissingResultIsAnErrorUnlessAllowed) {
  Fixture f;
  std::filesystem::remove(f.results / "imgc.json");
  auto r = run_cli(f.base());
  EXPECT_EQ(r.exit_code, 3) << r.output;  // file_not_found
  EXPECT_NE(r.output.find("imgc"), std::string::npos) << r.output;
  r = run_cli(f.base() + " --allow-missing --bootstrap 0");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("2 images"), std::string::npos) << r.output;
  // --images restricts the evaluation instead.
  std::ofstream(f.dir / "list.txt") << "# two images\nimga.png\nimgb\n";
  r = run_cli(f.base() + " --bootstrap 0 --images '" + (f.dir / "list.txt").string() + "'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("2 images"), std::string::npos) << r.output;
}

TEST(EvalCli, BadInputsGiveClearErrors) {
  Fixture f;
  std::ofstream(f.results / "imgb.json") << "{ not json";
  auto r = run_cli(f.base());
  EXPECT_EQ(r.exit_code, 12) << r.output;  // invalid_data
  EXPECT_NE(r.output.find("imgb.json"), std::string::npos) << r.output;

  r = run_cli("eval --results '" + f.results.string() + "'");
  EXPECT_EQ(r.exit_code, 2) << r.output;  // usage: no truth given

  r = run_cli("eval --results '" + f.results.string() + "' --mias-truth '" + (f.dir / "nope.txt").string() + "'");
  EXPECT_EQ(r.exit_code, 3) << r.output;

  std::ofstream(f.truth) << "imga G CALC M 100\n";
  r = run_cli(f.base());
  EXPECT_EQ(r.exit_code, 12) << r.output;
}

TEST(EvalCli, PhantomTruthGivesCalcificationLevel) {
  TempDir dir{"calcscope-eval-ph"};
  // One phantom: truth calcification at (100,100) d 0.4 mm and a cluster around it; pixel 0.1 mm.
  std::ofstream(dir / "ph.truth.json") << R"({"kind":"calcscope-phantom-truth",
    "image":{"width":1024,"height":1024,"pixel_size_mm":0.1},
    "clusters":[{"id":1,"x":100,"y":100,"x_mm":10,"y_mm":10,"radius_mm":2,"count":1,
                 "morphology":"punctate","distribution":"grouped","calcification_ids":[1]}],
    "calcifications":[{"id":1,"x":100,"y":100,"x_mm":10,"y_mm":10,"diameter_mm":0.4,"length_mm":0,
                       "morphology":"punctate","cluster_id":1}]})";
  nlohmann::json a;
  a["image"] = {{"width", 1024}, {"height", 1024}, {"pixel_size_mm", 0.1}};
  a["breast"] = {{"area_mm2", 100.0}};  // 1 cm^2
  a["calcifications"] = {{{"id", 1}, {"x", 102}, {"y", 100}, {"score", 0.8}},
                         {{"id", 2}, {"x", 500}, {"y", 500}, {"score", 0.9}}};
  a["clusters"] = {{{"id", 1}, {"x", 101}, {"y", 100}, {"score", 0.5}}};
  std::ofstream(dir / "ph.json") << a.dump();
  const auto out = dir / "e.json";
  const auto r = run_cli("eval --bootstrap 0 --results '" + dir.path().string() + "' --phantom-truth '" +
                         dir.path().string() + "' --output '" + out.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("FP/cm2"), std::string::npos) << r.output;
  const auto j = nlohmann::json::parse(std::ifstream(out));
  EXPECT_EQ(j.at("truth"), "phantom");
  const auto& ops = j.at("calcification_froc").at("operating_points");
  // FP at 0.9 comes first (1 FP/cm^2), then the hit at 0.8: sensitivity 0 below 1 FP/cm^2, 1 from 1 on.
  EXPECT_DOUBLE_EQ(ops[2].at("sensitivity").get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(ops[3].at("sensitivity").get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j.at("cluster_froc").at("operating_points")[0].at("sensitivity").get<double>(), 1.0);
}

// Patch mode (INFN): detected / quiet fractions at the files' own operating point, and the ROC AUC of
// the best calcification score per patch. Hand-computed: positives best 0.9, 0.5, 0 (no calcification);
// negatives best 0.6, 0. Pairs (pos > neg, ties 1/2): 0.9 beats both (2), 0.5 beats 0 (1), 0 ties 0 (0.5)
// -> 3.5 / 6. Detected: 2 of 3 positives; quiet: 1 of 2 negatives.
TEST(EvalCli, PatchModeFractionsAndScoreAuc) {
  TempDir dir("calcscope-eval-patches");
  auto write_patch = [&](const std::filesystem::path& file, const std::vector<double>& scores,
                         const std::vector<double>& cluster_scores = {}) {
    std::filesystem::create_directories(file.parent_path());
    nlohmann::json j;
    j["schema_version"] = "1.0.0";
    j["image"] = {{"width", 64}, {"height", 64}, {"pixel_size_mm", 0.1}, {"laterality", ""}, {"view", ""}};
    j["calcifications"] = nlohmann::json::array();
    int id = 1;
    for (double s : scores)
      j["calcifications"].push_back({{"id", id}, {"x", 10.0 * id}, {"y", 10.0}, {"x_mm", 1.0 * id}, {"y_mm", 1.0},
                                     {"diameter_mm", 0.3}, {"score", s}}),
          ++id;
    j["clusters"] = nlohmann::json::array();
    int kid = 1;
    for (double s : cluster_scores)
      j["clusters"].push_back({{"id", kid}, {"x", 10.0}, {"y", 10.0}, {"radius_mm", 1.0}, {"count", 3}, {"score", s},
                               {"calcification_ids", {1}}}),
          ++kid;
    std::ofstream(file) << j.dump(2);
  };
  // clusters, hand-computed: positives best 0.8, 0 (none), 0 (none); negatives best 0.3, 0.
  // Pairs: 0.8 beats both (2); 0 vs 0.3 loses (0); 0 vs 0 ties (0.5), twice -> 3 / 6.
  // Reporting a cluster: 1 of 3 positives; without one: 1 of 2 negatives.
  write_patch(dir / "1" / "p1.json", {0.9, 0.2}, {0.8});
  write_patch(dir / "1" / "p2.json", {0.5});
  write_patch(dir / "1" / "p3.json", {});
  write_patch(dir / "0" / "n1.json", {0.6, 0.1}, {0.3});
  write_patch(dir / "0" / "n2.json", {});
  const auto out = dir / "patches.json";
  const auto r = run_cli("eval --patches-positive '" + (dir / "1").string() + "' --patches-negative '" +
                         (dir / "0").string() + "' --output '" + out.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ROC AUC"), std::string::npos) << r.output;
  std::ifstream in(out);
  ASSERT_TRUE(in) << "no JSON written";
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j.at("positive").at("detected"), 2);
  EXPECT_EQ(j.at("negative").at("quiet"), 1);
  EXPECT_DOUBLE_EQ(j.at("patch_score_auc").get<double>(), 3.5 / 6.0);
  EXPECT_EQ(j.at("positive").at("with_cluster"), 1);
  EXPECT_EQ(j.at("negative").at("without_cluster"), 1);
  EXPECT_DOUBLE_EQ(j.at("cluster_score_auc").get<double>(), 3.0 / 6.0);

  // --infn-case-half keeps the patches of one half of the INFN cases (the first 4 characters of the
  // name; session 28): twelve case names, each patch with one calcification, counted per half
  TempDir halves("calcscope-eval-halves");
  int per_half[2][2] = {{0, 0}, {0, 0}};  // [half][positive]
  for (int c = 0; c < 12; ++c) {
    char name[16];
    std::snprintf(name, sizeof name, "%04d", 2 * c + 2);
    const int h = calcscope::speck_net_infn_case_half(name);
    for (int label : {0, 1}) {
      write_patch(halves / std::to_string(label) / (std::string(name) + "s1_" + std::to_string(label) + ".json"), {0.7});
      ++per_half[h][label];
    }
  }
  ASSERT_GT(per_half[0][1], 0);
  ASSERT_GT(per_half[1][1], 0);  // both halves occur among the twelve
  for (int h : {0, 1}) {
    const auto o = halves / ("h" + std::to_string(h) + ".json");
    const auto rh = run_cli("eval --patches-positive '" + (halves / "1").string() + "' --patches-negative '" +
                            (halves / "0").string() + "' --infn-case-half " + std::to_string(h) + " --output '" +
                            o.string() + "'");
    ASSERT_EQ(rh.exit_code, 0) << rh.output;
    std::ifstream hin(o);
    const auto jh = nlohmann::json::parse(hin);
    EXPECT_EQ(jh.at("positive").at("patches"), per_half[h][1]) << h;
    EXPECT_EQ(jh.at("negative").at("patches"), per_half[h][0]) << h;
    EXPECT_EQ(jh.at("infn_case_half"), h);
  }
}
