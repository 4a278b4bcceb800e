// Renders the HTML reports in headless Chromium and checks the rendered DOM: embedded PNG images and
// the findings table must be there. Set CALCSCOPE_SCREENSHOT_DIR to keep the screenshots
// (docs/screenshots/ was made that way).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "../assess/assess_fixtures.h"
#include "calcscope/report/reports.h"
#include "test_support.h"

namespace calcscope {
namespace {

using test::count_of;
using test::slurp;

using test::kChromium;



std::string dump_dom(const std::filesystem::path& html, const test::TempDir& work) {
  const std::string dom = test::chromium_dump_dom(html, work.path());
  EXPECT_FALSE(dom.empty()) << "chromium could not render " << html;
  return dom;
}

void screenshot(const std::filesystem::path& html, const std::filesystem::path& png, int height) {
  ASSERT_TRUE(test::chromium_screenshot(html, png, height)) << "no screenshot of " << html;
  EXPECT_GT(std::filesystem::file_size(png), 10000u);
}


TEST(ChromiumRender, ReportAndPatientSummaryRender) {
  if (!std::filesystem::exists(kChromium)) GTEST_SKIP() << kChromium << " missing: apt-get install chromium";
  AnalysisResult r = test::empty_result("L", "CC");
  r.image_meta_only.info.patient_name = "Phantom^Demo";
  r.image_meta_only.info.patient_id = "DEMO-1";
  test::add_cluster(r, test::pleomorphic(1, 80, 100), 0.7);
  test::add_cluster(r, test::punctate(101, 60, 150), 0.6);
  const Image im = test::render(r);
  test::TempDir dir;
  ReportRequest req;
  req.html = req.patient = true;
  write_image_reports(im, r, req, dir.path(), "demo");

  const std::string dom = dump_dom(dir / "demo.report.html", dir);
  ASSERT_FALSE(dom.empty()) << "chromium produced no DOM";
  EXPECT_EQ(count_of(dom, "<img class=\"overview\""), 1u);
  EXPECT_EQ(count_of(dom, "src=\"data:image/png;base64,iVBORw0KGgo"), 3u);  // PNG signature in base64
  EXPECT_NE(dom.find("<table class=\"findings\" id=\"findings\">"), std::string::npos);
  EXPECT_EQ(count_of(dom, "<tr class=\"finding\">"), 2u);
  EXPECT_NE(dom.find("BI-RADS 4B"), std::string::npos);

  const std::string pdom = dump_dom(dir / "demo.patient.html", dir);
  EXPECT_NE(pdom.find("id=\"overall\""), std::string::npos);
  EXPECT_NE(pdom.find("Do calcifications turn into cancer?"), std::string::npos);

  const char* keep = std::getenv("CALCSCOPE_SCREENSHOT_DIR");
  const std::filesystem::path shots = keep ? std::filesystem::path(keep) : dir.path();
  screenshot(dir / "demo.report.html", shots / "report.png", 2400);
  screenshot(dir / "demo.patient.html", shots / "patient.png", 2000);
}

}  // namespace
}  // namespace calcscope
