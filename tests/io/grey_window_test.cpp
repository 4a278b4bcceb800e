// The grey scale of For Processing images: the breast's tissue range put where the models learnt it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "calcscope/io/grey_window.h"
#include "calcscope/io/image_reader.h"
#include "calcscope/io/image_writer.h"
#include "calcscope/phantom/phantom.h"
#include "test_support.h"

using namespace calcscope;

namespace {

Phantom normal_phantom(std::uint64_t seed, double pixel_mm, double density) {
  PhantomSpec spec;
  spec.width_mm = 120;
  spec.height_mm = 150;
  spec.pixel_size_mm = pixel_mm;
  spec.seed = seed;
  spec.density = density;
  return make_phantom(spec);
}

}  // namespace

// The constants are where tissue_range() finds For Presentation phantoms (the grey scale every
// digital model was trained on) at any density and pixel size. Seeds 7100-7102 are not among those
// the constants were read on (3200-3219).
TEST(TissueRange, PresentationPhantomsSitAtTheTrainedRange) {
  for (const double px : {0.07, 0.1})
    for (const double density : {0.2, 0.5, 0.8}) {
      const Phantom ph = normal_phantom(7100 + static_cast<int>(density * 10), px, density);
      const auto t = tissue_range(ph.image);
      ASSERT_TRUE(t.has_value());
      std::printf("px %.2f density %.1f: tissue range %.4f - %.4f (%d cells)\n", px, density, t->low, t->high,
                  t->cells);
      EXPECT_NEAR(t->low, kTrainedTissueLow, 0.03) << px << " " << density;
      EXPECT_NEAR(t->high, kTrainedTissueHigh, 0.03) << px << " " << density;
      EXPECT_GT(t->cells, 15000);  // a 120 x 150 mm image holds 72000 cells of 0.5 mm
    }
}

TEST(TissueRange, NoneOnATinyOrUniformImage) {
  EXPECT_FALSE(tissue_range(Image(4, 4, 0.094, 0.5f)).has_value());
  EXPECT_FALSE(tissue_range(Image(2000, 2000, 0.1, 0.5f)).has_value());  // uniform
  EXPECT_FALSE(tissue_range(Image()).has_value());
  Image tiny(4, 4, 0.094, 0.2f);
  tiny.at(0, 0) = 0.9f;
  const auto before = tiny.pixels;
  EXPECT_FALSE(window_to_trained_tissue_range(tiny).has_value());
  EXPECT_EQ(tiny.pixels, before);  // left as it was
}

TEST(TissueRange, WindowMapsTheRangeOntoTheTrainedOne) {
  // a half-air image whose breast spans 0.3-0.7 in a gradient, scaled and shifted
  Image img(600, 600, 0.1, 0.f);
  for (int y = 0; y < 600; ++y)
    for (int x = 300; x < 600; ++x) img.at(x, y) = static_cast<float>(0.3 + 0.4 * y / 599.0);
  const auto t = window_to_trained_tissue_range(img);
  ASSERT_TRUE(t.has_value());
  const auto again = tissue_range(img);
  ASSERT_TRUE(again.has_value());
  EXPECT_NEAR(again->low, kTrainedTissueLow, 1e-3);
  EXPECT_NEAR(again->high, kTrainedTissueHigh, 1e-3);
  EXPECT_FLOAT_EQ(img.at(10, 300), 0.f);  // air stays black (clamped)
}

// The same phantom written For Presentation and For Processing (raw: exposure = exp(-ln 16 * grey))
// reads to the same grey levels. With the percentile window alone (up to session 21) the processing
// copy's tissue read 10-20 % more contrasty, and normal phantoms got ten times the false clusters.
TEST(ForProcessing, ReadsToThePresentationGreyLevels) {
  test::TempDir dir("calcscope-io-fp");
  for (const double density : {0.2, 0.8}) {
    const Phantom ph = normal_phantom(7110 + static_cast<int>(density * 10), 0.1, density);
    DicomWriteOptions pres, proc;
    pres.bits_stored = proc.bits_stored = 14;
    proc.presentation_intent = "FOR PROCESSING";
    write_dicom_mg(ph.image, dir / "pres.dcm", pres);
    write_dicom_mg(ph.image, dir / "proc.dcm", proc);
    const Image a = read_image(dir / "pres.dcm");
    const Image b = read_image(dir / "proc.dcm");
    ASSERT_EQ(a.pixels.size(), b.pixels.size());
    double sum = 0, sum_contrast = 0;
    std::size_t n = 0;
    for (int y = 1; y + 1 < a.height; ++y)
      for (int x = 1; x + 1 < a.width; ++x) {
        if (a.at(x, y) < 0.05f) continue;  // air
        sum += std::abs(a.at(x, y) - b.at(x, y));
        // local contrast (what the detector reads): pixel minus its right neighbour
        sum_contrast += std::abs((a.at(x, y) - a.at(x + 1, y)) - (b.at(x, y) - b.at(x + 1, y)));
        ++n;
      }
    ASSERT_GT(n, 100000u);
    std::printf("density %.1f: mean |grey difference| %.4f, mean |contrast difference| %.5f\n", density, sum / n,
                sum_contrast / n);
    EXPECT_LT(sum / n, 0.01) << density;
    EXPECT_LT(sum_contrast / n, 0.001) << density;
    bool said = false;
    for (const auto& w : b.info.warnings) said = said || w.find("tissue range") != std::string::npos;
    EXPECT_TRUE(said);
  }
}
