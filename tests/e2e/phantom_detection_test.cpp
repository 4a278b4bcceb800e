// Issue 2, Done-when 3: at the default operating point, every inserted cluster of >= 5
// calcifications of >= 0.2 mm is found on 70 and 100 um phantoms, and a phantom without
// calcifications gives at most one cluster. Runs the real CLI (phantom + analyze).
#include <cmath>
#include <cstdio>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "test_support.h"

using calcscope::test::run_cli;
using calcscope::test::TempDir;

namespace {

nlohmann::json load(const std::filesystem::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

struct Outcome {
  int eligible = 0, found = 0, detected_clusters = 0;
};

Outcome run_phantom(const TempDir& dir, const std::string& name, const std::string& phantom_args) {
  const auto img = dir / (name + ".dcm");
  auto r = run_cli("phantom --output '" + img.string() + "' " + phantom_args);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = run_cli("analyze '" + img.string() + "' --output '" + (dir / "out").string() + "' -q");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const auto truth = load(dir / (name + ".truth.json"));
  const auto result = load(dir / "out" / (name + ".json"));
  const double px = result["image"]["pixel_size_mm"];
  Outcome o;
  o.detected_clusters = static_cast<int>(result["clusters"].size());
  std::map<int, double> diameter;
  for (const auto& c : truth["calcifications"]) diameter[c["id"]] = c["diameter_mm"];
  for (const auto& t : truth["clusters"]) {
    int big = 0;
    for (int id : t["calcification_ids"]) big += diameter[id] >= 0.2;
    if (big < 5) continue;
    ++o.eligible;
    const double r_mm = std::max(t["radius_mm"].get<double>(), 5.0);
    bool hit = false;
    for (const auto& k : result["clusters"])
      hit |= std::hypot(double(k["x"]) - double(t["x"]), double(k["y"]) - double(t["y"])) * px <= r_mm;
    o.found += hit;
    if (!hit)
      std::printf("MISSED %s: truth cluster %d (%s, %s, %d calcifications >= 0.2 mm)\n", name.c_str(),
                  t["id"].get<int>(), t["morphology"].get<std::string>().c_str(),
                  t["distribution"].get<std::string>().c_str(), big);
  }
  return o;
}

}  // namespace

// The target: every inserted cluster of >= 5 calcifications >= 0.2 mm is found. This test
// asserts exactly that on its 4 phantoms (12 clusters; p100_1101 was inspected when the 15 mm chain
// limit was chosen, so they are not independent). The general figure is measured on more seeds of
// the same recipe (docs/accuracy.md section 5): about 98 % of clusters (session 7: 653 of 670 on
// seeds 1103-1214), so the target is not met in general.
TEST(PhantomDetection, InsertedClustersFoundAt70And100Micrometres) {
  TempDir dir("calcscope-e2e-phantom");
  int eligible = 0, found = 0;
  // seeds >= 1000 are never used for training (training phantoms use 500..)
  for (const char* px : {"0.07", "0.1"}) {
    for (int seed : {1101, 1102}) {
      const std::string name = std::string("p") + (px[3] == '7' ? "70_" : "100_") + std::to_string(seed);
      const auto o = run_phantom(
          dir, name,
          std::string("--seed ") + std::to_string(seed) + " --pixel-size " + px +
              " --width-mm 120 --height-mm 150 --density 0.5"
              " --cluster morphology=fine_pleomorphic,distribution=grouped,count=8,diameter=0.35,extent=8"
              " --cluster morphology=punctate,distribution=grouped,count=6,diameter=0.3,extent=6"
              " --cluster morphology=coarse_heterogeneous,distribution=linear,count=7,diameter=0.6,extent=12");
      eligible += o.eligible;
      found += o.found;
      EXPECT_GE(o.eligible, 2) << name;
    }
  }
  std::printf("inserted clusters (>= 5 calcifications >= 0.2 mm) found at the default operating point: %d / %d\n",
              found, eligible);
  EXPECT_GE(eligible, 8);
  EXPECT_EQ(found, eligible) << "an inserted cluster was missed (see MISSED above)";
}

TEST(PhantomDetection, NoCalcificationsGiveAtMostOneCluster) {
  TempDir dir("calcscope-e2e-phantom-empty");
  for (const char* px : {"0.07", "0.1"}) {
    const std::string name = std::string("empty_") + (px[3] == '7' ? "70" : "100");
    const auto o = run_phantom(dir, name, std::string("--seed 1201 --pixel-size ") + px +
                                              " --width-mm 120 --height-mm 150 --clusters 0 --benign 0");
    EXPECT_EQ(o.eligible, 0);
    EXPECT_LE(o.detected_clusters, 1) << name;
  }
}

// The same on full-size normal breasts (180 x 230 mm, 70 um, dense tissue): three times the breast
// area of the test above. At the session-6 operating point (cluster cut 0.64) ten such phantoms
// (seeds 3100-3109) had 2.4 false clusters per image, at the cut 0.77 they had 0.4 (session 9's digital
// models at their cut 0.73: 0.1); these seeds
// were chosen before being run. They also pass at the old cut (1 and 0 clusters): the test guards
// the figure, it does not by itself show the change.
TEST(PhantomDetection, FullSizeNormalBreastGivesAtMostOneCluster) {
  TempDir dir("calcscope-e2e-phantom-normal");
  for (int seed : {1203, 1204}) {
    const std::string name = "normal_" + std::to_string(seed);
    const auto o = run_phantom(dir, name, "--seed " + std::to_string(seed) +
                                              " --pixel-size 0.07 --width-mm 180 --height-mm 230 --density 0.6"
                                              " --clusters 0 --benign 0");
    EXPECT_EQ(o.eligible, 0);
    EXPECT_LE(o.detected_clusters, 1) << name;
  }
}

// Imaging the generator's defaults do not show: rougher tissue texture (power-law exponent 2.6
// instead of 3), more noise (1.5) and a sharper detector (blur 0.05 mm), at 70 and 100 um. Until
// session 8 every model was trained on default-imaging phantoms only, and these four normal phantoms
// got 4, 9, 10 and 8 false clusters at the default operating point; the session-9 digital models,
// which also saw the training phantoms rendered with varied imaging, get none (docs/accuracy.md,
// "Robustness to imaging"). Seeds chosen before they were run.
TEST(PhantomDetection, RoughTextureNormalBreastGivesAtMostOneCluster) {
  TempDir dir("calcscope-e2e-phantom-rough");
  for (const char* px : {"0.07", "0.1"}) {
    for (int seed : {1205, 1206}) {
      const std::string name = std::string("rough_") + (px[3] == '7' ? "70_" : "100_") + std::to_string(seed);
      const auto o = run_phantom(dir, name, "--seed " + std::to_string(seed) + " --pixel-size " + px +
                                                " --width-mm 120 --height-mm 150 --density 0.5 --beta 2.6"
                                                " --noise 1.5 --blur-mm 0.05 --clusters 0 --benign 0");
      EXPECT_EQ(o.eligible, 0);
      EXPECT_LE(o.detected_clusters, 1) << name;
    }
  }
}
