// Exam mode: CC/MLO correlation, missing views, breast and exam assessment.
#include <gtest/gtest.h>

#include "assess_fixtures.h"
#include "calcscope/assess/exam.h"

namespace calcscope {
namespace {

using test::add_cluster;
using test::empty_result;

std::pair<Image, AnalysisResult> view(const std::string& lat, const std::string& v) {
  AnalysisResult r = empty_result(lat, v);
  Image meta;
  meta.info = r.image_meta_only.info;
  return {meta, r};
}

TEST(Exam, FourViewsCorrelateTheSameClusterAndRaiseConfidence) {
  std::vector<std::pair<Image, AnalysisResult>> imgs = {view("L", "CC"), view("L", "MLO"), view("R", "CC"),
                                                        view("R", "MLO")};
  // Nipple at (150,100): CC cluster 54 mm away, 20 mm lateral (above); MLO cluster 57 mm away, 20 mm up.
  add_cluster(imgs[0].second, test::pleomorphic(1, 100, 80), 0.6);
  add_cluster(imgs[1].second, test::pleomorphic(1, 97, 80), 0.5);
  // A second MLO cluster far away must not be linked.
  add_cluster(imgs[1].second, test::punctate(101, 40, 160), 0.5);
  const ExamResult exam = assess_exam(imgs);
  ASSERT_EQ(exam.correlations.size(), 1u);
  const auto& c = exam.correlations[0];
  EXPECT_EQ(c.breast, "L");
  EXPECT_EQ(c.cc_cluster, 1);
  EXPECT_EQ(c.mlo_cluster, 1);
  EXPECT_EQ(c.quadrant, "upper outer");
  EXPECT_GE(c.clock_hour, 1);
  EXPECT_LE(c.clock_hour, 3);  // left breast: outer = 3 o'clock side
  const auto& cc = exam.images[0].description.clusters[0];
  EXPECT_EQ(cc.correlated_cluster_id, 1);
  EXPECT_EQ(cc.correlated_image, exam.images[1].key);
  EXPECT_NEAR(cc.confidence, 1 - 0.4 * 0.5, 1e-9);
  EXPECT_EQ(exam.images[1].description.clusters[1].correlated_cluster_id, 0);
  EXPECT_TRUE(exam.missing_views.empty());
  EXPECT_EQ(exam.breasts.at("R").category, "1");
  EXPECT_EQ(exam.assessment.category, exam.breasts.at("L").category);
  EXPECT_EQ(exam.assessment.recommendation.code, "biopsy");
  EXPECT_EQ(exam.assessment.recommendation.breast, "L");
  const auto j = exam_to_json(exam);
  EXPECT_EQ(j["kind"], "calcscope-exam");
  EXPECT_EQ(j["correlations"].size(), 1u);
  EXPECT_EQ(j["images"][0]["description"]["clusters"][0]["correlated_cluster_id"], 1);
}

TEST(Exam, FarApartClustersAreNotLinked) {
  std::vector<std::pair<Image, AnalysisResult>> imgs = {view("L", "CC"), view("L", "MLO")};
  add_cluster(imgs[0].second, test::pleomorphic(1, 130, 100));  // 20 mm from the nipple
  add_cluster(imgs[1].second, test::pleomorphic(1, 80, 100));   // 70 mm
  ExamParams p;
  p.require_both_breasts = false;
  EXPECT_TRUE(assess_exam(imgs, {}, p).correlations.empty());
}

TEST(Exam, MissingViewGivesCategory0WithAReason) {
  std::vector<std::pair<Image, AnalysisResult>> imgs = {view("L", "CC"), view("L", "MLO"), view("R", "CC")};
  const ExamResult exam = assess_exam(imgs, {{"r_mlo", "R", "MLO", "pixel data truncated"}});
  ASSERT_EQ(exam.missing_views.size(), 1u);
  EXPECT_NE(exam.missing_views[0].find("R MLO"), std::string::npos);
  EXPECT_NE(exam.missing_views[0].find("unreadable"), std::string::npos);
  EXPECT_EQ(exam.breasts.at("R").category, "0");
  EXPECT_EQ(exam.breasts.at("L").category, "1");
  EXPECT_EQ(exam.assessment.category, "0");
  EXPECT_NE(exam.assessment.reason.find("missing R MLO"), std::string::npos) << exam.assessment.reason;
  EXPECT_EQ(exam.assessment.recommendation.code, "additional_imaging");
}

TEST(Exam, SuspiciousFindingOutranksAMissingView) {
  std::vector<std::pair<Image, AnalysisResult>> imgs = {view("L", "CC"), view("L", "MLO"), view("R", "CC")};
  add_cluster(imgs[0].second, test::linear_branching(1, 80, 100));
  const ExamResult exam = assess_exam(imgs);
  EXPECT_EQ(exam.breasts.at("R").category, "0");
  EXPECT_EQ(exam.assessment.category, "4C");
  EXPECT_EQ(exam.assessment.recommendation.code, "biopsy");
}

TEST(Exam, MissingBreastAndUnknownLaterality) {
  std::vector<std::pair<Image, AnalysisResult>> imgs = {view("L", "CC"), view("L", "MLO")};
  EXPECT_EQ(assess_exam(imgs).breasts.at("R").category, "0");
  std::vector<std::pair<Image, AnalysisResult>> unknown = {view("", "CC")};
  EXPECT_EQ(assess_exam(unknown).assessment.category, "0");
  EXPECT_EQ(assess_exam({}).assessment.category, "0");
}

}  // namespace
}  // namespace calcscope
