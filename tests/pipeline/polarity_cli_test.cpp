// Grey-level polarity of raster input: a PNG/PGM stored inverted (dense tissue dark, background
// bright) is recognised, inverted back with a warning, and analysed like the original;
// --polarity normal / inverted override the check.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "calcscope/io/image_reader.h"
#include "calcscope/io/image_writer.h"
#include "test_support.h"

namespace calcscope {
namespace {

using test::quoted;
using test::run_cli;

nlohmann::json load(const std::filesystem::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

bool has_warning(const nlohmann::json& j, const std::string& part) {
  for (const auto& w : j["image"]["warnings"])
    if (w.get<std::string>().find(part) != std::string::npos) return true;
  return false;
}

TEST(PolarityCli, InvertedRasterIsRecognisedAndAnalysedLikeTheOriginal) {
  test::TempDir dir("calcscope-polarity");
  const auto png = dir / "ph.png";
  auto r = run_cli("phantom --output " + quoted(png) +
                   " --seed 7 --pixel-size 0.1 --width-mm 100 --height-mm 130 --density 0.4 "
                   "--cluster morphology=punctate,distribution=grouped,count=8,diameter=0.4,extent=6");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ReadOptions ro;
  ro.pixel_size_mm = 0.1;
  Image im = read_raster(png, ro);
  for (float& v : im.pixels) v = 1.f - v;
  write_raster(im, dir / "inv.pgm", 16);

  r = run_cli("analyze " + quoted(png) + " " + quoted(dir / "inv.pgm") + " --pixel-size 0.1 -q --output " +
              quoted(dir / "out"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto a = load(dir / "out" / "ph.json"), b = load(dir / "out" / "inv.json");
  EXPECT_FALSE(has_warning(a, "inverted"));
  EXPECT_TRUE(has_warning(b, "looks inverted")) << b["image"]["warnings"].dump();
  ASSERT_GE(a["clusters"].size(), 1u);
  // the same image once inverted back (16-bit round trip): the same findings
  EXPECT_EQ(b["clusters"].size(), a["clusters"].size());
  const double na = static_cast<double>(a["calcifications"].size()), nb = static_cast<double>(b["calcifications"].size());
  EXPECT_NEAR(nb, na, 0.05 * na + 1);

  // --polarity normal analyses the file as stored: no warning, and the inverted image is nonsense
  // (no cluster where the original has one); --polarity inverted on the original does the same
  r = run_cli("analyze " + quoted(dir / "inv.pgm") + " --pixel-size 0.1 -q --polarity normal --output " +
              quoted(dir / "asis"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto c = load(dir / "asis" / "inv.json");
  EXPECT_FALSE(has_warning(c, "inverted"));
  EXPECT_LT(c["clusters"].size(), a["clusters"].size());
  r = run_cli("analyze " + quoted(png) + " --pixel-size 0.1 -q --polarity inverted --output " + quoted(dir / "forced"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(has_warning(load(dir / "forced" / "ph.json"), "--polarity inverted"));
  // a bad value is a usage error
  r = run_cli("analyze " + quoted(png) + " --pixel-size 0.1 --polarity upside-down --output " + quoted(dir / "x"));
  EXPECT_NE(r.exit_code, 0);
}

}  // namespace
}  // namespace calcscope
