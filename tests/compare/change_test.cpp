// Matching and change labels on hand-made findings with a known registration.
#include <gtest/gtest.h>

#include "calcscope/compare/change.h"
#include "calcscope/core/error.h"
#include "compare_test_util.h"

namespace calcscope {
namespace {

constexpr double kPx = 0.1;

ExamFindings exam(const std::string& date) {
  ExamFindings f;
  f.file = "exam-" + date + ".dcm";
  f.date = date;
  f.pixel_size_mm = kPx;
  f.width = 1800, f.height = 2300;
  return f;
}

/// A prior whose clusters sit where `t` (prior mm -> current mm) says they came from.
PriorExam prior_of(ExamFindings f, const SimilarityTransform& t) {
  PriorExam p;
  p.findings = std::move(f);
  p.registration.transform = t;
  return p;
}

const ClusterChange* by_current(const ChangeResult& r, int id) {
  for (const auto& c : r.clusters)
    if (c.current_cluster_id == id) return &c;
  return nullptr;
}

TEST(ClassifyChange, Tolerances) {
  // real change: |now - then| >= max(2, 30 % of the larger, 0.8 * sqrt(now + then))
  const ChangeParams p;
  EXPECT_EQ(classify_change(8, 8, 6, 6, p), "stable");
  EXPECT_EQ(classify_change(9, 8, 6, 6.5, p), "stable");        // one more: within the tolerance
  EXPECT_EQ(classify_change(10, 8, 6, 6, p), "stable");         // +2 < 0.8 * sqrt(18) = 3.4
  EXPECT_EQ(classify_change(12, 8, 6, 6, p), "increased");      // +4 >= max(3.6, 3.6)
  EXPECT_EQ(classify_change(28, 20, 6, 6, p), "stable");        // +8 < 30 % of 28
  EXPECT_EQ(classify_change(30, 20, 6, 6, p), "increased");
  EXPECT_EQ(classify_change(5, 8, 6, 6, p), "decreased");       // -3 >= 0.8 * sqrt(13) = 2.9
  EXPECT_EQ(classify_change(5, 3, 6, 6, p), "stable");          // small counts: +2 < 0.8 * sqrt(8)
  EXPECT_EQ(classify_change(6, 3, 6, 6, p), "increased");
  EXPECT_EQ(classify_change(8, 8, 12, 6, p), "stable");         // extent rule off by default
  ChangeParams with_extent;
  with_extent.extent_change_min_mm = 3;
  EXPECT_EQ(classify_change(8, 8, 12, 6, with_extent), "increased");  // extent doubled
  EXPECT_EQ(classify_change(7, 8, 12, 6, with_extent), "stable");     // extent up, count down: not a real change
  std::string why;
  classify_change(10, 8, 6, 6, p, &why);
  EXPECT_NE(why.find("10 calcifications now, 8 then"), std::string::npos) << why;
}

TEST(Dates, ParseAddAndCount) {
  EXPECT_EQ(normalise_date("20240131"), "2024-01-31");
  EXPECT_EQ(normalise_date("2024-01-31"), "2024-01-31");
  EXPECT_THROW(normalise_date("31/01/2024"), Error);
  EXPECT_THROW(normalise_date("2024-02-30"), Error);
  EXPECT_EQ(add_months("2024-01-31", 1), "2024-02-29");
  EXPECT_EQ(add_months("2023-07-15", 6), "2024-01-15");
  EXPECT_NEAR(months_between("2022-03-01", "2024-03-01"), 24, 1e-9);
  EXPECT_NEAR(months_between("2024-03-01", "2023-09-01"), -6, 1e-9);
}

TEST(CompareFindings, LabelsEveryKindOfChange) {
  // prior rotated by 3 degrees and shifted; clusters placed in prior coordinates accordingly
  const SimilarityTransform t{3, 1.02, 6, -9};
  const SimilarityTransform inv = t.inverse();
  ExamFindings now = exam("2024-05-02"), then = exam("2023-04-20");
  auto place_prior = [&](int id, double x, double y, int count) {
    const PointPx q = inv.apply({x, y});
    then.clusters.push_back(test::make_cluster(id, q.x, q.y, count, 3 / 1.02, kPx, then.calcifications));
  };
  now.clusters.push_back(test::make_cluster(1, 60, 80, 8, 3, kPx, now.calcifications));    // stable
  place_prior(11, 60.8, 79.5, 8);
  now.clusters.push_back(test::make_cluster(2, 40, 150, 14, 3, kPx, now.calcifications));  // increased
  place_prior(12, 40, 150, 8);
  now.clusters.push_back(test::make_cluster(3, 90, 120, 4, 3, kPx, now.calcifications));   // decreased
  place_prior(13, 90, 120, 10);
  now.clusters.push_back(test::make_cluster(4, 30, 40, 6, 3, kPx, now.calcifications));    // new
  place_prior(14, 110, 190, 7);                                                           // resolved

  const ChangeResult r = compare_findings(now, {prior_of(then, t)});
  ASSERT_EQ(r.clusters.size(), 5u);
  EXPECT_EQ(by_current(r, 1)->change, "stable");
  EXPECT_EQ(by_current(r, 1)->prior_cluster_id, 11);
  EXPECT_EQ(by_current(r, 1)->stable_since, "2023-04-20");
  EXPECT_EQ(by_current(r, 2)->change, "increased");
  EXPECT_EQ(by_current(r, 2)->count_then, 8);
  EXPECT_EQ(by_current(r, 2)->calcifications_persisting, 8);  // the spiral keeps the first 8 in place
  EXPECT_EQ(by_current(r, 2)->calcifications_new, 6);
  EXPECT_EQ(by_current(r, 3)->change, "decreased");
  EXPECT_EQ(by_current(r, 3)->calcifications_gone, 6);
  EXPECT_EQ(by_current(r, 4)->change, "new");
  EXPECT_EQ(by_current(r, 4)->prior_cluster_id, 0);
  EXPECT_EQ(by_current(r, 4)->calcifications_new, 6);
  const ClusterChange& resolved = r.clusters.back();
  EXPECT_EQ(resolved.change, "resolved");
  EXPECT_EQ(resolved.prior_cluster_id, 14);
  EXPECT_NEAR(resolved.x_mm, 110, 0.05);  // mapped into the current image
  EXPECT_NEAR(resolved.y_mm, 190, 0.05);
  EXPECT_NEAR(resolved.current_px.x, 1100, 0.5);
  const PointPx prior_mm = inv.apply({110, 190});
  EXPECT_NEAR(resolved.prior_px.x * kPx, prior_mm.x, 0.05);  // and where it was on the prior
  EXPECT_TRUE(resolved.has_prior_position);

  const nlohmann::json j = to_json(*by_current(r, 2));
  EXPECT_EQ(j["change"], "increased");
  EXPECT_EQ(j["count_now"], 14);
  EXPECT_TRUE(j.contains("prior_x"));
}

TEST(CompareFindings, StableSinceAcrossSeveralPriors) {
  ExamFindings now = exam("2024-06-01");
  now.clusters.push_back(test::make_cluster(1, 50, 100, 8, 3, kPx, now.calcifications));
  now.clusters.push_back(test::make_cluster(2, 80, 60, 12, 3, kPx, now.calcifications));
  std::vector<PriorExam> priors;
  // given oldest first on purpose: they are sorted by date
  for (const auto& [date, count2] : std::vector<std::pair<std::string, int>>{{"2021-05-20", 6}, {"2022-06-03", 12}, {"2023-05-30", 12}}) {
    ExamFindings f = exam(date);
    f.clusters.push_back(test::make_cluster(1, 50, 100, 8, 3, kPx, f.calcifications));
    f.clusters.push_back(test::make_cluster(2, 80, 60, count2, 3, kPx, f.calcifications));
    priors.push_back(prior_of(f, {}));
  }
  const ChangeResult r = compare_findings(now, priors);
  ASSERT_EQ(r.prior_dates.front(), "2023-05-30");
  EXPECT_EQ(by_current(r, 1)->stable_since, "2021-05-20");
  EXPECT_EQ(by_current(r, 1)->stable_priors, 3);
  EXPECT_EQ(by_current(r, 2)->change, "stable");
  EXPECT_EQ(by_current(r, 2)->stable_since, "2022-06-03");  // grew from 6 before that
  EXPECT_EQ(by_current(r, 2)->first_seen, "2021-05-20");
  EXPECT_EQ(by_current(r, 2)->history.back().change, "increased");
}

TEST(CompareFindings, LowScoringClustersMatchButAreNotReported) {
  ExamFindings now = exam("2024-01-01"), then = exam("2023-01-01");
  now.clusters.push_back(test::make_cluster(1, 50, 100, 8, 3, kPx, now.calcifications, 0.3));  // weak now
  then.clusters.push_back(test::make_cluster(1, 50, 100, 8, 3, kPx, then.calcifications, 0.9));
  now.clusters.push_back(test::make_cluster(2, 90, 40, 5, 3, kPx, now.calcifications, 0.2));  // weak, new
  then.clusters.push_back(test::make_cluster(2, 20, 20, 5, 3, kPx, then.calcifications, 0.2));  // weak, gone
  ChangeParams p;
  p.report_min_cluster_score = 0.5;
  const ChangeResult r = compare_findings(now, {prior_of(then, {})}, p);
  ASSERT_EQ(r.clusters.size(), 1u);  // the weak one now still counts as the strong prior's counterpart
  EXPECT_EQ(r.clusters[0].change, "stable");
}

TEST(CompareFindings, UngroupedCalcificationsInThePriorAreNotNew) {
  ExamFindings now = exam("2024-01-01"), then = exam("2023-01-01");
  now.clusters.push_back(test::make_cluster(1, 50, 100, 5, 3, kPx, now.calcifications));
  // the prior shows 4 of them (e.g. its detector did not group them): calcifications only, no cluster
  std::vector<Calcification> calcs;
  test::make_cluster(9, 50, 100, 4, 3, kPx, calcs);
  then.calcifications = calcs;
  ChangeResult r = compare_findings(now, {prior_of(then, {})});
  ASSERT_EQ(r.clusters.size(), 1u);
  EXPECT_EQ(r.clusters[0].change, "stable") << r.clusters[0].reason;
  EXPECT_EQ(r.clusters[0].count_then, 4);
  // with the evidence rule off it is new
  ChangeParams p;
  p.min_calcification_evidence = 0;
  r = compare_findings(now, {prior_of(then, {})}, p);
  EXPECT_EQ(r.clusters[0].change, "new");
  EXPECT_EQ(r.clusters[0].calcifications_persisting, 4);
}

TEST(CompareFindings, ASplitClusterIsOneFinding) {
  // the prior's detector grouped 12 calcifications into one cluster, the current one split the
  // same calcifications into two clusters of 6: one finding, stable, not "new + decreased"
  ExamFindings now = exam("2024-01-01"), then = exam("2023-01-01");
  then.clusters.push_back(test::make_cluster(1, 50, 100, 12, 4, kPx, then.calcifications));
  std::vector<Calcification> all;
  const Cluster whole = test::make_cluster(7, 50, 100, 12, 4, kPx, all);
  for (int part = 0; part < 2; ++part) {
    Cluster c;
    c.id = part + 1;
    c.score = 0.9;
    double sx = 0, sy = 0;
    for (std::size_t k = 0; k < all.size(); ++k) {
      const bool left = all[k].x_mm < 50;
      if (left != (part == 0)) continue;
      Calcification m = all[k];
      m.id = 100 * (part + 1) + static_cast<int>(k);
      now.calcifications.push_back(m);
      c.calcification_ids.push_back(m.id);
      sx += m.x, sy += m.y;
    }
    c.count = static_cast<int>(c.calcification_ids.size());
    c.x = sx / c.count, c.y = sy / c.count, c.x_mm = c.x * kPx, c.y_mm = c.y * kPx;
    c.radius_mm = 3;
    now.clusters.push_back(c);
  }
  ASSERT_EQ(now.clusters[0].count + now.clusters[1].count, whole.count);
  const ChangeResult r = compare_findings(now, {prior_of(then, {})});
  ASSERT_EQ(r.clusters.size(), 2u);  // both current clusters, no "resolved" left over
  for (const auto& c : r.clusters) {
    EXPECT_EQ(c.change, "stable") << c.reason;
    EXPECT_EQ(c.group_clusters_now, 2);
    EXPECT_EQ(c.group_clusters_then, 1);
    EXPECT_EQ(c.count_now, 12);
    EXPECT_EQ(c.count_then, 12);
  }
}

TEST(CompareFindings, Errors) {
  ExamFindings now = exam("2024-01-01");
  EXPECT_THROW(compare_findings(now, {}), Error);
  ExamFindings bad = exam("2023-01-01");
  bad.pixel_size_mm = 0;
  EXPECT_THROW(compare_findings(now, {prior_of(bad, {})}), Error);
}

}  // namespace
}  // namespace calcscope
