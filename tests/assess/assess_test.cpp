// Every category reached by a constructed case, with the matching recommendation and likelihood range.
#include <gtest/gtest.h>

#include "assess_fixtures.h"
#include "calcscope/assess/assess.h"
#include "calcscope/assess/describe.h"
#include "calcscope/core/error.h"

namespace calcscope {
namespace {

using test::add_cluster;
using test::calc;
using test::empty_result;

struct Case {
  std::string expected;
  AnalysisResult result;
};

/// FLB triangle of 20 members pointing to the nipple: segmental.
std::vector<Calcification> segmental_branching(int first) {
  std::vector<Calcification> v;
  for (int i = 0; i < 20; ++i) {
    const double x = 125 - 1.6 * i, half = 0.45 * i;
    const double y = 100 + (i % 2 ? half : -half) * ((i % 4) / 3.0 + 0.3);
    v.push_back(calc(first + i, x, y, 0.45, 4.0, (i % 3) * 30.0, 0.3, 9));
  }
  return v;
}

// The words come from the rules: the hand-built clusters are not detector output (see
// describe_test.cpp), and these tests are about categories, likelihoods and recommendations.
Assessment run(AnalysisResult& r, ImageDescription* out = nullptr) {
  DescribeParams rules;
  rules.use_descriptor_model = false;
  ImageDescription d = describe_image(Image{}, r, rules);
  const Assessment a = assess_image(d, r.image_meta_only.info.laterality);
  if (out) *out = d;
  return a;
}

void expect_in_range(const Assessment& a) {
  const auto& info = category_info(a.category);
  const double p = a.likelihood_of_malignancy;
  if (a.category == "0" || a.category == "1" || a.category == "2") EXPECT_EQ(p, 0.0) << a.category;
  else if (a.category == "5") EXPECT_GE(p, 0.95);
  else if (a.category == "4C") {
    EXPECT_GT(p, info.likelihood_min);
    EXPECT_LT(p, info.likelihood_max);
  } else {
    EXPECT_GT(p, info.likelihood_min) << a.category;
    EXPECT_LE(p, info.likelihood_max) << a.category;
  }
}

void expect_recommendation(const Assessment& a) {
  const Recommendation& r = a.recommendation;
  EXPECT_EQ(r.text, category_info(a.category).recommendation.text);
  if (a.category == "1" || a.category == "2") {
    EXPECT_EQ(r.code, "routine_screening");
    EXPECT_NE(r.text.find("annual"), std::string::npos);
    EXPECT_EQ(r.follow_up_months, std::vector<int>{12});
    EXPECT_EQ(r.breast, "both");
  } else if (a.category == "3") {
    EXPECT_EQ(r.code, "short_interval_follow_up");
    EXPECT_NE(r.text.find("this breast at 6 months"), std::string::npos);
    EXPECT_NE(r.text.find("both breasts at 12 and 24 months"), std::string::npos);
    EXPECT_EQ(r.follow_up_months, (std::vector<int>{6, 12, 24}));
  } else if (a.category == "0") {
    EXPECT_EQ(r.code, "additional_imaging");
    EXPECT_NE(r.text.find("magnification"), std::string::npos);
    EXPECT_NE(r.text.find("prior mammograms"), std::string::npos);
  } else {
    EXPECT_EQ(r.code, "biopsy");
    EXPECT_NE(r.text.find("Stereotactic"), std::string::npos);
    EXPECT_TRUE(r.follow_up_months.empty());
  }
}

TEST(CategoryTable, EveryCategoryHasARecommendationAndOrderedSeverity) {
  const std::vector<std::string> order = {"1", "2", "3", "0", "4A", "4B", "4C", "5"};
  for (std::size_t i = 0; i + 1 < order.size(); ++i)
    EXPECT_LT(category_info(order[i]).severity, category_info(order[i + 1]).severity);
  EXPECT_EQ(category_table().size(), order.size());
  for (const auto& c : category_table()) EXPECT_FALSE(c.recommendation.text.empty()) << c.category;
  EXPECT_THROW(category_info("6x"), Error);
}

TEST(CategoryTable, LikelihoodBoundaries) {
  EXPECT_EQ(category_for_likelihood(0.005), "3");
  EXPECT_EQ(category_for_likelihood(0.02), "3");
  EXPECT_EQ(category_for_likelihood(0.021), "4A");
  EXPECT_EQ(category_for_likelihood(0.10), "4A");
  EXPECT_EQ(category_for_likelihood(0.11), "4B");
  EXPECT_EQ(category_for_likelihood(0.50), "4B");
  EXPECT_EQ(category_for_likelihood(0.51), "4C");
  EXPECT_EQ(category_for_likelihood(0.949), "4C");
  EXPECT_EQ(category_for_likelihood(0.95), "5");
}

TEST(Assess, EveryCategoryReachedWithMatchingRecommendation) {
  std::vector<Case> cases;
  cases.push_back({"1", empty_result()});
  {
    AnalysisResult r = empty_result();
    r.calcifications.push_back(calc(1, 80, 100, 3.0, 1.3, 0, 0.4));  // one coarse calcification, no cluster
    cases.push_back({"2", r});
  }
  {
    AnalysisResult r = empty_result();
    add_cluster(r, test::punctate(1, 80, 100));
    cases.push_back({"3", r});
  }
  {
    AnalysisResult r = empty_result();
    add_cluster(r, test::coarse_heterogeneous(1, 90, 100, 12));  // spread over ~24 mm: regional
    cases.push_back({"4A", r});
  }
  {
    AnalysisResult r = empty_result();
    add_cluster(r, test::pleomorphic(1, 80, 100));
    cases.push_back({"4B", r});
  }
  {
    AnalysisResult r = empty_result();
    add_cluster(r, test::linear_branching(1, 80, 100));
    cases.push_back({"4C", r});
  }
  {
    AnalysisResult r = empty_result();
    add_cluster(r, segmental_branching(1), 0.9);
    cases.push_back({"5", r});
  }
  for (auto& c : cases) {
    ImageDescription d;
    const Assessment a = run(c.result, &d);
    EXPECT_EQ(a.category, c.expected) << a.reason;
    expect_in_range(a);
    expect_recommendation(a);
    EXPECT_FALSE(a.reason.empty());
    for (const auto& cl : d.clusters) {
      EXPECT_FALSE(cl.reason.empty());
      EXPECT_EQ(cl.rendering_intent, cl.category == "2"   ? "Not for Presentation"
                                     : cl.category == "3" ? "Optional"
                                                          : "Required");
    }
  }
  const Assessment zero = incomplete_assessment("the right MLO view is missing", "R");
  EXPECT_EQ(zero.category, "0");
  expect_recommendation(zero);
  EXPECT_EQ(zero.recommendation.breast, "R");
}

TEST(Assess, ImageLevelIsTheWorstCluster) {
  AnalysisResult r = empty_result();
  add_cluster(r, test::punctate(1, 60, 60));
  add_cluster(r, test::linear_branching(101, 80, 140));
  ImageDescription d;
  const Assessment a = run(r, &d);
  EXPECT_EQ(d.clusters[0].category, "3");
  EXPECT_EQ(a.category, d.clusters[1].category);
  EXPECT_NE(a.reason.find("cluster 2"), std::string::npos);
  EXPECT_EQ(a.recommendation.breast, "L");
}

TEST(Assess, ConfidenceAndCountMoveTheLikelihood) {
  ClusterDescription base;
  base.morphology = "fine_pleomorphic";
  base.distribution = "grouped";
  base.measurements = {{"count", 8}};
  base.confidence = 0.5;
  ClusterDescription low = base, high = base, many = base, diffuse = base;
  low.confidence = 0.1;
  high.confidence = 0.95;
  many.measurements["count"] = 25;
  diffuse.distribution = "diffuse";
  for (auto* c : {&base, &low, &high, &many, &diffuse}) assess_cluster(*c);
  EXPECT_LT(low.likelihood_of_malignancy, base.likelihood_of_malignancy);
  EXPECT_GT(high.likelihood_of_malignancy, base.likelihood_of_malignancy);
  EXPECT_GT(many.likelihood_of_malignancy, base.likelihood_of_malignancy);
  EXPECT_LT(diffuse.likelihood_of_malignancy, base.likelihood_of_malignancy);
  EXPECT_NEAR(base.likelihood_of_malignancy, 0.29, 1e-9);
}

TEST(Assess, TypicallyBenignClustersAreCategory2) {
  AnalysisResult r = empty_result();
  std::vector<Calcification> v;
  for (int i = 0; i < 4; ++i) v.push_back(calc(i + 1, 60 + 4 * i, 60, 3.0, 1.3, 0, 0.4));
  add_cluster(r, v);
  ImageDescription d;
  EXPECT_EQ(run(r, &d).category, "2");
  EXPECT_EQ(d.clusters[0].likelihood_of_malignancy, 0.0);
}

TEST(Assess, JsonHasTheFieldsTheLeadMerges) {
  AnalysisResult r = empty_result();
  add_cluster(r, test::pleomorphic(1, 80, 100));
  ImageDescription d = describe_image(Image{}, r);
  assess_image(d, "L");
  const auto j = description_to_json(d);
  ASSERT_TRUE(j.contains("description"));
  EXPECT_EQ(j["description"]["calcifications"].size(), 8u);
  EXPECT_EQ(j["description"]["clusters"][0]["morphology"], "fine_pleomorphic");
  EXPECT_EQ(j["assessment"]["category"], "4B");
  EXPECT_EQ(j["assessment"]["recommendation"]["code"], "biopsy");
  EXPECT_EQ(j["assessment"]["recommendation"]["breast"], "L");
  EXPECT_TRUE(j["assessment"]["recommendation"]["follow_up_months"].is_array());
}

}  // namespace
}  // namespace calcscope
