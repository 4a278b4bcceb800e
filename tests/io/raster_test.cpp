// write_raster -> read_raster round trips, grey/colour handling.
#include <gtest/gtest.h>

#include <fstream>

#include "calcscope/io/image_reader.h"
#include "calcscope/io/image_writer.h"
#include "io_test_util.h"
#include "test_support.h"

namespace calcscope {
namespace {

using test::contains;

class RasterRoundTrip : public ::testing::TestWithParam<std::tuple<const char*, int>> {};

TEST_P(RasterRoundTrip, ValuesSurviveWithinQuantisation) {
  const auto [ext, bits] = GetParam();
  test::TempDir dir("calcscope-io-raster");
  const Image original = test::synthetic_image(300, 400, 0.2);
  const auto path = dir / (std::string("img") + ext);
  write_raster(original, path, bits);
  ReadOptions ro;
  ro.pixel_size_mm = 0.2;
  const Image read = read_image(path, ro);
  EXPECT_EQ(read.width, 300);
  EXPECT_EQ(read.height, 400);
  EXPECT_DOUBLE_EQ(read.pixel_size_mm, 0.2);
  EXPECT_EQ(read.info.pixel_size_source, "command line");
  EXPECT_EQ(read.info.bits_stored, bits);
  ASSERT_EQ(read.pixels.size(), original.pixels.size());
  const double tolerance = 0.5 / ((1 << bits) - 1) + 1e-6;
  double worst = 0;
  for (std::size_t i = 0; i < read.pixels.size(); ++i)
    worst = std::max(worst, std::abs(static_cast<double>(read.pixels[i]) - original.pixels[i]));
  EXPECT_LE(worst, tolerance);
  EXPECT_GT(test::correlation(original, read), 0.999);
}

INSTANTIATE_TEST_SUITE_P(Formats, RasterRoundTrip,
                         ::testing::Combine(::testing::Values(".png", ".pgm", ".tif", ".tiff"), ::testing::Values(8, 16)),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) + 1) + "_" +
                                  std::to_string(std::get<1>(info.param));
                         });

TEST(Raster, FormatNameFollowsContent) {
  test::TempDir dir("calcscope-io-rfmt");
  ReadOptions ro;
  ro.pixel_size_mm = 0.1;
  write_raster(test::synthetic_image(40, 30, 0.1), dir / "a.pgm", 8);
  EXPECT_EQ(read_raster(dir / "a.pgm", ro).info.format, "pgm");
  write_raster(test::synthetic_image(40, 30, 0.1), dir / "a.tif", 16);
  EXPECT_EQ(read_raster(dir / "a.tif", ro).info.format, "tiff");
}

// Data of `bits` bits stored in a 16-bit file are read back on their own scale, with a warning.
void expect_read_on_own_scale(int bits) {
  test::TempDir dir("calcscope-io-r" + std::to_string(bits));
  const Image original = test::synthetic_image(64, 64, 0.1);
  const float full = static_cast<float>((1 << bits) - 1);
  Image img = original;
  for (auto& v : img.pixels) v *= full / 65535.f;  // values up to 2^bits - 1 in a 16-bit file
  write_raster(img, dir / "data.png", 16);
  ReadOptions ro;
  ro.pixel_size_mm = 0.1;
  const Image read = read_raster(dir / "data.png", ro);
  EXPECT_EQ(read.info.bits_stored, bits);
  for (std::size_t i = 0; i < read.pixels.size(); ++i)
    ASSERT_NEAR(read.pixels[i], original.pixels[i], 1.0 / full) << "pixel " << i;
  bool warned = false;
  for (const auto& w : read.info.warnings) warned = warned || contains(w, std::to_string(bits) + " bits");
  EXPECT_TRUE(warned);
}

TEST(Raster, TwelveBitDataInSixteenBitFileIsScaled) { expect_read_on_own_scale(12); }

TEST(Raster, FourteenBitDataInSixteenBitFileIsScaled) {
  expect_read_on_own_scale(14);
  // full-range 16-bit data are read as value / 65535, without a warning
  test::TempDir dir("calcscope-io-r16");
  ReadOptions ro;
  ro.pixel_size_mm = 0.1;
  write_raster(test::synthetic_image(64, 64, 0.1), dir / "sixteen.png", 16);
  const Image full = read_raster(dir / "sixteen.png", ro);
  EXPECT_EQ(full.info.bits_stored, 16);
  EXPECT_TRUE(full.info.warnings.empty());
}

void write_ppm(const std::filesystem::path& p, int w, int h, bool grey) {
  std::ofstream out(p, std::ios::binary);
  out << "P6\n" << w << " " << h << "\n255\n";
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const auto v = static_cast<unsigned char>((x * 7 + y * 3) % 256);
      const unsigned char rgb[3] = {v, grey ? v : static_cast<unsigned char>(255 - v), v};
      out.write(reinterpret_cast<const char*>(rgb), 3);
    }
}

TEST(Raster, GreyStoredAsRgbIsAcceptedRealColourIsNot) {
  test::TempDir dir("calcscope-io-rgb");
  ReadOptions ro;
  ro.pixel_size_mm = 0.1;
  write_ppm(dir / "grey.ppm", 50, 40, true);
  const Image g = read_image(dir / "grey.ppm", ro);
  EXPECT_EQ(g.width, 50);
  EXPECT_NEAR(g.at(10, 3), ((10 * 7 + 3 * 3) % 256) / 255.0, 1.0 / 255);
  write_ppm(dir / "colour.ppm", 50, 40, false);
  const Error e = test::expect_error([&] { (void)read_image(dir / "colour.ppm", ro); }, ErrorCode::NotAMammogram);
  EXPECT_TRUE(contains(e.message(), "colour"));
}

TEST(Raster, TruncatedPngFailsToDecode) {
  test::TempDir dir("calcscope-io-rtr");
  write_raster(test::synthetic_image(200, 200, 0.1), dir / "full.png", 16);
  std::ifstream in(dir / "full.png", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(dir / "cut.png", std::ios::binary).write(bytes.data(), 40);
  ReadOptions ro;
  ro.pixel_size_mm = 0.1;
  test::expect_error([&] { (void)read_image(dir / "cut.png", ro); }, ErrorCode::DecodeFailed);
}

TEST(Raster, WriteErrors) {
  test::TempDir dir("calcscope-io-rwe");
  const Image img = test::synthetic_image(20, 20, 0.1);
  test::expect_error([&] { write_raster(img, dir / "x.bmp", 8); }, ErrorCode::OutputFailed);
  test::expect_error([&] { write_raster(img, dir / "x.png", 12); }, ErrorCode::Usage);
  test::expect_error([&] { write_raster(img, dir / "missing_dir" / "x.png", 8); }, ErrorCode::OutputFailed);
}

}  // namespace
}  // namespace calcscope
