// check_resolution() and the film-like route of analyze(): film resampled to digital-size pixels is
// analysed as film and reported on the input's pixel grid.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "calcscope/assess/describe.h"
#include "calcscope/core/error.h"
#include "calcscope/detect/breast.h"
#include "calcscope/detect/clusters.h"
#include "calcscope/phantom/phantom.h"
#include "calcscope/detect/scoring.h"
#include "calcscope/pipeline/analyze.h"
#include "core/cv_adapter.h"

namespace calcscope {
namespace {

PhantomSpec small_spec(double pixel_size_mm, double noise, int clusters = 0) {
  PhantomSpec s;
  s.width_mm = 70;
  s.height_mm = 90;
  s.pixel_size_mm = pixel_size_mm;
  s.seed = 41;
  s.noise = noise;
  s.random_clusters = clusters;
  return s;
}

const StageRecord& stage(const AnalysisResult& r, const std::string& name) {
  for (const auto& s : r.stages)
    if (s.name == name) return s;
  throw std::runtime_error("no stage " + name);
}

TEST(Resolution, DigitalPhantomsAreNotFilmLike) {
  for (const double px : {0.07, 0.1})
    for (const double noise : {0.7, 1.8}) {
      SCOPED_TRACE(px);
      SCOPED_TRACE(noise);
      const ResolutionCheck rc = check_resolution(make_phantom(small_spec(px, noise)).image);
      ASSERT_TRUE(rc.measured);
      EXPECT_GE(rc.tiles, 4);
      EXPECT_FALSE(rc.film_like) << rc.high_to_mid_log10;
      EXPECT_GT(rc.high_to_mid_log10, kFilmLikeMaxHighPowerLog10 + 0.2);  // the lowest case: -1.15
      EXPECT_FALSE(rc.block_upsampled);
      EXPECT_LT(rc.static_columns, 0.05);
      EXPECT_LT(rc.static_rows, 0.05);
      EXPECT_FALSE(rc.interpolated_from_film_grid);
      EXPECT_LT(std::max(rc.interpolation_peak_x, rc.interpolation_peak_y), kInterpolatedFilmMinPeak / 2);
      EXPECT_DOUBLE_EQ(rc.analyse_at_mm, 0.0);
    }
}

Image nearest_upsample(const Image& src, double pixel_size_mm) {
  return resample_image(src, pixel_size_mm, Interpolation::Nearest);
}

TEST(Resolution, NearestNeighbourUpsampledFilmIsAnalysedAtItsOwnPixels) {
  const Image film = make_phantom(small_spec(0.2, 1.0)).image;
  const Image up = nearest_upsample(film, 0.07);
  const ResolutionCheck rc = check_resolution(up);
  EXPECT_FALSE(rc.film_like) << "block edges carry fine power: the spectrum does not see it";
  ASSERT_TRUE(rc.block_upsampled) << rc.static_columns << " " << rc.static_rows;
  EXPECT_NEAR(rc.static_columns, 1 - 0.07 / 0.2, 0.03);
  EXPECT_NEAR(rc.upsampling_factor, 0.2 / 0.07, 0.15);
  EXPECT_NEAR(rc.analyse_at_mm, 0.2, 0.01);
  // the bicubic copy has no static column (the spectrum routes that one)
  const ResolutionCheck smooth = check_resolution(resample_image(film, 0.07));
  EXPECT_FALSE(smooth.block_upsampled);
  EXPECT_LT(smooth.static_columns, 0.05);
  // analysed as film: film cuts, reported on the input grid
  const AnalysisResult r = analyze(up);
  EXPECT_TRUE(stage(r, "resolution").parameters.at("block_upsampled").get<bool>());
  EXPECT_NEAR(r.analysed_pixel_size_mm, 0.2, 0.01);
  EXPECT_DOUBLE_EQ(r.min_cluster_score, default_cluster_min_score(0.2));
  ASSERT_FALSE(r.image_meta_only.info.warnings.empty());
  EXPECT_NE(r.image_meta_only.info.warnings.back().find("upsampled by nearest neighbour"), std::string::npos);
  EXPECT_EQ(r.image_meta_only.width, up.width);
  EXPECT_DOUBLE_EQ(r.image_meta_only.pixel_size_mm, 0.07);
}

// The fitted block grid gives back the source pixel for pixel, whatever the factor and wherever the
// first block starts (the copy cropped by 1 or 2 pixels starts with a partial block).
TEST(Resolution, UndoBlockUpsamplingRecoversTheSourcePixels) {
  const Image film = make_phantom(small_spec(0.2, 1.0)).image;
  for (const double px : {0.07, 0.1, 0.125}) {
    for (const int crop : {0, 1, 2}) {
      SCOPED_TRACE(std::to_string(px) + " mm, cropped by " + std::to_string(crop));
      const Image full = nearest_upsample(film, px);
      Image up(full.width - crop, full.height - crop, px);
      for (int y = 0; y < up.height; ++y)
        for (int x = 0; x < up.width; ++x) up.at(x, y) = full.at(x + crop, y + crop);
      const ResolutionCheck rc = check_resolution(up);
      ASSERT_TRUE(rc.block_upsampled) << rc.static_columns << " " << rc.static_rows << " " << rc.block_factor_x << " "
                                      << rc.block_factor_y;
      EXPECT_NEAR(rc.block_factor_x, 0.2 / px, 0.002);
      EXPECT_NEAR(rc.block_factor_y, 0.2 / px, 0.002);
      const Image src = undo_block_upsampling(up, rc);
      EXPECT_NEAR(src.pixel_size_mm, 0.2, 0.001);
      EXPECT_NEAR(src.width, film.width, 1);
      // a cropped copy may have lost its first (partial) source pixel: src starts at film pixel 0 or 1
      int best = 0, total = 0;
      for (const int shift : {0, 1}) {
        int same = 0;
        total = 0;
        for (int y = 0; y + 1 < std::min(src.height, film.height); ++y)
          for (int x = 0; x + 1 < std::min(src.width, film.width); ++x) {
            ++total;
            same += src.at(x, y) == film.at(x + shift, y + shift);
          }
        best = std::max(best, same);
      }
      EXPECT_GT(best, 0.999 * total) << best << " of " << total << "; factor " << rc.block_factor_x << " offset "
                                     << rc.block_offset_x;
    }
  }
}

TEST(Resolution, NearestNeighbourUpsampledDigitalImageIsAnalysedAtItsOwnPixels) {
  const Image digital = make_phantom(small_spec(0.1, 1.0)).image;
  const Image up = nearest_upsample(digital, 0.05);
  const ResolutionCheck rc = check_resolution(up);
  ASSERT_TRUE(rc.block_upsampled) << rc.static_columns << " " << rc.static_rows;
  EXPECT_NEAR(rc.upsampling_factor, 2.0, 0.05);
  const AnalysisResult r = analyze(up);
  EXPECT_NEAR(r.analysed_pixel_size_mm, 0.1, 0.003);
  EXPECT_DOUBLE_EQ(r.min_cluster_score, default_cluster_min_score(0.1));  // the digital cut, not film's
}

TEST(Resolution, FilmResampledToDigitalPixelsIsFilmLike) {
  const Image film = make_phantom(small_spec(0.2, 1.0)).image;
  EXPECT_FALSE(check_resolution(film).measured) << "film pixels: nothing to check";
  for (const double px : {0.07, 0.1}) {
    SCOPED_TRACE(px);
    const ResolutionCheck rc = check_resolution(resample_image(film, px));
    ASSERT_TRUE(rc.measured);
    EXPECT_TRUE(rc.film_like) << rc.high_to_mid_log10;
    EXPECT_LT(rc.high_to_mid_log10, kFilmLikeMaxHighPowerLog10 - 0.2);
  }
}

// Other tools' upsampling of film (OpenCV's bilinear and Lanczos, as an export or a PACS might make):
// film-like too. Session 14 checked the same on 16 mini-MIAS images each (docs/algorithms.md §0).
TEST(Resolution, FilmUpsampledBilinearOrLanczosIsFilmLike) {
  const Image film = make_phantom(small_spec(0.2, 1.0)).image;
  for (const int interpolation : {cv::INTER_LINEAR, cv::INTER_LANCZOS4}) {
    SCOPED_TRACE(interpolation);
    cv::Mat up;
    cv::resize(cvx::view(film), up, cv::Size(), 0.2 / 0.07, 0.2 / 0.07, interpolation);
    const ResolutionCheck rc = check_resolution(cvx::to_image(cv::min(cv::max(up, 0.0), 1.0), 0.07));
    ASSERT_TRUE(rc.measured);
    EXPECT_FALSE(rc.block_upsampled);
    EXPECT_TRUE(rc.film_like) << rc.high_to_mid_log10 << " " << rc.mid_to_low_log10;
  }
}

// Film interpolated to 70 um and then given white noise (0.5 % of the grey range): the spectrum no
// longer shows film (the noise fills the high band), but the interpolation grid does.
TEST(Resolution, NoisyInterpolatedFilmIsRecognisedByItsGrid) {
  const Image film = make_phantom(small_spec(0.2, 1.0)).image;
  for (const Interpolation how : {Interpolation::Linear, Interpolation::Cubic}) {
    SCOPED_TRACE(static_cast<int>(how));
    Image up = resample_image(film, 0.07, how);
    std::mt19937 rng(7);
    std::normal_distribution<float> noise(0.f, 0.005f);
    for (float& v : up.pixels) v = std::clamp(v + noise(rng), 0.f, 1.f);
    const ResolutionCheck rc = check_resolution(up);
    ASSERT_TRUE(rc.measured);
    EXPECT_GT(rc.high_to_mid_log10, kFilmLikeMaxHighPowerLog10) << "the spectrum alone would call it digital";
    EXPECT_TRUE(rc.interpolated_from_film_grid) << rc.interpolation_peak_x << " " << rc.interpolation_peak_y;
    EXPECT_TRUE(rc.film_like);
    EXPECT_DOUBLE_EQ(rc.analyse_at_mm, kFilmLikeAnalysisPixelSizeMm);
  }
}

// The same digital phantom smoothed or with its grey levels cut to 8 bits: shift-invariant
// processing makes no grid.
TEST(Resolution, ProcessedDigitalImageShowsNoInterpolationGrid) {
  Image img = make_phantom(small_spec(0.07, 1.0)).image;
  Image smooth = img;
  cv::Mat m = cvx::view(smooth);
  cv::GaussianBlur(m, m, cv::Size(), 1.43);
  Image eight = img;
  for (float& v : eight.pixels) v = std::round(v * 255.f) / 255.f;
  for (const Image* x : {&smooth, &eight}) {
    const ResolutionCheck rc = check_resolution(*x);
    EXPECT_FALSE(rc.interpolated_from_film_grid) << rc.interpolation_peak_x << " " << rc.interpolation_peak_y;
  }
}

// An 8-bit file of the same resampled film: the quantisation noise is taken off, so it is film-like
// too. Without the correction this test fails (-1.19 and -0.95: among the phantoms).
TEST(Resolution, EightBitQuantisationIsNotMistakenForDetail) {
  const Image film = make_phantom(small_spec(0.2, 1.0)).image;
  for (const double px : {0.07, 0.1}) {
    SCOPED_TRACE(px);
    Image up = resample_image(film, px);
    // a narrow grey range, as film tissue often has in an 8-bit file: quantisation is then a large
    // part of the fine-scale power
    for (float& v : up.pixels) v = std::round((0.3f + 0.15f * v) * 255.f) / 255.f;
    const ResolutionCheck rc = check_resolution(up);
    ASSERT_TRUE(rc.measured);
    EXPECT_TRUE(rc.film_like) << rc.high_to_mid_log10;
  }
}

// A digital image smoothed after acquisition (noise reduction, or noise blurred by the detector) loses
// its fine detail too, but its power falls gradually, already below film's 2.5 cycles/mm: it stays
// digital. (Analysed as film such phantoms scored worse than natively: docs/algorithms.md §0.)
TEST(Resolution, SmoothedDigitalImageIsNotFilmLike) {
  for (const double sigma_px : {1.0, 1.43, 2.0}) {
    SCOPED_TRACE(sigma_px);
    Image img = make_phantom(small_spec(0.07, 1.0)).image;
    cv::Mat m(img.height, img.width, CV_32F, img.pixels.data());
    cv::GaussianBlur(m, m, cv::Size(0, 0), sigma_px);
    const ResolutionCheck rc = check_resolution(img);
    ASSERT_TRUE(rc.measured);
    EXPECT_LT(rc.high_to_mid_log10, kFilmLikeMaxHighPowerLog10) << "the high band alone would call it film";
    EXPECT_LT(rc.mid_to_low_log10, kFilmLikeMinMidPowerLog10);
    EXPECT_FALSE(rc.film_like);
  }
}

TEST(Resolution, FilmLikeImageIsAnalysedAsFilmOnTheInputGrid) {
  const Phantom ph = make_phantom(small_spec(0.2, 1.0, 2));
  ASSERT_FALSE(ph.clusters.empty());
  const Image up = resample_image(ph.image, 0.07);
  const AnalysisResult r = analyze(up);
  const auto& rec = stage(r, "resolution").parameters;
  EXPECT_TRUE(rec.at("film_like").get<bool>());
  EXPECT_DOUBLE_EQ(rec.at("analysed_at_pixel_mm").get<double>(), 0.2);
  // the reader is told, in the image's warnings (JSON and the batch table)
  ASSERT_FALSE(r.image_meta_only.info.warnings.empty());
  EXPECT_NE(r.image_meta_only.info.warnings.back().find("analysed as film at 0.2 mm"), std::string::npos);
  // reported on the input's grid, with the film cuts
  EXPECT_EQ(r.image_meta_only.width, up.width);
  EXPECT_EQ(r.image_meta_only.height, up.height);
  EXPECT_DOUBLE_EQ(r.image_meta_only.pixel_size_mm, 0.07);
  EXPECT_EQ(r.region.mask.width, up.width);
  EXPECT_EQ(r.region.breast.height, up.height);
  EXPECT_DOUBLE_EQ(r.min_cluster_score, default_cluster_min_score(0.2));
  EXPECT_DOUBLE_EQ(r.analysed_pixel_size_mm, 0.2);
  for (const auto& c : r.calcifications) {
    EXPECT_NEAR(c.x * 0.07, c.x_mm, 0.07) << "pixel and mm positions disagree";
    EXPECT_NEAR(c.y * 0.07, c.y_mm, 0.07);
  }
  // the same as analysing the film copy directly, positions scaled by 0.2 / 0.07
  AnalyzeOptions native;
  native.check_resolution = false;
  const AnalysisResult direct = analyze(resample_image(up, 0.2), native);
  ASSERT_EQ(r.clusters.size(), direct.clusters.size());
  const double s = 0.2 / 0.07;
  for (std::size_t i = 0; i < r.clusters.size(); ++i) {
    EXPECT_NEAR(r.clusters[i].x, (direct.clusters[i].x + 0.5) * s - 0.5, 1e-6);
    EXPECT_NEAR(r.clusters[i].y, (direct.clusters[i].y + 0.5) * s - 0.5, 1e-6);
    EXPECT_DOUBLE_EQ(r.clusters[i].score, direct.clusters[i].score);
  }
  // --native-resolution: analysed at 0.07 mm with the digital cuts
  const AnalysisResult at_input = analyze(up, native);
  EXPECT_FALSE(stage(at_input, "resolution").parameters.at("film_like").get<bool>());
  EXPECT_DOUBLE_EQ(at_input.min_cluster_score, default_cluster_min_score(0.07));
  EXPECT_DOUBLE_EQ(at_input.analysed_pixel_size_mm, 0.07);
}

// Described as film too: the rules, not the learned descriptors (trained on 70 um phantoms).
TEST(Resolution, FilmLikeImageIsDescribedAsFilm) {
  const Image up = resample_image(make_phantom(small_spec(0.2, 1.0, 3)).image, 0.07);
  AnalyzeOptions all;
  all.min_calcification_score = all.min_cluster_score = 0;
  const AnalysisResult routed = analyze(up, all);
  ASSERT_FALSE(routed.clusters.empty());
  for (const auto& c : describe_image(up, routed).clusters)
    EXPECT_NE(c.measurements.value("morphology_source", std::string()), "model") << "cluster " << c.cluster_id;
  all.check_resolution = false;  // analysed at 0.07 mm: the learned descriptors describe it
  const AnalysisResult native = analyze(up, all);
  ASSERT_FALSE(native.clusters.empty());
  int by_model = 0;
  for (const auto& c : describe_image(up, native).clusters)
    by_model += c.measurements.value("distribution_source", std::string()) == "model";
  EXPECT_GT(by_model, 0);
}

TEST(Resolution, DicomDeclaringADigitalDetectorIsNotChecked) {
  Image up = resample_image(make_phantom(small_spec(0.2, 1.0)).image, 0.07);
  ASSERT_TRUE(check_resolution(up).film_like);
  up.info.format = "dicom";
  for (const char* detector : {"DIRECT", "SCINTILLATOR", "STORAGE"}) {
    SCOPED_TRACE(detector);
    up.info.detector_type = detector;  // a digital detector made these pixels: trusted
    const AnalysisResult r = analyze(up);
    const auto& rec = stage(r, "resolution").parameters;
    EXPECT_FALSE(rec.at("checked").get<bool>());
    EXPECT_NE(rec.at("not_checked_because").get<std::string>().find(detector), std::string::npos);
    EXPECT_DOUBLE_EQ(r.min_cluster_score, default_cluster_min_score(0.07));
  }
}

TEST(Resolution, DicomOfDigitisedFilmIsChecked) {
  Image up = resample_image(make_phantom(small_spec(0.2, 1.0)).image, 0.07);
  up.info.format = "dicom";
  for (const auto& [detector, conversion] : std::vector<std::pair<std::string, std::string>>{
           {"", ""}, {"FILM", ""}, {"DIRECT", "DF"}}) {  // no detector, film, or declared digitised film
    SCOPED_TRACE(detector + "/" + conversion);
    up.info.detector_type = detector;
    up.info.conversion_type = conversion;
    EXPECT_FALSE(declares_digital_detector(up.info));
    const AnalysisResult r = analyze(up);
    const auto& rec = stage(r, "resolution").parameters;
    EXPECT_TRUE(rec.at("checked").get<bool>());
    EXPECT_TRUE(rec.at("not_checked_because").is_null());
    EXPECT_TRUE(rec.at("film_like").get<bool>());
    EXPECT_DOUBLE_EQ(r.analysed_pixel_size_mm, kFilmLikeAnalysisPixelSizeMm);
  }
}

TEST(Resolution, WholeImageModeIsNotChecked) {
  AnalyzeOptions o;
  o.breast.whole_image = true;
  const Image film = make_phantom(small_spec(0.2, 1.0)).image;
  const AnalysisResult r = analyze(resample_image(film, 0.1), o);
  EXPECT_FALSE(stage(r, "resolution").parameters.at("checked").get<bool>());
  EXPECT_DOUBLE_EQ(stage(r, "resolution").parameters.at("analysed_at_pixel_mm").get<double>(), 0.1);
}

// A 4.2 mm patch of tissue with three bright specks, at 70 um (the INFN-style patch sets).
Image speck_patch() {
  Image im(60, 60, 0.07, 0.45f);
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.f, 0.004f);
  for (float& v : im.pixels) v += noise(rng);
  const std::vector<std::pair<double, double>> specks = {{1.2, 1.4}, {2.2, 2.6}, {3.0, 1.6}};  // mm
  for (int y = 0; y < im.height; ++y)
    for (int x = 0; x < im.width; ++x)
      for (const auto& [sx, sy] : specks) {
        const double dx = x * im.pixel_size_mm - sx, dy = y * im.pixel_size_mm - sy;
        im.pixels[static_cast<std::size_t>(y) * im.width + x] +=
            static_cast<float>(0.12 * std::exp(-(dx * dx + dy * dy) / (2 * 0.1 * 0.1)));
      }
  return im;
}

TEST(Patches, PatchSizeIsUnderFiftyMillimetresOnBothSides) {
  EXPECT_TRUE(is_patch_sized(Image(60, 60, 0.07, 0.5f)));
  EXPECT_TRUE(is_patch_sized(Image(700, 240, 0.07, 0.5f)));   // 49 x 16.8 mm
  EXPECT_FALSE(is_patch_sized(Image(720, 240, 0.07, 0.5f)));  // 50.4 mm wide
  EXPECT_FALSE(is_patch_sized(Image(60, 1024, 0.2, 0.5f)));   // 204.8 mm tall
  EXPECT_FALSE(is_patch_sized(Image(60, 60, 0.0, 0.5f)));     // no pixel size: never guessed
}

TEST(Patches, ACropWithoutABreastOutlineUnderTenCentimetresIsAnalysedWhole) {
  // 60 x 60 mm, black: no breast outline to find, and over kPatchMaxSideMm, under kCropMaxSideMm
  const Image crop(300, 300, 0.2, 0.0f);
  EXPECT_FALSE(is_patch_sized(crop));
  EXPECT_TRUE(is_crop_sized(crop));
  EXPECT_THROW((void)segment_breast(crop), Error);
  const AnalysisResult r = analyze(crop);
  EXPECT_TRUE(r.region.whole_image);
  bool warned = false;
  for (const auto& w : r.image_meta_only.info.warnings) warned |= w.find("no breast outline found") != std::string::npos;
  EXPECT_TRUE(warned);
  // the same at 120 mm is no crop: no breast found is an error
  try {
    (void)analyze(Image(600, 600, 0.2, 0.0f));
    ADD_FAILURE() << "a 120 mm image without a breast was analysed";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::NotAMammogram);
  }
}

// A crop of breast tissue between 50 and 100 mm with no air around it (session 23): Otsu split it into
// fatty and dense tissue, and only the dense half was searched (on an 80 mm crop of a phantom, 3130 of
// its 6390 mm², with a false cluster). It is now analysed whole; a small breast with air is not.
TEST(Patches, ACropOfTissueWithoutAirIsAnalysedWhole) {
  PhantomSpec spec;
  spec.seed = 4242;
  spec.pixel_size_mm = 0.2;
  spec.width_mm = 180;
  spec.height_mm = 230;
  const Image full = make_phantom(spec).image;
  const int side = 400;  // 80 mm, inside the breast (the chest wall is at the left for laterality L)
  Image crop(side, side, 0.2, 0.f);
  const int x0 = 100, y0 = (full.height - side) / 2;  // 20-100 mm from the left, 75-155 mm from the top
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x) crop.at(x, y) = full.at(x0 + x, y0 + y);
  ASSERT_TRUE(is_crop_sized(crop));
  try {
    (void)segment_breast(crop);
    ADD_FAILURE() << "a crop of tissue was segmented as a breast";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::NotAMammogram);
    EXPECT_NE(e.message().find("no air"), std::string::npos) << e.message();
  }
  const AnalysisResult r = analyze(crop);
  EXPECT_TRUE(r.region.whole_image);
  bool warned = false;
  for (const auto& w : r.image_meta_only.info.warnings) warned |= w.find("no air around the tissue") != std::string::npos;
  EXPECT_TRUE(warned);

  PhantomSpec small = spec;  // a small breast, crop-sized, with air around it: segmented as before
  small.width_mm = 90;
  small.height_mm = 90;
  const AnalysisResult s = analyze(make_phantom(small).image);
  EXPECT_FALSE(s.region.whole_image);
  EXPECT_LT(s.region.area_mm2, 0.6 * 90 * 90);
}

TEST(Patches, PixelsCoarserThanAnyMammogramAreWarnedAbout) {
  const auto warned = [](const AnalysisResult& r) {
    for (const auto& w : r.image_meta_only.info.warnings)
      if (w.find("coarser than any mammography detector") != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(warned(analyze(Image(60, 60, 0.5, 0.5f))));
  EXPECT_FALSE(warned(analyze(Image(60, 60, 0.2, 0.5f))));
}

TEST(Patches, ImagesUnderOneMillimetreOrEightPixelsAreRejectedClearly) {
  for (const Image& im : {Image(12, 40, 0.07, 0.5f), Image(40, 7, 0.5, 0.5f), Image(2, 2, 0.07, 0.5f),
                          Image(24, 24, 0.01, 0.5f)}) {
    try {
      (void)analyze(im);
      ADD_FAILURE() << im.width << " x " << im.height << " at " << im.pixel_size_mm << " mm was analysed";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidImage);
      EXPECT_NE(std::string(e.what()).find("too small"), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW((void)analyze(Image(15, 15, 0.07, 0.5f)));    // 1.05 mm
  EXPECT_NO_THROW((void)analyze(Image(100, 100, 0.01, 0.5f)));  // 1 mm at 10 um
}

TEST(Patches, APatchIsAnalysedAsWholeTissueWithoutBeingAsked) {
  const Image patch = speck_patch();
  // a patch cannot be segmented: asked explicitly for a breast, it is "no breast found"
  EXPECT_THROW(segment_breast(patch), Error);
  AnalyzeOptions o;
  o.min_calcification_score = 0;
  o.min_cluster_score = 0;
  const AnalysisResult automatic = analyze(patch, o);
  o.breast.whole_image = true;
  const AnalysisResult asked = analyze(patch, o);
  EXPECT_TRUE(automatic.region.whole_image);
  EXPECT_DOUBLE_EQ(automatic.region.area_mm2, patch.width_mm() * patch.height_mm());
  const auto& w = automatic.image_meta_only.info.warnings;
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("analysed as a patch"), std::string::npos) << w[0];
  EXPECT_TRUE(asked.image_meta_only.info.warnings.empty()) << "asked for: nothing to warn about";
  // the same analysis either way, and the specks are found
  ASSERT_EQ(automatic.calcifications.size(), asked.calcifications.size());
  for (std::size_t i = 0; i < asked.calcifications.size(); ++i) {
    EXPECT_DOUBLE_EQ(automatic.calcifications[i].x, asked.calcifications[i].x);
    EXPECT_DOUBLE_EQ(automatic.calcifications[i].score, asked.calcifications[i].score);
  }
  // the image-context features of its clusters are the imputed ones (no skin line, no whole breast)
  ASSERT_FALSE(automatic.clusters.empty()) << "three specks within 2 mm form a cluster";
  const auto& names = cluster_feature_names();
  const auto at = [&](const char* n) { return static_cast<std::size_t>(std::find(names.begin(), names.end(), n) - names.begin()); };
  for (const auto& k : automatic.clusters) {
    EXPECT_DOUBLE_EQ(k.features.at(at("mean_dist_to_skin_mm")), kPatchDistToSkinMm);
    EXPECT_DOUBLE_EQ(k.features.at(at("image_likely_per_cm2")), kPatchLikelyPerCm2);
  }
  // no nipple on a patch: no position relative to it in the words either
  const BreastPosition pos = describe_position(automatic.clusters[0].x, automatic.clusters[0].y, automatic);
  EXPECT_TRUE(pos.text.empty()) << pos.text;
  EXPECT_LT(pos.nipple_distance_mm, 0);
  int near_speck = 0;
  for (const auto& c : automatic.calcifications)
    for (const auto& [sx, sy] : std::vector<std::pair<double, double>>{{1.2, 1.4}, {2.2, 2.6}, {3.0, 1.6}})
      if (std::hypot(c.x * patch.pixel_size_mm - sx, c.y * patch.pixel_size_mm - sy) < 0.2) ++near_speck;
  EXPECT_EQ(near_speck, 3);
}

// A patch at digital pixel sizes is rescored by the patch model (docs/algorithms.md §3b), with its own
// cut; --no-patch-model keeps the image model; film pixels and whole mammograms never use it.
TEST(Patches, DigitalPatchesAreRescoredByThePatchModel) {
  ASSERT_NE(default_patch_model(), nullptr) << "models/calcification-patch.json is embedded";
  const Image patch = speck_patch();
  const AnalysisResult rescored = analyze(patch);
  EXPECT_TRUE(rescored.patch_rescored);
  EXPECT_DOUBLE_EQ(rescored.min_calcification_score, kDefaultCalcificationMinScorePatch);
  EXPECT_NE(rescored.models.find("calcification-patch"), std::string::npos) << rescored.models;
  AnalyzeOptions o;
  o.patch_model = false;
  const AnalysisResult image_model = analyze(patch, o);
  EXPECT_FALSE(image_model.patch_rescored);
  EXPECT_DOUBLE_EQ(image_model.min_calcification_score, kDefaultCalcificationMinScore);
  // every candidate scored both ways: the scores are the patch model's on its features
  o.min_calcification_score = 0;
  o.min_cluster_score = 1.01;
  std::vector<Calcification> cands = analyze(patch, o).calcifications;
  o.patch_model = true;
  const auto by_patch = analyze(patch, o).calcifications;
  ASSERT_EQ(cands.size(), by_patch.size());
  ASSERT_FALSE(cands.empty());
  score_patch_calcifications(cands, *default_patch_model());
  for (std::size_t i = 0; i < cands.size(); ++i) EXPECT_DOUBLE_EQ(cands[i].score, by_patch[i].score);
  // the three specks stay found at the patch cut
  int found = 0;
  for (const auto& c : rescored.calcifications)
    for (const auto& [sx, sy] : std::vector<std::pair<double, double>>{{1.2, 1.4}, {2.2, 2.6}, {3.0, 1.6}})
      if (std::hypot(c.x * patch.pixel_size_mm - sx, c.y * patch.pixel_size_mm - sy) < 0.2) ++found;
  EXPECT_EQ(found, 3);
  // film pixels: the general models, no patch model
  EXPECT_FALSE(analyze(Image(60, 60, 0.2, 0.5f)).patch_rescored);
}

}  // namespace
}  // namespace calcscope
