// Reports written for a hand-built analysis: HTML for the radiologist, plain language for the patient.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "../assess/assess_fixtures.h"
#include "calcscope/assess/assess.h"
#include "calcscope/core/error.h"
#include "calcscope/report/json_output.h"
#include "calcscope/report/reports.h"
#include "test_support.h"

namespace calcscope {
namespace {

using test::count_of;
using test::slurp;



TEST(ReportRequest, Parses) {
  const auto r = parse_report_request("html,patient");
  EXPECT_TRUE(r.html);
  EXPECT_TRUE(r.patient);
  EXPECT_FALSE(r.sr);
  EXPECT_THROW(parse_report_request("html,pdf"), Error);
}

TEST(HtmlEscape, EscapesEverythingSpecial) {
  EXPECT_EQ(html_escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

// A string that is not UTF-8 (a file name's bytes) does not fail the whole JSON: its bad bytes
// become U+FFFD, and the file reads back.
TEST(JsonText, InvalidUtf8BecomesReplacementCharacters) {
  const nlohmann::json j = {{"source", std::string("bad\xffname.png")}, {"n", 1}};
  EXPECT_EQ(json_text(j, -1), "{\"n\":1,\"source\":\"bad\xef\xbf\xbdname.png\"}");
  test::TempDir dir("calcscope-json-text");
  write_json_file(j, dir / "out.json");
  EXPECT_EQ(read_json_file(dir / "out.json").at("source"), "bad\xef\xbf\xbdname.png");
}

TEST(MonthAfter, AddsMonths) {
  EXPECT_EQ(month_after("20260101", 6), "July 2026");
  EXPECT_EQ(month_after("20261115", 2), "January 2027");
  EXPECT_EQ(month_after("20260101", 24), "January 2028");
  EXPECT_EQ(month_after("", 6), "");
  EXPECT_EQ(month_after("2026-01-01", 6), "");
}

TEST(ImageReports, HtmlAndPatientFilesContainTheFindings) {
  AnalysisResult r = test::empty_result();
  r.image_meta_only.info.patient_name = "Doe^<script>alert(1)</script>";
  test::add_cluster(r, test::pleomorphic(1, 80, 100));
  test::add_cluster(r, test::punctate(101, 60, 150));
  const Image im = test::render(r);
  test::TempDir dir;
  ReportRequest req;
  req.html = req.patient = true;
  const auto j = write_image_reports(im, r, req, dir.path(), "case1");
  EXPECT_EQ(j["assessment"]["category"], "4B");
  EXPECT_EQ(j["description"]["clusters"].size(), 2u);

  const std::string html = slurp(dir / "case1.report.html");
  EXPECT_EQ(count_of(html, "src=\"data:image/png;base64,"), 3u);  // overview + 2 crops
  EXPECT_EQ(count_of(html, "<tr class=\"finding\">"), 2u);
  EXPECT_NE(html.find("id=\"findings\""), std::string::npos);
  EXPECT_NE(html.find("fine pleomorphic"), std::string::npos);
  EXPECT_NE(html.find("BI-RADS 4B"), std::string::npos);
  EXPECT_NE(html.find(category_info("4B").recommendation.text), std::string::npos);
  EXPECT_NE(html.find(std::string("calcscope ") + CALCSCOPE_VERSION), std::string::npos);
  EXPECT_NE(html.find("second reading"), std::string::npos);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);

  const std::string txt = slurp(dir / "case1.patient.txt");
  const std::string phtml = slurp(dir / "case1.patient.html");
  for (const auto* s : {&txt, &phtml}) {
    EXPECT_NE(s->find("not a diagnosis"), std::string::npos);
    EXPECT_NE(s->find("Calcifications do not turn into cancer"), std::string::npos);
    EXPECT_NE(s->find("3 or more years"), std::string::npos);
    EXPECT_NE(s->find("between 10 and 50 in 100"), std::string::npos);
    EXPECT_NE(s->find("about 29 in 100"), std::string::npos);
  }
  EXPECT_NE(txt.find("Is a biopsy recommended?\n------------------------\nYes"), std::string::npos) << txt;
  EXPECT_EQ(phtml.find("<script"), std::string::npos);
}

// Session 21: a description's caution (here: a fine pleomorphic group with one 1.6 mm member)
// reaches the radiologist's report and, in plain words, the patient's summary; a cluster without one
// does not get the words.
TEST(ImageReports, ACautionReachesBothReports) {
  AnalysisResult r = test::empty_result();
  auto pieces = test::pleomorphic(1, 80, 100);
  pieces.front().diameter_mm = 1.6;
  test::add_cluster(r, pieces);
  test::TempDir dir;
  ReportRequest req;
  req.html = req.patient = true;
  const auto j = write_image_reports(test::render(r), r, req, dir.path(), "c1");
  ASSERT_EQ(j["description"]["clusters"].size(), 1u);
  ASSERT_EQ(j["description"]["clusters"][0]["cautions"].size(), 1u) << j["description"]["clusters"][0].dump();
  EXPECT_NE(slurp(dir / "c1.report.html").find("<b>Check:</b> its largest member is 1.60 mm"), std::string::npos);
  EXPECT_NE(slurp(dir / "c1.patient.txt").find("one harmless calcification that the computer saw in pieces"),
            std::string::npos);

  AnalysisResult plain = test::empty_result();
  test::add_cluster(plain, test::pleomorphic(1, 80, 100));
  write_image_reports(test::render(plain), plain, req, dir.path(), "c2");
  EXPECT_EQ(slurp(dir / "c2.report.html").find("<b>Check:</b>"), std::string::npos);
  EXPECT_EQ(slurp(dir / "c2.patient.txt").find("saw in pieces"), std::string::npos);
}

/// A result with one cluster and two input warnings (one needing HTML escaping).
AnalysisResult result_with_input_warnings() {
  AnalysisResult r = test::empty_result();
  test::add_cluster(r, test::pleomorphic(1, 80, 100));
  r.image_meta_only.info.warnings = {"lossy compressed image: the smallest calcifications may be altered",
                                     "pixel size <from> PixelSpacing"};
  return r;
}

TEST(ImageReports, InputWarningsAreListedForTheRadiologist) {
  const AnalysisResult r = result_with_input_warnings();
  test::TempDir dir;
  ReportRequest req;
  req.html = true;
  write_image_reports(test::render(r), r, req, dir.path(), "w1");
  const std::string html = slurp(dir / "w1.report.html");
  EXPECT_NE(html.find("<h2>Notes on the input</h2>"), std::string::npos);
  EXPECT_NE(html.find("<li>lossy compressed image: the smallest calcifications may be altered</li>"), std::string::npos);
  EXPECT_NE(html.find("<li>pixel size &lt;from&gt; PixelSpacing</li>"), std::string::npos);

  AnalysisResult clean = test::empty_result();
  write_image_reports(test::render(clean), clean, req, dir.path(), "w2");
  EXPECT_EQ(slurp(dir / "w2.report.html").find("Notes on the input"), std::string::npos);
}

// The patient is told, in plain words, that such notes exist (not their technical text).
TEST(ImageReports, InputWarningsAreMentionedToThePatient) {
  const AnalysisResult r = result_with_input_warnings();
  test::TempDir dir;
  ReportRequest req;
  req.patient = true;
  write_image_reports(Image{}, r, req, dir.path(), "w3");
  const std::string txt = slurp(dir / "w3.patient.txt");
  EXPECT_NE(txt.find("The computer made 2 notes about the picture files"), std::string::npos) << txt;
  EXPECT_EQ(txt.find("PixelSpacing"), std::string::npos);
  EXPECT_NE(slurp(dir / "w3.patient.html").find("The computer made 2 notes"), std::string::npos);

  AnalysisResult clean = test::empty_result();
  test::add_cluster(clean, test::pleomorphic(1, 80, 100));
  write_image_reports(Image{}, clean, req, dir.path(), "w4");
  EXPECT_EQ(slurp(dir / "w4.patient.txt").find("notes about the picture files"), std::string::npos);

  // an exam counts the notes of all its images
  std::vector<std::pair<Image, AnalysisResult>> imgs;
  for (const auto& [lat, v] : std::vector<std::pair<std::string, std::string>>{{"L", "CC"}, {"L", "MLO"}}) {
    AnalysisResult e = test::empty_result(lat, v);
    e.image_meta_only.info.warnings = {"pixel size from PixelSpacing"};
    imgs.emplace_back(test::render(e), e);
  }
  write_exam_reports(assess_exam(imgs), imgs, req, dir.path(), "study2");
  EXPECT_NE(slurp(dir / "study2.patient.txt").find("The computer made 2 notes"), std::string::npos);
}

TEST(ImageReports, ProbablyBenignPatientSummaryGivesTheFollowUpDates) {
  AnalysisResult r = test::empty_result("R", "CC");
  test::add_cluster(r, test::punctate(1, 80, 100));
  test::TempDir dir;
  ReportRequest req;
  req.patient = true;
  const auto j = write_image_reports(Image{}, r, req, dir.path(), "p3");
  EXPECT_EQ(j["assessment"]["category"], "3");
  EXPECT_FALSE(std::filesystem::exists(dir / "p3.report.html"));
  const std::string txt = slurp(dir / "p3.patient.txt");
  EXPECT_NE(txt.find("at most 2 in 100"), std::string::npos);
  EXPECT_NE(txt.find("right breast around July 2026"), std::string::npos) << txt;
  EXPECT_NE(txt.find("around January 2027"), std::string::npos);
  EXPECT_NE(txt.find("around January 2028"), std::string::npos);
  EXPECT_NE(txt.find("No, not on the basis of this reading"), std::string::npos);
  EXPECT_NE(txt.find("stay the same for the rest of your life"), std::string::npos);
}

TEST(ImageReports, NegativeAndUnwritableDirectory) {
  AnalysisResult r = test::empty_result();
  test::TempDir dir;
  ReportRequest req;
  req.html = req.patient = true;
  const auto j = write_image_reports(test::render(r), r, req, dir.path(), "neg");
  EXPECT_EQ(j["assessment"]["category"], "1");
  EXPECT_NE(slurp(dir / "neg.report.html").find("No calcification cluster found"), std::string::npos);
  EXPECT_NE(slurp(dir / "neg.patient.txt").find("no group (cluster) of calcifications"), std::string::npos);
  try {
    write_image_reports(Image{}, r, req, dir / "no" / "such" / "dir", "x");
    FAIL() << "expected Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::OutputFailed);
  }
}

TEST(ExamReports, ExamJsonHtmlAndPatient) {
  std::vector<std::pair<Image, AnalysisResult>> imgs;
  for (const auto& [lat, v] : std::vector<std::pair<std::string, std::string>>{{"L", "CC"}, {"L", "MLO"}, {"R", "CC"}}) {
    AnalysisResult r = test::empty_result(lat, v);
    if (lat == "L") test::add_cluster(r, test::pleomorphic(1, 100, v == "CC" ? 97 : 80));
    imgs.emplace_back(test::render(r), r);
  }
  const ExamResult exam = assess_exam(imgs);
  test::TempDir dir;
  ReportRequest req;
  req.html = req.patient = true;
  const auto j = write_exam_reports(exam, imgs, req, dir.path(), "study1");
  EXPECT_TRUE(std::filesystem::exists(dir / "study1.exam.json"));
  EXPECT_EQ(j["missing_views"].size(), 1u);
  const std::string html = slurp(dir / "study1.report.html");
  EXPECT_NE(html.find("id=\"correlations\""), std::string::npos);
  EXPECT_NE(html.find("id=\"findings-3\""), std::string::npos);
  EXPECT_NE(html.find("R MLO"), std::string::npos);
  const std::string txt = slurp(dir / "study1.patient.txt");
  EXPECT_NE(txt.find("seen in both pictures"), std::string::npos) << txt;
  EXPECT_EQ(count_of(txt, "a group of 8 calcifications"), 1u);  // the correlated pair told once
  EXPECT_NE(txt.find("Pictures missing or not readable: R MLO"), std::string::npos);
}

}  // namespace
}  // namespace calcscope

namespace calcscope {
namespace {

TEST(SrReports, ImageAndExamSrAreWrittenWhenRequested) {
  std::vector<std::pair<Image, AnalysisResult>> imgs;
  for (const std::string v : {"CC", "MLO"}) {
    AnalysisResult r = test::empty_result("L", v);
    // CC-MLO links in the SR need real SOP instance UIDs (the writer invents them only per image).
    r.image_meta_only.info.sop_instance_uid = v == "CC" ? "1.2.826.0.1.3680043.9.7777.1" : "1.2.826.0.1.3680043.9.7777.2";
    r.image_meta_only.info.sop_class_uid = "1.2.840.10008.5.1.4.1.1.1.2";
    r.image_meta_only.info.study_instance_uid = "1.2.826.0.1.3680043.9.7777.0";
    test::add_cluster(r, test::pleomorphic(1, 100, v == "CC" ? 97 : 80));
    imgs.emplace_back(test::render(r), r);
  }
  test::TempDir dir;
  ReportRequest req;
  req.sr = true;
  const auto j = write_image_reports(imgs[0].first, imgs[0].second, req, dir.path(), "img");
  EXPECT_TRUE(std::filesystem::exists(dir / "img.sr.dcm"));
  EXPECT_EQ(j["sr"]["clusters"], 1);
  ExamParams p;
  p.require_both_breasts = false;
  const ExamResult exam = assess_exam(imgs, {}, p);
  ASSERT_EQ(exam.correlations.size(), 1u);
  const auto e = write_exam_reports(exam, imgs, req, dir.path(), "study");
  EXPECT_TRUE(std::filesystem::exists(dir / "study.sr.dcm"));
  EXPECT_EQ(e["sr"]["spatial_links"], 1);
  EXPECT_EQ(read_json_file(dir / "study.exam.json")["sr"]["spatial_links"], 1);
}

}  // namespace
}  // namespace calcscope
