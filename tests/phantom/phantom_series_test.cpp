// Phantom time series (prior, current) and the `calcscope phantom` command.
#include <cmath>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "calcscope/core/error.h"
#include "calcscope/phantom/phantom.h"
#include "test_support.h"

namespace calcscope {
namespace {

PhantomSpec series_spec() {
  PhantomSpec s;
  s.width_mm = 150;
  s.height_mm = 190;
  s.pixel_size_mm = 0.2;
  s.seed = 17;
  s.random_clusters = 2;
  return s;
}

std::pair<double, double> mask_centroid_mm(const Phantom& p) {
  double sx = 0, sy = 0, n = 0;
  for (int y = 0; y < p.breast.height; ++y)
    for (int x = 0; x < p.breast.width; ++x)
      if (p.breast.at(x, y)) sx += x, sy += y, n += 1;
  return {sx / n * p.image.pixel_size_mm, sy / n * p.image.pixel_size_mm};
}

TEST(PhantomSeries, ChangesAreLabelledAndPositionsFollowTheTransform) {
  PhantomChangeSpec ch;
  ch.rotation_deg = 3;
  ch.shift_x_mm = 4;
  ch.shift_y_mm = -3;
  ch.scale = 1.03;
  ch.add_clusters = 1;
  ch.remove_clusters = 1;
  ch.grow_clusters = 1;
  ch.shrink_clusters = 1;
  PhantomSpec spec = series_spec();
  spec.random_clusters = 5;  // 3 change, 2 stay stable
  const auto [prior, current] = make_phantom_pair(spec, ch);
  ASSERT_TRUE(prior.transform.has_value());
  ASSERT_TRUE(current.transform.has_value());
  EXPECT_EQ(prior.time_point, "prior");
  EXPECT_EQ(current.time_point, "current");
  const PhantomTransform& t = *current.transform;
  EXPECT_DOUBLE_EQ(t.rotation_deg, 3);
  // inverse really inverts
  const auto [bx, by] = t.inverse(t.apply(12.5, 80.0).first, t.apply(12.5, 80.0).second);
  EXPECT_NEAR(bx, 12.5, 1e-9);
  EXPECT_NEAR(by, 80.0, 1e-9);

  std::map<int, const PhantomCluster*> prior_by_id;
  for (const auto& c : prior.clusters) prior_by_id[c.id] = &c;
  std::map<std::string, int> labels;
  for (const auto& c : current.clusters) labels[c.change]++;
  EXPECT_EQ(labels["new"], 1);
  EXPECT_EQ(labels["increased"], 1);
  EXPECT_EQ(labels["decreased"], 1);
  EXPECT_GE(labels["stable"], 1);
  int resolved = 0;
  for (const auto& c : prior.clusters) resolved += c.change == "resolved";
  EXPECT_EQ(resolved, 1);
  for (const auto& c : current.clusters) EXPECT_NE(c.change, "resolved");

  int checked = 0;
  for (const auto& c : current.clusters) {
    if (c.change == "new") {
      EXPECT_EQ(c.prior_cluster_id, 0);
      continue;
    }
    ASSERT_NE(c.prior_cluster_id, 0) << "cluster " << c.id << " (" << c.change << ") has no prior counterpart";
    const PhantomCluster& pc = *prior_by_id.at(c.prior_cluster_id);
    const auto n_cur = c.calcification_ids.size(), n_prior = pc.calcification_ids.size();
    if (c.change == "increased") EXPECT_GT(n_cur, n_prior);
    if (c.change == "decreased") EXPECT_LT(n_cur, n_prior);
    if (c.change == "stable") EXPECT_EQ(n_cur, n_prior);
    // the cluster centre maps through the transform
    const auto [mx, my] = t.apply(pc.x_mm, pc.y_mm);
    EXPECT_NEAR(mx, c.x_mm, 0.5);
    EXPECT_NEAR(my, c.y_mm, 0.5);
    if (c.change != "stable") continue;
    // every prior calcification of a stable cluster lands on a current one
    for (int pid : pc.calcification_ids) {
      const auto& pk = prior.calcifications[static_cast<std::size_t>(pid - 1)];
      ASSERT_EQ(pk.id, pid);
      const auto [x, y] = t.apply(pk.x_mm, pk.y_mm);
      double best = 1e9;
      for (int cid : c.calcification_ids) {
        const auto& ck = current.calcifications[static_cast<std::size_t>(cid - 1)];
        best = std::min(best, std::hypot(ck.x_mm - x, ck.y_mm - y));
      }
      EXPECT_LT(best, 0.5);
      ++checked;
    }
  }
  EXPECT_GT(checked, 0);
  // the breast itself moved with the transform
  const auto [pcx, pcy] = mask_centroid_mm(prior);
  const auto [ccx, ccy] = mask_centroid_mm(current);
  const auto [qx, qy] = t.apply(pcx, pcy);
  EXPECT_NEAR(qx, ccx, 3.0);
  EXPECT_NEAR(qy, ccy, 3.0);
  // the truth JSON carries the transform
  const auto j = phantom_truth_to_json(current);
  ASSERT_TRUE(j.contains("transform"));
  EXPECT_DOUBLE_EQ(j.at("transform").at("scale").get<double>(), 1.03);
  const Phantom back = phantom_truth_from_json(j);
  ASSERT_TRUE(back.transform.has_value());
  EXPECT_DOUBLE_EQ(back.transform->shift_x_mm, 4);
}

TEST(PhantomSeries, IdentityChangeGivesTheSameAnatomy) {
  const auto [prior, current] = make_phantom_pair(series_spec(), PhantomChangeSpec{});
  ASSERT_EQ(prior.image.pixels.size(), current.image.pixels.size());
  EXPECT_EQ(prior.breast.pixels, current.breast.pixels);
  // same anatomy, different noise: close but not identical
  double diff = 0;
  std::size_t n = 0, same = 0;
  for (std::size_t i = 0; i < prior.image.pixels.size(); ++i) {
    if (!prior.breast.pixels[i]) continue;
    diff += std::abs(prior.image.pixels[i] - current.image.pixels[i]);
    same += prior.image.pixels[i] == current.image.pixels[i];
    ++n;
  }
  EXPECT_LT(diff / n, 0.02);
  EXPECT_LT(same, n);
  for (const auto& c : current.clusters) EXPECT_EQ(c.change, "stable");
}

// ---- CLI ----

TEST(PhantomCli, WritesPngAndTruth) {
  test::TempDir dir("calcscope-phantom");
  const auto png = dir / "p.png";
  const auto r = test::run_cli("phantom --output '" + png.string() +
                               "' --seed 3 --width-mm 100 --height-mm 120 --pixel-size 0.2 --clusters 2 --view MLO"
                               " --laterality R --cluster 'morphology=punctate,count=6,diameter=0.4,extent=8'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(std::filesystem::exists(png));
  std::ifstream f(png, std::ios::binary);
  char sig[8] = {};
  f.read(sig, 8);
  EXPECT_EQ(std::string(sig + 1, 3), "PNG");
  const auto truth_path = dir / "p.truth.json";
  ASSERT_TRUE(std::filesystem::exists(truth_path)) << r.output;
  const Phantom t = read_phantom_truth(truth_path);
  EXPECT_EQ(t.image.width, 500);
  EXPECT_EQ(t.image.height, 600);
  EXPECT_EQ(t.image.info.laterality, "R");
  EXPECT_EQ(t.image.info.view, "MLO");
  EXPECT_EQ(t.clusters.size(), 3u);
  EXPECT_EQ(t.clusters[0].calcification_ids.size(), 6u);
  EXPECT_EQ(t.seed, 3u);
}

TEST(PhantomCli, WritesAPriorAndBadArgumentsFail) {
  test::TempDir dir("calcscope-phantom");
  const auto r = test::run_cli("phantom --output '" + (dir / "cur.png").string() + "' --prior '" +
                               (dir / "pri.png").string() +
                               "' --seed 4 --width-mm 100 --height-mm 120 --pixel-size 0.25 --clusters 1 --add 1"
                               " --rotation 2 --shift-x-mm 3");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Phantom prior = read_phantom_truth(dir / "pri.truth.json");
  const Phantom cur = read_phantom_truth(dir / "cur.truth.json");
  EXPECT_EQ(prior.time_point, "prior");
  ASSERT_TRUE(cur.transform.has_value());
  EXPECT_DOUBLE_EQ(cur.transform->rotation_deg, 2);
  EXPECT_EQ(cur.clusters.size(), prior.clusters.size() + 1);

  const auto bad = test::run_cli("phantom --output '" + (dir / "x.png").string() + "' --cluster 'morphology=banana'");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("banana"), std::string::npos) << bad.output;
  const auto bad_ext = test::run_cli("phantom --output '" + (dir / "x.bmp").string() + "' --pixel-size 0.5");
  EXPECT_NE(bad_ext.exit_code, 0);
}

TEST(PhantomCli, DemoCommandWritesDicom) {
  test::TempDir dir("calcscope-phantom");
  const auto r = test::run_cli("phantom --output '" + (dir / "demo.dcm").string() + "' --truth '" +
                               (dir / "demo.truth.json").string() +
                               "' --seed 7 --width-mm 180 --height-mm 230 --pixel-size 0.1 --clusters 3 --laterality L --view CC");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream f(dir / "demo.dcm", std::ios::binary);
  char head[132] = {};
  f.read(head, 132);
  EXPECT_EQ(std::string(head + 128, 4), "DICM");
  const Phantom t = read_phantom_truth(dir / "demo.truth.json");
  EXPECT_EQ(t.clusters.size(), 3u);
  EXPECT_EQ(t.image.width, 1800);
}

}  // namespace
}  // namespace calcscope
