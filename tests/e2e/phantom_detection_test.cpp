// Issue 2, Done-when 3: at the default operating point, every inserted cluster of >= 5
// calcifications of >= 0.2 mm is found on 70 and 100 um phantoms, and a phantom without
// calcifications gives at most one cluster. Runs the real CLI (phantom + analyze).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iterator>
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

/// Scores one analysed phantom: truth clusters of >= 5 calcifications >= 0.2 mm found (centre within
/// max(truth radius, 5 mm)), and the clusters reported.
Outcome score_phantom(const std::filesystem::path& truth_json, const std::filesystem::path& result_json,
                      const std::string& name) {
  const auto truth = load(truth_json);
  const auto result = load(result_json);
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

Outcome run_phantom(const TempDir& dir, const std::string& name, const std::string& phantom_args) {
  const auto img = dir / (name + ".dcm");
  auto r = run_cli("phantom --output '" + img.string() + "' " + phantom_args);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = run_cli("analyze '" + img.string() + "' --output '" + (dir / "out").string() + "' -q");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return score_phantom(dir / (name + ".truth.json"), dir / "out" / (name + ".json"), name);
}

/// The test's cluster recipe (120 x 150 mm, density 0.5; fine pleomorphic 8, punctate 6, coarse
/// heterogeneous 7 in a line).
const char* kClusterRecipe =
    " --width-mm 120 --height-mm 150 --density 0.5"
    " --cluster morphology=fine_pleomorphic,distribution=grouped,count=8,diameter=0.35,extent=8"
    " --cluster morphology=punctate,distribution=grouped,count=6,diameter=0.3,extent=6"
    " --cluster morphology=coarse_heterogeneous,distribution=linear,count=7,diameter=0.6,extent=12";

/// "A-B" from an environment variable, or {0, -1} when it is not set.
std::pair<int, int> env_range(const char* name) {
  const char* env = std::getenv(name);
  int a = 0, b = -1;
  if (env == nullptr || std::sscanf(env, "%d-%d", &a, &b) != 2 || b < a) return {0, -1};
  return {a, b};
}

}  // namespace

// The target: every inserted cluster of >= 5 calcifications >= 0.2 mm is found. This test
// asserts exactly that on its 4 phantoms (12 clusters; p100_1101 was inspected when the 15 mm chain
// limit was chosen, so they are not independent). The general figure is measured on more seeds of
// the same recipe by PhantomDetection.ManySeeds below; it is not met in general (96-98 % on fresh
// seeds; the figures, seeds and misses per session are in docs/accuracy.md section 5).
TEST(PhantomDetection, InsertedClustersFoundAt70And100Micrometres) {
  TempDir dir("calcscope-e2e-phantom");
  int eligible = 0, found = 0;
  // seeds >= 1000 are never used for training (training phantoms use 500..)
  for (const char* px : {"0.07", "0.1"}) {
    for (int seed : {1101, 1102}) {
      const std::string name = std::string("p") + (px[3] == '7' ? "70_" : "100_") + std::to_string(seed);
      const auto o = run_phantom(
          dir, name,
          std::string("--seed ") + std::to_string(seed) + " --pixel-size " + px + kClusterRecipe);
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

// scripts/robustness.sh and scripts/stress.sh build the same recipe's clusters from
// scripts/lib/e2e-recipe.sh: the three --cluster specifications there must be the ones above.
TEST(PhantomDetection, ScriptsUseTheTestsClusterRecipe) {
  const auto script = std::filesystem::path(CALCSCOPE_SOURCE_DIR) / "scripts" / "lib" / "e2e-recipe.sh";
  std::ifstream in(script);
  ASSERT_TRUE(in) << script;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string recipe = kClusterRecipe;
  int specs = 0;
  for (std::size_t at = recipe.find("--cluster "); at != std::string::npos; at = recipe.find("--cluster ", at + 1)) {
    const std::size_t from = at + 10, to = recipe.find(' ', from);
    const std::string spec = recipe.substr(from, to == std::string::npos ? std::string::npos : to - from);
    EXPECT_NE(text.find("--cluster \"" + spec + "$c\""), std::string::npos) << spec << " not in " << script;
    ++specs;
  }
  EXPECT_EQ(specs, 3);
  int in_script = 0;  // and no fourth one there
  for (std::size_t at = text.find("--cluster \""); at != std::string::npos; at = text.find("--cluster \"", at + 1))
    ++in_script;
  EXPECT_EQ(in_script, 3);
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
// models at their cut 0.73: 0.1; session 11's at 0.81: 0); these seeds
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

// Measurement, not a check: the figures of docs/accuracy.md section 5 (issue 2, Done-when 3) on many
// seeds, reproducible from the repo. Skipped unless asked for:
//   CALCSCOPE_E2E_SEEDS=1103-1214 CALCSCOPE_E2E_NORMAL_SEEDS=3200-3219 CALCSCOPE_E2E_FULL_NORMAL_SEEDS=3100-3109 \
//     build/release/tests/test_e2e --gtest_filter='PhantomDetection.ManySeeds'
// CALCSCOPE_E2E_SEEDS: the test's cluster recipe at 70 and 100 um (clusters found at the default
// operating point); CALCSCOPE_E2E_NORMAL_SEEDS: its normal recipe (120 x 150 mm, no calcifications)
// at 70 and 100 um; CALCSCOPE_E2E_FULL_NORMAL_SEEDS: full-size normals (180 x 230 mm, 70 um, density
// 0.2 + 0.6 (i mod 10) / 9 for the i-th seed). Prints the counts; all images are analysed in one batch call.
TEST(PhantomDetection, ManySeeds) {
  const auto clusters = env_range("CALCSCOPE_E2E_SEEDS");
  const auto normals = env_range("CALCSCOPE_E2E_NORMAL_SEEDS");
  const auto full = env_range("CALCSCOPE_E2E_FULL_NORMAL_SEEDS");
  if (clusters.second < clusters.first && normals.second < normals.first && full.second < full.first)
    GTEST_SKIP() << "set CALCSCOPE_E2E_SEEDS / CALCSCOPE_E2E_NORMAL_SEEDS / CALCSCOPE_E2E_FULL_NORMAL_SEEDS (A-B) to measure";
  TempDir dir("calcscope-e2e-many");
  struct Item {
    std::string name, group;
  };
  std::vector<Item> items;
  auto make = [&](const std::string& name, const std::string& group, const std::string& args) {
    const auto r = run_cli("phantom --output '" + (dir / (name + ".dcm")).string() + "' " + args);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    items.push_back({name, group});
  };
  for (const char* px : {"0.07", "0.1"}) {
    const std::string tag = px[3] == '7' ? "70" : "100";
    for (int s = clusters.first; s <= clusters.second; ++s)
      make("c" + tag + "_" + std::to_string(s), "clusters " + tag + " um",
           "--seed " + std::to_string(s) + " --pixel-size " + px + kClusterRecipe);
    for (int s = normals.first; s <= normals.second; ++s)
      make("n" + tag + "_" + std::to_string(s), "normals " + tag + " um",
           "--seed " + std::to_string(s) + " --pixel-size " + px +
               " --width-mm 120 --height-mm 150 --clusters 0 --benign 0");
  }
  for (int s = full.first; s <= full.second; ++s) {
    char density[16];
    // ten densities in turn, so any range works (the density must stay <= 1; up to session 26 the
    // eleventh seed of a range asked for more and failed to generate)
    std::snprintf(density, sizeof density, "%.3f", 0.2 + 0.6 * ((s - full.first) % 10) / 9.0);
    make("f70_" + std::to_string(s), "full-size normals 70 um",
         "--seed " + std::to_string(s) + " --pixel-size 0.07 --width-mm 180 --height-mm 230 --density " +
             std::string(density) + " --clusters 0 --benign 0");
  }
  const auto r = run_cli("analyze '" + dir.path().string() + "' --output '" + (dir / "out").string() + "' -q");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::map<std::string, Outcome> sum;
  std::map<std::string, std::pair<int, int>> images;  // images, images with > 1 cluster
  for (const auto& it : items) {
    const Outcome o = score_phantom(dir / (it.name + ".truth.json"), dir / "out" / (it.name + ".json"), it.name);
    auto& g = sum[it.group];
    g.eligible += o.eligible;
    g.found += o.found;
    g.detected_clusters += o.detected_clusters;
    images[it.group].first += 1;
    images[it.group].second += o.eligible == 0 && o.detected_clusters > 1;
  }
  for (const auto& [group, g] : sum) {
    const auto [n, over] = images[group];
    if (g.eligible > 0)
      std::printf("%s: %d images, clusters found at the default operating point %d / %d\n", group.c_str(), n, g.found,
                  g.eligible);
    else
      std::printf("%s: %d images, %.2f false clusters per image, %d with more than one\n", group.c_str(), n,
                  static_cast<double>(g.detected_clusters) / n, over);
    EXPECT_GT(n, 0);
  }
}
