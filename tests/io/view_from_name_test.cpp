#include <gtest/gtest.h>

#include "calcscope/io/image_reader.h"
#include "calcscope/io/image_writer.h"
#include "test_support.h"

using namespace calcscope;

TEST(RasterViewFromName, TakenFromUnambiguousFileNamesOnly) {
  test::TempDir dir("calcscope-viewname");
  Image im(64, 48, 0.1, 0.5f);
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"LCC.png", "L", "CC"}, {"case7_R_MLO.png", "R", "MLO"}, {"left-cc.png", "L", "CC"},
      {"mdb001.png", "", ""}, {"clinic.png", "", ""}};
  ReadOptions ro;
  ro.pixel_size_mm = 0.1;
  for (const auto& [name, lat, view] : cases) {
    write_raster(im, dir / name, 8);
    const Image r = read_raster(dir / name, ro);
    EXPECT_EQ(r.info.laterality, lat) << name;
    EXPECT_EQ(r.info.view, view) << name;
    EXPECT_EQ(r.info.warnings.empty(), lat.empty() && view.empty()) << name;
  }
}
