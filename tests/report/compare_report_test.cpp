// Comparison reports (`calcscope compare --report html,patient`): the radiologist's HTML with current
// and prior side by side, the patient's summary of what changed. A hand-built comparison checks every
// change label's wording; a phantom time series runs the real CLI; headless Chromium renders the pages.
// Set CALCSCOPE_SCREENSHOT_DIR to keep the screenshots.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <regex>
#include <set>
#include <sstream>

#include "../assess/assess_fixtures.h"
#include "calcscope/assess/assess.h"
#include "calcscope/assess/describe.h"
#include "calcscope/core/error.h"
#include "calcscope/report/compare_report.h"
#include "calcscope/report/json_output.h"
#include "test_support.h"

namespace calcscope {
namespace {

using test::count_of;
using test::slurp;

using test::kChromium;
const char* kPngUri = "data:image/png;base64,iVBORw0KGgo";  // PNG signature in base64



/// The data-change attributes of the table rows, in order.
std::vector<std::string> row_changes(const std::string& html) {
  std::vector<std::string> out;
  const std::regex re("<tr class=\"finding\" data-change=\"([a-z]+)\">");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), re); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1].str());
  return out;
}

/// The words the patient summary uses for a change label.
std::string patient_word(const std::string& change) {
  if (change == "new") return "New:";
  if (change == "increased") return "Grown:";
  if (change == "decreased") return "Fewer:";
  if (change == "stable") return "Unchanged";
  if (change == "resolved") return "No longer seen:";
  return "?";
}

// ---- a hand-built comparison: one finding of each label ---------------------------------------

struct HandBuilt {
  Image now, then;
  CompareRun run;
};

ClusterChange finding(const std::string& change, const Cluster* now, const Cluster* then) {
  ClusterChange c;
  c.change = change;
  c.prior_index = 0;
  if (now) {
    c.current_cluster_id = now->id;
    c.current_px = {now->x, now->y};
    c.x_mm = now->x_mm;
    c.y_mm = now->y_mm;
    c.count_now = now->count;
    c.extent_mm_now = now->extent_mm;
  }
  if (then) {
    c.prior_cluster_id = then->id;
    c.prior_px = {then->x, then->y};
    c.has_prior_position = true;
    c.count_then = then->count;
    c.extent_mm_then = then->extent_mm;
    if (!now) {
      c.current_px = c.prior_px;  // identity registration
      c.x_mm = then->x_mm;
      c.y_mm = then->y_mm;
    }
  }
  c.reason = "hand-built " + change;
  return c;
}

/// Prior 2022-04-20, current 2024-05-01 (24 months: a stable finding becomes benign), identity registration.
std::unique_ptr<HandBuilt> hand_built() {
  auto h = std::make_unique<HandBuilt>();
  AnalysisResult now = test::empty_result("L", "CC"), then = test::empty_result("L", "CC");
  const int n_new = test::add_cluster(now, test::pleomorphic(test::next_id(now), 40, 60), 0.8);
  const int n_stable = test::add_cluster(now, test::punctate(test::next_id(now), 80, 100), 0.6);
  const int p_stable = test::add_cluster(then, test::punctate(test::next_id(then), 80, 100), 0.6);
  auto grown = test::punctate(test::next_id(now), 60, 150);
  const int n_grown = test::add_cluster(now, grown, 0.6);
  grown.resize(grown.size() / 2);
  for (std::size_t i = 0; i < grown.size(); ++i) grown[i].id = test::next_id(then) + static_cast<int>(i);
  const int p_grown = test::add_cluster(then, grown, 0.6);
  const int n_fewer = test::add_cluster(now, test::amorphous(test::next_id(now), 100, 70), 0.6);
  auto fewer = test::amorphous(test::next_id(then), 100, 70);
  auto more = test::amorphous(test::next_id(then) + static_cast<int>(fewer.size()), 102, 72);
  fewer.insert(fewer.end(), more.begin(), more.end());
  const int p_fewer = test::add_cluster(then, fewer, 0.6);
  const int p_gone = test::add_cluster(then, test::coarse_heterogeneous(test::next_id(then), 30, 140), 0.7);
  now.image_meta_only.info.study_date = "20240501";
  then.image_meta_only.info.study_date = "20220420";
  h->now = test::render(now);
  h->then = test::render(then);

  CompareRun& r = h->run;
  r.current = {&h->now, "cur<script>.dcm", "2024-05-01"};
  r.priors = {{&h->then, "prior.dcm", "2022-04-20"}};
  RegistrationResult reg;
  reg.matrix_px = {1, 0, 0, 0, 1, 0};
  reg.quality = 0.95;
  reg.method = "refined";
  r.registrations = {reg};
  r.current_description = describe_image(h->now, now);
  assess_image(r.current_description, "L");
  r.current_analysis = now;
  r.prior_analyses = {then};
  r.report_min_cluster_score = 0.3;
  const auto cl = [](const AnalysisResult& a, int id) {
    for (const auto& c : a.clusters)
      if (c.id == id) return &c;
    return static_cast<const Cluster*>(nullptr);
  };
  ChangeResult& ch = r.change;
  ch.current_date = "2024-05-01";
  ch.prior_dates = {"2022-04-20"};
  ch.prior_files = {"prior.dcm"};
  ch.clusters.push_back(finding("new", cl(now, n_new), nullptr));
  ch.clusters.push_back(finding("stable", cl(now, n_stable), cl(then, p_stable)));
  ch.clusters.back().stable_since = ch.clusters.back().first_seen = "2022-04-20";
  ch.clusters.push_back(finding("increased", cl(now, n_grown), cl(then, p_grown)));
  ch.clusters.push_back(finding("decreased", cl(now, n_fewer), cl(then, p_fewer)));
  ch.clusters.push_back(finding("resolved", nullptr, cl(then, p_gone)));
  r.assessment = assess_changes(ch, r.current_description.clusters);
  return h;
}

TEST(CompareReport, ParsesTheReportList) {
  const auto r = parse_compare_report_request("html,patient");
  EXPECT_TRUE(r.html);
  EXPECT_TRUE(r.patient);
  EXPECT_FALSE(r.sr);
  EXPECT_TRUE(parse_compare_report_request("sr").sr);
  const auto none = parse_compare_report_request("");
  EXPECT_FALSE(none.html || none.patient || none.sr);
  try {
    parse_compare_report_request("html,pdf");
    FAIL() << "pdf accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Usage);
    EXPECT_NE(e.message().find("pdf"), std::string::npos);
    EXPECT_NE(e.message().find("html, patient, sr"), std::string::npos);
  }
}

TEST(CompareReport, HtmlShowsBothImagesAndOneRowPerFinding) {
  const auto h = hand_built();
  const std::string html = compare_report_html(h->run);
  EXPECT_EQ(count_of(html, "<img class=\"overview current\""), 1u);
  EXPECT_EQ(count_of(html, "<img class=\"overview prior\""), 1u);
  // two overviews + a crop now and then per finding
  EXPECT_EQ(count_of(html, kPngUri), 2 + 2 * h->run.change.clusters.size());
  std::vector<std::string> expected;
  for (const auto& c : h->run.change.clusters) expected.push_back(c.change);
  EXPECT_EQ(row_changes(html), expected);
  EXPECT_NE(html.find("id=\"category-after\">" + h->run.assessment.category_after + "<"), std::string::npos);
  EXPECT_NE(html.find("id=\"category-before\">" + h->run.assessment.category_before + "<"), std::string::npos);
  EXPECT_NE(html.find("2022-04-20"), std::string::npos);
  EXPECT_NE(html.find("not a diagnosis"), std::string::npos);
  EXPECT_EQ(html.find("cur<script>"), std::string::npos) << "file names must be escaped";
  EXPECT_NE(html.find("cur&lt;script&gt;.dcm"), std::string::npos);
}

TEST(CompareReport, DifferentMarksForDifferentChanges) {
  std::set<std::string> colours;
  for (const char* c : {"new", "increased", "stable", "decreased", "resolved"}) colours.insert(change_colour(c));
  EXPECT_EQ(colours.size(), 5u);
}

TEST(CompareReport, PatientSummaryTellsEveryChangeWithDates) {
  const auto h = hand_built();
  const std::string t = compare_patient_text(h->run);
  EXPECT_NE(t.find("April 2022"), std::string::npos) << t;  // the prior's date
  EXPECT_NE(t.find("May 2024"), std::string::npos) << t;
  for (const auto& c : h->run.change.clusters) EXPECT_NE(t.find(patient_word(c.change)), std::string::npos) << c.change;
  EXPECT_NE(t.find("Unchanged for 2 years"), std::string::npos) << t;  // 2022-04-20 -> 2024-05-01
  EXPECT_NE(t.find("In short: 1 new group of calcifications, 1 group that has grown, 1 group with fewer "
                   "calcifications, 1 unchanged group and 1 group no longer seen."),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("not a diagnosis"), std::string::npos);
  EXPECT_NE(t.find("left breast"), std::string::npos);
  // the category after the comparison, and the next step that goes with it
  const std::string after = h->run.assessment.category_after;
  ASSERT_FALSE(after.empty());
  EXPECT_NE(t.find("BI-RADS " + after), std::string::npos);
  if (h->run.assessment.recommendation == "biopsy") EXPECT_NE(t.find("A biopsy of the calcifications"), std::string::npos);
  // a raised category does not quote the image-alone likelihood as its own
  if (after != h->run.current_description.assessment.category)
    EXPECT_EQ(t.find("the computer's estimate for this one"), std::string::npos) << t;
  const std::string html = compare_patient_html(h->run);
  EXPECT_NE(html.find("id=\"overall\""), std::string::npos);
  EXPECT_NE(html.find("What changed since April 2022"), std::string::npos);
  EXPECT_EQ(html.find("cur<script>"), std::string::npos);
}

TEST(CompareReport, ProbablyBenignFollowUpIsToldWithDates) {
  const auto h = hand_built();
  CompareRun& r = h->run;
  r.change.clusters.resize(2);  // the new and the stable finding
  r.change.clusters[1].stable_since = "2023-11-01";  // 6 months: not yet benign
  AssessmentChange a;
  a.category_before = a.category_after = "3";
  a.recommendation = "short_interval_follow_up";
  a.recommendation_text = "follow-up";
  a.next_follow_up_date = "2024-11-01";
  ClusterAssessmentChange ca;
  ca.change = "stable";
  ca.current_cluster_id = r.change.clusters[1].current_cluster_id;
  ca.prior_cluster_id = r.change.clusters[1].prior_cluster_id;
  ca.category_before = ca.category_after = "3";
  ca.baseline_date = "2023-11-01";
  ca.follow_up = {{12, "2024-11-01"}, {24, "2025-11-01"}};
  ca.next_follow_up_date = "2024-11-01";
  ca.stable_months = 6;
  a.clusters.push_back(ca);
  r.assessment = a;
  r.current_description.assessment.category = "3";
  const std::string t = compare_patient_text(r);
  EXPECT_NE(t.find("Next check: a mammogram of your left breast around November 2024 (2024-11-01) and around "
                   "November 2025 (2025-11-01)"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("Unchanged for 6 months"), std::string::npos) << t;
  EXPECT_NE(t.find("watched until they have stayed the same for 2 years"), std::string::npos) << t;
  EXPECT_NE(t.find("No, not on the basis of this reading."), std::string::npos);
  const std::string html = compare_report_html(r);
  EXPECT_NE(html.find("id=\"next-follow-up\">2024-11-01<"), std::string::npos);
  EXPECT_EQ(row_changes(html).size(), 2u);
}

TEST(CompareReport, WritesTheRequestedFiles) {
  const auto h = hand_built();
  test::TempDir dir;
  CompareReportRequest req;
  req.html = req.patient = true;
  const auto files = write_compare_reports(h->run, req, dir.path(), "cur");
  ASSERT_EQ(files.written.size(), 3u);
  for (const char* name : {"cur.compare.html", "cur.compare.patient.html", "cur.compare.patient.txt"})
    EXPECT_TRUE(std::filesystem::exists(dir / name)) << name;
  EXPECT_FALSE(std::filesystem::exists(dir / "cur.compare.sr.dcm"));
  // a run without priors is a usage error, not an empty page
  CompareRun empty;
  EXPECT_THROW(compare_report_html(empty), Error);
}

// ---- the CLI on a phantom time series -----------------------------------------------------------

struct CliSeries {
  test::TempDir dir{"calcscope-compare-report"};
  test::CommandResult gen, run;
  std::filesystem::path out;
};

/// A prior and a current of the same synthetic breast (clusters added, grown and removed, positioning
/// changed), compared with --report html,patient. Made once for the tests below.
const CliSeries& cli_series() {
  static CliSeries s;
  static const bool made = [] {
    s.gen = test::run_cli("phantom --output '" + (s.dir / "cur.dcm").string() + "' --prior '" +
                          (s.dir / "pri.dcm").string() +
                          "' --seed 5 --width-mm 110 --height-mm 140 --pixel-size 0.1 --clusters 2 --add 1"
                          " --grow 1 --remove 1 --rotation 2 --shift-x-mm 4");
    s.out = s.dir / "out";
    if (s.gen.exit_code == 0)
      s.run = test::run_cli("compare --current '" + (s.dir / "cur.dcm").string() + "' --prior '" +
                            (s.dir / "pri.dcm").string() +
                            "' --current-date 2024-05-01 --prior-date 2022-04-20 --report html,patient -o '" +
                            s.out.string() + "'");
    return true;
  }();
  (void)made;
  return s;
}

TEST(CompareReportCli, WritesHtmlAndPatientSummaryMatchingTheJson) {
  const CliSeries& s = cli_series();
  ASSERT_EQ(s.gen.exit_code, 0) << s.gen.output;
  ASSERT_EQ(s.run.exit_code, 0) << s.run.output;
  for (const char* name : {"cur.compare.json", "cur.compare.html", "cur.compare.patient.html", "cur.compare.patient.txt"})
    ASSERT_TRUE(std::filesystem::exists(s.out / name)) << name << "\n" << s.run.output;
  EXPECT_FALSE(std::filesystem::exists(s.out / "cur.compare.sr.dcm"));
  const auto j = read_json_file(s.out / "cur.compare.json");
  ASSERT_FALSE(j["clusters"].empty()) << "the phantom series should give compared clusters";

  const std::string html = slurp(s.out / "cur.compare.html");
  EXPECT_EQ(count_of(html, "<img class=\"overview current\""), 1u);
  EXPECT_EQ(count_of(html, "<img class=\"overview prior\""), 1u);
  EXPECT_EQ(count_of(html, kPngUri), 2 + 2 * j["clusters"].size());
  std::vector<std::string> expected;
  for (const auto& c : j["clusters"]) expected.push_back(c["change"].get<std::string>());
  EXPECT_EQ(row_changes(html), expected);
  EXPECT_NE(html.find("id=\"category-after\">" + j["assessment"]["category_after"].get<std::string>() + "<"),
            std::string::npos);

  const std::string t = slurp(s.out / "cur.compare.patient.txt");
  EXPECT_NE(t.find("April 2022"), std::string::npos) << t;
  for (const auto& c : expected) EXPECT_NE(t.find(patient_word(c)), std::string::npos) << c << "\n" << t;
  EXPECT_NE(t.find("not a diagnosis"), std::string::npos);
  const std::string ph = slurp(s.out / "cur.compare.patient.html");
  EXPECT_NE(ph.find("What changed since April 2022"), std::string::npos);
  EXPECT_NE(s.run.output.find("cur.compare.html"), std::string::npos) << s.run.output;
}

TEST(CompareReportCli, UsageErrorsAreClear) {
  const CliSeries& s = cli_series();
  ASSERT_EQ(s.gen.exit_code, 0) << s.gen.output;
  const auto bad = test::run_cli("compare --current '" + (s.dir / "cur.dcm").string() + "' --prior '" +
                                 (s.dir / "pri.dcm").string() + "' --report html,pdf -o '" +
                                 (s.dir / "bad").string() + "'");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("'pdf'"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("html, patient, sr"), std::string::npos) << bad.output;
  {
    std::ofstream(s.dir / "reader.json") << R"({"findings": [{"x": 10, "y": 10}]})";
  }
  const auto no_prior = test::run_cli("compare --current '" + (s.dir / "cur.dcm").string() + "' --reader '" +
                                      (s.dir / "reader.json").string() + "' --report html -o '" +
                                      (s.dir / "bad").string() + "'");
  EXPECT_NE(no_prior.exit_code, 0);
  EXPECT_NE(no_prior.output.find("--prior"), std::string::npos) << no_prior.output;
}

// ---- headless Chromium -------------------------------------------------------------------------


std::string dump_dom(const std::filesystem::path& html, const std::filesystem::path& work) {
  const std::string dom = test::chromium_dump_dom(html, work);
  EXPECT_FALSE(dom.empty()) << "chromium could not render " << html;
  return dom;
}

void screenshot(const std::filesystem::path& html, const std::filesystem::path& png, int height) {
  ASSERT_TRUE(test::chromium_screenshot(html, png, height)) << "no screenshot of " << html;
  EXPECT_GT(std::filesystem::file_size(png), 10000u);
}

TEST(CompareReportChromium, ComparisonReportAndPatientSummaryRender) {
  if (!std::filesystem::exists(kChromium)) GTEST_SKIP() << kChromium << " missing: apt-get install chromium";
  const CliSeries& s = cli_series();
  ASSERT_EQ(s.run.exit_code, 0) << s.gen.output << s.run.output;
  const auto j = read_json_file(s.out / "cur.compare.json");
  test::TempDir work;
  const std::string dom = dump_dom(s.out / "cur.compare.html", work.path());
  ASSERT_FALSE(dom.empty()) << "chromium produced no DOM";
  EXPECT_EQ(count_of(dom, "<img class=\"overview current\""), 1u);
  EXPECT_EQ(count_of(dom, "<img class=\"overview prior\""), 1u);
  EXPECT_EQ(count_of(dom, std::string("src=\"") + kPngUri), 2 + 2 * j["clusters"].size());
  EXPECT_EQ(row_changes(dom).size(), j["clusters"].size());
  EXPECT_NE(dom.find("id=\"side-by-side\""), std::string::npos);

  const std::string pdom = dump_dom(s.out / "cur.compare.patient.html", work.path());
  EXPECT_NE(pdom.find("id=\"overall\""), std::string::npos);
  EXPECT_NE(pdom.find("What changed since April 2022"), std::string::npos);

  const char* keep = std::getenv("CALCSCOPE_SCREENSHOT_DIR");
  const std::filesystem::path shots = keep ? std::filesystem::path(keep) : work.path();
  screenshot(s.out / "cur.compare.html", shots / "compare-report.png", 2600);
  screenshot(s.out / "cur.compare.patient.html", shots / "compare-patient.png", 2000);
}

}  // namespace
}  // namespace calcscope
