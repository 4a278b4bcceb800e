// Pure helpers of the training command (src/train/train.cpp): patient-pair folds and the imaging
// of the digital family's varied phantoms.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>

#include "calcscope/train/train.h"

namespace calcscope {
namespace {

TEST(MiasFold, PatientPairsShareAFoldAndEveryFoldIsUsed) {
  std::set<int> used;
  for (int k = 1; k <= 161; ++k) {
    char a[16], b[16];
    std::snprintf(a, sizeof a, "mdb%03d", 2 * k - 1);
    std::snprintf(b, sizeof b, "mdb%03d", 2 * k);
    const int fa = mias_fold(a, 5), fb = mias_fold(b, 5);
    EXPECT_EQ(fa, fb) << a << " and " << b << " are one woman's two breasts";
    EXPECT_GE(fa, 0);
    EXPECT_LT(fa, 5);
    used.insert(fa);
  }
  EXPECT_EQ(used.size(), 5u);
}

TEST(PhantomImagingVariety, CoversTheDocumentedRangesOnIndependentGrids) {
  std::set<long> betas, blurs, noises;
  // per pixel-size slot (i % 3, the training phantoms' cycle): the texture exponents seen
  std::map<int, std::set<long>> beta_by_pixel_slot;
  for (int i = 0; i < 240; ++i) {
    const PhantomImaging v = phantom_imaging_variety(i);
    EXPECT_GE(v.texture_beta, 2.5 - 1e-9);
    EXPECT_LE(v.texture_beta, 3.5 + 1e-9);
    EXPECT_GE(v.blur_mm, 0.04 - 1e-9);
    EXPECT_LE(v.blur_mm, 0.10 + 1e-9);
    EXPECT_GE(v.noise, 0.7 - 1e-9);
    EXPECT_LE(v.noise, 1.8 + 1e-9);
    betas.insert(std::lround(v.texture_beta * 100));
    blurs.insert(std::lround(v.blur_mm * 1000));
    noises.insert(std::lround(v.noise * 1000));
    beta_by_pixel_slot[i % 3].insert(std::lround(v.texture_beta * 100));
  }
  EXPECT_EQ(betas.size(), 11u);
  EXPECT_EQ(blurs.size(), 7u);
  EXPECT_EQ(noises.size(), 13u);
  EXPECT_EQ(*betas.begin(), 250);
  EXPECT_EQ(*betas.rbegin(), 350);
  // every pixel size sees every texture exponent (the grids are not aligned with the 3-cycle)
  for (const auto& [slot, seen] : beta_by_pixel_slot) EXPECT_EQ(seen.size(), 11u) << "pixel slot " << slot;
  // deterministic
  EXPECT_EQ(phantom_imaging_variety(17).noise, phantom_imaging_variety(17).noise);
}

}  // namespace
}  // namespace calcscope
