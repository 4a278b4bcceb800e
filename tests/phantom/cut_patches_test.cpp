// `calcscope cut-patches`: windows on truth clusters and all-tissue tiles, checked against an independent
// crop of the phantom's stored values (same pixels, scale 255 / 65535, names, selection), and bad inputs.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "calcscope/core/error.h"
#include "calcscope/phantom/patch_cutting.h"
#include "test_support.h"

using calcscope::test::quoted;
using calcscope::test::run_cli;
using calcscope::test::TempDir;

namespace {

namespace fs = std::filesystem;

constexpr int kSize = 60;

/// A 60 x 60 mm phantom at 0.1 mm (600 x 600 px, 16-bit PNG) with one cluster in the middle.
struct SmallPhantom {
  TempDir dir{"calcscope-cut-patches"};
  fs::path image = dir / "p.png";
  fs::path truth = dir / "p.truth.json";
  SmallPhantom() {
    const auto r = run_cli("phantom --output " + quoted(image) +
                           " --seed 7 --width-mm 60 --height-mm 60 --pixel-size 0.1 --clusters 0 --benign 0"
                           " --cluster morphology=punctate,distribution=grouped,count=6,x=30,y=30");
    EXPECT_EQ(r.exit_code, 0) << r.output;
  }
  cv::Mat raw() const { return cv::imread(image.string(), cv::IMREAD_UNCHANGED); }
};

/// The stored values of r scaled as cut-patches does for a 16-bit phantom (max > 4095): * 255 / 65535.
cv::Mat expected_patch(const cv::Mat& raw, const cv::Rect& r) {
  cv::Mat out;
  raw(r).convertTo(out, CV_8U, 255.0 / 65535.0);
  return out;
}

/// A patch read back; fails the test unless it is a size x size 8-bit greyscale PNG.
cv::Mat read_patch(const fs::path& p) {
  cv::Mat m = cv::imread(p.string(), cv::IMREAD_UNCHANGED);
  EXPECT_FALSE(m.empty()) << p;
  if (m.empty()) return m;
  EXPECT_EQ(m.cols, kSize) << p;
  EXPECT_EQ(m.rows, kSize) << p;
  EXPECT_EQ(m.type(), CV_8UC1) << p;
  return m;
}

bool same_pixels(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::countNonZero(a != b) == 0;
}

std::set<std::string> pngs_in(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".png") names.insert(e.path().filename().string());
  return names;
}

/// The 99th percentile as cut-patches defines it: the smallest v with >= ceil(0.99 n) values <= v.
double percentile99(const cv::Mat& raw) {
  std::vector<unsigned short> v(raw.begin<unsigned short>(), raw.end<unsigned short>());
  const std::size_t k = static_cast<std::size_t>(std::ceil(0.99 * static_cast<double>(v.size()))) - 1;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

int exit_code(calcscope::ErrorCode code) { return calcscope::error_info(code).exit_code; }

}  // namespace

TEST(CutPatches, ClusterWindowIsTheCentredCropAndWindowsLeavingTheImageAreSkipped) {
  SmallPhantom ph;
  // a second truth cluster near the corner: its window leaves the image
  nlohmann::json truth = nlohmann::json::parse(calcscope::test::slurp(ph.truth));
  ASSERT_EQ(truth["clusters"].size(), 1u);
  const double cx = truth["clusters"][0]["x"], cy = truth["clusters"][0]["y"];
  truth["clusters"].push_back({{"id", 2}, {"x", 5.0}, {"y", 5.0}, {"radius_mm", 1.0}});
  std::ofstream(ph.truth) << truth.dump(2);

  const fs::path out = ph.dir / "out" / "1";  // created with its parent
  const auto r = run_cli("cut-patches clusters " + quoted(ph.image) + " --truth " + quoted(ph.truth) +
                         " --output " + quoted(out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("p cluster 2: window leaves the image, skipped"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("p: 1 positive patches (D=65535)"), std::string::npos) << r.output;
  ASSERT_EQ(pngs_in(out), std::set<std::string>{"p_c1.png"});

  const cv::Mat patch = read_patch(out / "p_c1.png");
  const cv::Rect window(static_cast<int>(std::lround(cx)) - kSize / 2, static_cast<int>(std::lround(cy)) - kSize / 2,
                        kSize, kSize);
  EXPECT_TRUE(same_pixels(patch, expected_patch(ph.raw(), window)));
}

TEST(CutPatches, TissueTilesAreTheEvenlySpacedAllTissueTiles) {
  SmallPhantom ph;
  const fs::path out = ph.dir / "0";
  const int count = 5;
  const auto r = run_cli("cut-patches tissue " + quoted(ph.image) + " --count " + std::to_string(count) +
                         " --output " + quoted(out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("of 100 tiles are all tissue"), std::string::npos) << r.output;  // 10 x 10 tiles

  // the qualifying tiles computed here, row-major, and the evenly spaced `count` of them
  const cv::Mat raw = ph.raw();
  ASSERT_EQ(raw.type(), CV_16UC1);
  const double floor_value = 0.25 * percentile99(raw);
  std::vector<cv::Rect> qualifying;
  for (int row = 0; row < raw.rows / kSize; ++row)
    for (int col = 0; col < raw.cols / kSize; ++col) {
      const cv::Rect t(col * kSize, row * kSize, kSize, kSize);
      double mn = 0, mx = 0;
      cv::minMaxLoc(raw(t), &mn, &mx);
      if (mn >= floor_value) qualifying.push_back(t);
    }
  ASSERT_GE(qualifying.size(), static_cast<std::size_t>(count)) << "the phantom should have enough tissue tiles";
  EXPECT_NE(r.output.find(std::to_string(qualifying.size()) + " candidate tiles, 5 evenly spaced kept"),
            std::string::npos)
      << r.output;

  std::set<std::string> expected;
  for (int i = 0; i < count; ++i) {
    const cv::Rect t = qualifying[static_cast<std::size_t>(i) * qualifying.size() / count];
    const std::string name = "p_" + std::to_string(t.y / kSize) + "_" + std::to_string(t.x / kSize) + ".png";
    expected.insert(name);
    const cv::Mat patch = read_patch(out / name);
    EXPECT_TRUE(same_pixels(patch, expected_patch(raw, t))) << name;
    double mn = 0, mx = 0;
    cv::minMaxLoc(raw(t), &mn, &mx);
    EXPECT_GE(mn, floor_value) << name << ": not all tissue";
  }
  EXPECT_EQ(pngs_in(out), expected);
}

TEST(CutPatches, EvenlySpacedIndices) {
  EXPECT_EQ(calcscope::evenly_spaced_indices(10, 3), (std::vector<std::size_t>{0, 3, 6}));
  EXPECT_EQ(calcscope::evenly_spaced_indices(2, 5), (std::vector<std::size_t>{0, 1}));  // fewer than asked
  EXPECT_EQ(calcscope::evenly_spaced_indices(7, 0), (std::vector<std::size_t>{0}));     // at least one
  EXPECT_TRUE(calcscope::evenly_spaced_indices(0, 5).empty());
}

TEST(CutPatches, BadInputsNameTheFileAndExitNonZero) {
  TempDir dir{"calcscope-cut-patches-bad"};
  const fs::path missing = dir / "missing.png";
  auto r = run_cli("cut-patches tissue " + quoted(missing) + " --count 3 --output " + quoted(dir / "0"));
  EXPECT_EQ(r.exit_code, exit_code(calcscope::ErrorCode::FileNotFound)) << r.output;
  EXPECT_NE(r.output.find(missing.string()), std::string::npos) << r.output;

  const fs::path colour = dir / "colour.png";
  ASSERT_TRUE(cv::imwrite(colour.string(), cv::Mat(120, 120, CV_8UC3, cv::Scalar(10, 200, 30))));
  r = run_cli("cut-patches tissue " + quoted(colour) + " --count 3 --output " + quoted(dir / "0"));
  EXPECT_EQ(r.exit_code, exit_code(calcscope::ErrorCode::NotAMammogram)) << r.output;
  EXPECT_NE(r.output.find(colour.string()), std::string::npos) << r.output;

  const fs::path no_truth = dir / "none.truth.json";
  r = run_cli("cut-patches clusters " + quoted(colour) + " --truth " + quoted(no_truth) + " --output " +
              quoted(dir / "1"));
  EXPECT_EQ(r.exit_code, exit_code(calcscope::ErrorCode::FileNotFound)) << r.output;
  EXPECT_NE(r.output.find(no_truth.string()), std::string::npos) << r.output;
}
