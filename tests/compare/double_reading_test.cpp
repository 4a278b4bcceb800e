// Double reading (Done-when 3): one concordant, one reader-only and one CAD-only finding.
#include <gtest/gtest.h>

#include <fstream>

#include "calcscope/compare/double_reading.h"
#include "calcscope/core/error.h"
#include "compare_test_util.h"
#include "test_support.h"

namespace calcscope {
namespace {

constexpr double kPx = 0.1;

std::vector<Cluster> cad_clusters() {
  std::vector<Calcification> calcs;
  std::vector<Cluster> c;
  c.push_back(test::make_cluster(1, 50, 60, 8, 3, kPx, calcs, 0.92));   // the reader marked it too
  c.push_back(test::make_cluster(2, 120, 150, 6, 3, kPx, calcs, 0.81)); // only the CAD marked it
  c.push_back(test::make_cluster(3, 30, 180, 4, 2, kPx, calcs, 0.2));   // below the mark threshold
  return c;
}

void write(const std::filesystem::path& p, const std::string& text) { std::ofstream(p) << text; }

TEST(DoubleReading, ConcordantReaderOnlyCadOnlyFromJson) {
  test::TempDir dir;
  write(dir / "reader.json", R"({"findings": [
      {"x": 503, "y": 598, "radius_mm": 4, "category": "4A"},
      {"x_mm": 31, "y_mm": 181, "category": 3},
      {"x": 900, "y": 300, "image": "other.dcm"}]})");
  auto findings = read_reader_findings(dir / "reader.json");
  ASSERT_EQ(findings.size(), 3u);
  EXPECT_EQ(findings[1].category, "3");
  EXPECT_TRUE(findings[1].has_mm);
  std::erase_if(findings, [](const ReaderFinding& f) { return !finding_on_image(f, "/data/current.dcm", ""); });
  ASSERT_EQ(findings.size(), 2u);

  ClusterDescription d2;
  d2.cluster_id = 2;
  d2.category = "4B";
  d2.morphology = "fine_pleomorphic";
  d2.distribution = "grouped";
  DoubleReadingParams p;
  p.cad_min_score = 0.5;
  const ReadingComparison r = compare_readings(findings, cad_clusters(), kPx, {d2}, p);
  EXPECT_EQ(r.concordant, 1);
  EXPECT_EQ(r.reader_only, 1);
  EXPECT_EQ(r.cad_only, 1);
  ASSERT_EQ(r.entries.size(), 3u);
  EXPECT_EQ(r.entries[0].agreement, "concordant");
  EXPECT_EQ(r.entries[0].cad_cluster_id, 1);
  EXPECT_EQ(r.entries[0].reader_category, "4A");
  EXPECT_EQ(r.entries[1].agreement, "reader_only");
  EXPECT_EQ(r.entries[1].cad_cluster_id, 3);  // the CAD's sub-threshold cluster there, with its score
  EXPECT_NEAR(r.entries[1].cad_score, 0.2, 1e-9);
  EXPECT_EQ(r.entries[2].agreement, "cad_only");
  EXPECT_EQ(r.entries[2].cad_cluster_id, 2);
  EXPECT_NEAR(r.entries[2].cad_score, 0.81, 1e-9);
  EXPECT_EQ(r.entries[2].cad_category, "4B");
  EXPECT_NE(r.entries[2].cad_description.find("fine_pleomorphic"), std::string::npos);

  const auto j = to_json(r);
  EXPECT_EQ(j["arbitration"].size(), 2u);
  EXPECT_EQ(j["summary"]["concordant"], 1);
  const std::string table = reading_table(r);
  EXPECT_NE(table.find("1 concordant, 1 reader-only, 1 CAD-only"), std::string::npos) << table;
}

TEST(DoubleReading, CsvWithAndWithoutHeader) {
  test::TempDir dir;
  write(dir / "plain.csv", "503,598,4,4A\n1200,1500\n");
  const auto a = read_reader_findings(dir / "plain.csv");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_NEAR(a[0].radius_mm, 4, 1e-12);
  EXPECT_EQ(a[0].category, "4A");
  write(dir / "header.csv", "category,y_mm,x_mm\n3,60,50\n");
  const auto b = read_reader_findings(dir / "header.csv");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_TRUE(b[0].has_mm);
  EXPECT_NEAR(b[0].x_mm, 50, 1e-12);
  EXPECT_EQ(b[0].category, "3");
  const auto r = compare_readings(b, cad_clusters(), kPx, {}, {});
  EXPECT_EQ(r.concordant, 1);
}

TEST(DoubleReading, BadInputsSayWhatIsWrong) {
  test::TempDir dir;
  write(dir / "bad.csv", "503,abc\n");
  try {
    read_reader_findings(dir / "bad.csv");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidData);
    EXPECT_NE(e.message().find("line 1"), std::string::npos) << e.message();
  }
  write(dir / "bad.json", R"({"findings": [{"x": 1}]})");
  EXPECT_THROW(read_reader_findings(dir / "bad.json"), Error);
  EXPECT_THROW(read_reader_findings(dir / "missing.json"), Error);
}

}  // namespace
}  // namespace calcscope
