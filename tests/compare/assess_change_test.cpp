// Effect of the comparison on the assessment (Done-when 4): new, increased, stable 2 years,
// resolved, and the category-3 follow-up schedule with dates.
#include <gtest/gtest.h>

#include "calcscope/compare/assess_change.h"
#include "calcscope/core/error.h"
#include "compare_test_util.h"

namespace calcscope {
namespace {

ClusterChange change_of(const std::string& label, int id, int now, int then) {
  ClusterChange c;
  c.change = label;
  c.current_cluster_id = label == "resolved" ? 0 : id;
  c.prior_cluster_id = label == "new" ? 0 : 100 + id;
  c.count_now = now, c.count_then = then;
  c.x_mm = 40, c.y_mm = 70;
  return c;
}

ClusterDescription described(int id, const std::string& category, const std::string& morphology = "amorphous") {
  ClusterDescription d;
  d.cluster_id = id;
  d.category = category;
  d.morphology = morphology;
  d.distribution = "grouped";
  return d;
}

ChangeResult result_with(std::vector<ClusterChange> cs, const std::string& current_date, const std::string& prior_date) {
  ChangeResult r;
  r.current_date = current_date;
  r.prior_dates = {prior_date};
  r.clusters = std::move(cs);
  return r;
}

TEST(AssessChange, NewClusterRaisesToAtLeast4A) {
  const auto a = assess_changes(result_with({change_of("new", 1, 7, 0)}, "2024-05-01", "2023-05-02"), {described(1, "3")});
  ASSERT_EQ(a.clusters.size(), 1u);
  EXPECT_EQ(a.clusters[0].category_before, "3");
  EXPECT_EQ(a.clusters[0].category_after, "4A");
  EXPECT_NE(a.clusters[0].reason.find("new"), std::string::npos);
  EXPECT_EQ(a.category_after, "4A");
  EXPECT_EQ(a.recommendation, "biopsy");
  ASSERT_EQ(a.changes.size(), 1u);
  // a higher category from the description is never lowered
  EXPECT_EQ(assess_changes(result_with({change_of("new", 1, 7, 0)}, "2024-05-01", "2023-05-02"), {described(1, "4C")})
                .clusters[0].category_after, "4C");
  // typically benign new calcifications are not raised
  EXPECT_EQ(assess_changes(result_with({change_of("new", 1, 7, 0)}, "2024-05-01", "2023-05-02"),
                           {described(1, "2", "typically_benign")}).clusters[0].category_after, "2");
}

TEST(AssessChange, IncreasedClusterRaisesToAtLeast4A) {
  const auto a = assess_changes(result_with({change_of("increased", 2, 14, 8)}, "2024-05-01", "2023-05-02"), {described(2, "3")});
  EXPECT_EQ(a.clusters[0].category_after, "4A");
  EXPECT_NE(a.clusters[0].reason.find("8 -> 14"), std::string::npos) << a.clusters[0].reason;
}

TEST(AssessChange, ChangeToSegmentalRaises) {
  ClusterChange c = change_of("stable", 3, 8, 8);
  c.distribution_changed = true;
  c.distribution_then = "grouped";
  ClusterDescription d = described(3, "3");
  d.distribution = "segmental";
  const auto a = assess_changes(result_with({c}, "2024-05-01", "2023-05-02"), {d});
  EXPECT_EQ(a.clusters[0].category_after, "4A");
  EXPECT_NE(a.clusters[0].reason.find("segmental"), std::string::npos);
}

TEST(AssessChange, StableForTwoYearsBecomesBenign) {
  ClusterChange c = change_of("stable", 4, 8, 8);
  c.stable_since = "2022-04-28";
  const auto a = assess_changes(result_with({c}, "2024-05-01", "2023-05-02"), {described(4, "3")});
  EXPECT_EQ(a.clusters[0].category_after, "2");
  EXPECT_GE(a.clusters[0].stable_months, 24);
  EXPECT_EQ(a.recommendation, "routine_screening");
  // one year is not enough: stays 3, with the next follow-up at 24 months from the baseline
  c.stable_since = "2023-05-02";
  const auto b = assess_changes(result_with({c}, "2024-05-01", "2023-05-02"), {described(4, "3")});
  EXPECT_EQ(b.clusters[0].category_after, "3");
  ASSERT_EQ(b.clusters[0].follow_up.size(), 1u);
  EXPECT_EQ(b.clusters[0].follow_up[0].months_from_baseline, 24);
  EXPECT_EQ(b.clusters[0].next_follow_up_date, "2025-05-02");
  // suspicious morphology stays suspicious even when stable
  c.stable_since = "2021-01-01";
  EXPECT_EQ(assess_changes(result_with({c}, "2024-05-01", "2023-05-02"), {described(4, "4B", "fine_pleomorphic")})
                .clusters[0].category_after, "4B");
}

TEST(AssessChange, Category3FollowUpAdvancesWithDates) {
  // new and probably benign at baseline: 6, 12, 24 months from today
  ClusterChange first = change_of("new", 5, 6, 0);
  const auto a0 = assess_changes(result_with({first}, "2023-01-10", "2021-12-01"), {described(5, "3", "typically_benign")});
  ASSERT_EQ(a0.clusters[0].category_after, "3");
  ASSERT_EQ(a0.clusters[0].follow_up.size(), 3u);
  EXPECT_EQ(a0.clusters[0].follow_up[0].date, "2023-07-10");
  EXPECT_EQ(a0.clusters[0].follow_up[1].date, "2024-01-10");
  EXPECT_EQ(a0.clusters[0].follow_up[2].date, "2025-01-10");
  EXPECT_EQ(a0.recommendation, "short_interval_follow_up");
  EXPECT_NE(a0.recommendation_text.find("2023-07-10"), std::string::npos);
  // the 6-month exam: stable since the baseline -> next at 12 months
  ClusterChange six = change_of("stable", 5, 6, 6);
  six.stable_since = "2023-01-10";
  const auto a6 = assess_changes(result_with({six}, "2023-07-14", "2023-01-10"), {described(5, "3")});
  ASSERT_EQ(a6.clusters[0].follow_up.size(), 2u);
  EXPECT_EQ(a6.clusters[0].follow_up[0].months_from_baseline, 12);
  EXPECT_EQ(a6.next_follow_up_date, "2024-01-10");
  // the 12-month exam -> next at 24 months
  six.stable_since = "2023-01-10";
  const auto a12 = assess_changes(result_with({six}, "2024-01-12", "2023-07-14"), {described(5, "3")});
  ASSERT_EQ(a12.clusters[0].follow_up.size(), 1u);
  EXPECT_EQ(a12.clusters[0].next_follow_up_date, "2025-01-10");
  // the 24-month exam -> benign
  const auto a24 = assess_changes(result_with({six}, "2025-01-09", "2024-01-12"), {described(5, "3")});
  EXPECT_EQ(a24.clusters[0].category_after, "2");
}

TEST(AssessChange, ResolvedIsReported) {
  const auto a = assess_changes(result_with({change_of("resolved", 6, 0, 9)}, "2024-05-01", "2023-05-02"), {});
  ASSERT_EQ(a.clusters.size(), 1u);
  EXPECT_EQ(a.clusters[0].change, "resolved");
  ASSERT_EQ(a.changes.size(), 1u);
  EXPECT_NE(a.changes[0].find("no longer seen"), std::string::npos);
  EXPECT_NE(a.changes[0].find("2023-05-02"), std::string::npos);
  const auto j = to_json(a);
  EXPECT_EQ(j["clusters"][0]["change"], "resolved");
}

TEST(AssessChange, CategoryOrder) {
  EXPECT_EQ(worse_category("3", "0"), "0");
  EXPECT_EQ(worse_category("4A", "0"), "4A");
  EXPECT_EQ(worse_category("", "2"), "2");
  EXPECT_THROW(category_rank("7"), Error);
}

}  // namespace
}  // namespace calcscope
