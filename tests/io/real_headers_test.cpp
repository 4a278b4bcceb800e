// Real mammography DICOM headers from ../shared/data/dicom-headers (pixel data shrunk or removed).
// Expected results were taken from dcmdump of each file (see docs/input-formats.md).
#include <gtest/gtest.h>

#include "calcscope/io/image_reader.h"
#include "calcscope/pipeline/analyze.h"
#include "io_test_util.h"
#include "test_support.h"

namespace calcscope {
namespace {

using test::contains;

std::filesystem::path headers_dir() {
  const auto shared = test::shared_dir();
  if (!shared) return {};
  const auto dir = *shared / "data" / "dicom-headers";
  return std::filesystem::exists(dir) ? dir : std::filesystem::path{};
}

#define REQUIRE_HEADERS(dir)                                                                       \
  const auto dir = headers_dir();                                                                  \
  if (dir.empty()) GTEST_SKIP() << "../shared/data/dicom-headers is absent: real-header tests skipped"

TEST(RealHeaders, GeForPresentationUsesImagerPixelSpacingNotNonsensePixelSpacing) {
  REQUIRE_HEADERS(dir);
  for (const char* f : {"MG-Im-GE_Seno_1_ForPresentation.dcm", "MG-Im-GE_Seno_2_ForPresentation.dcm"}) {
    const Image img = read_image(dir / f);
    // ImagerPixelSpacing 0.094090909, EstimatedRadiographicMagnificationFactor 1; PixelSpacing 74.7\46.6
    EXPECT_NEAR(img.pixel_size_mm, 0.094090909, 1e-8) << f;
    EXPECT_TRUE(contains(img.info.pixel_size_source, "ImagerPixelSpacing")) << img.info.pixel_size_source;
    EXPECT_EQ(img.width, 2);
    EXPECT_EQ(img.height, 1);
    EXPECT_EQ(img.info.laterality, "L");
    EXPECT_EQ(img.info.view, "CC");
    EXPECT_EQ(img.info.presentation_intent, "FOR PRESENTATION");
    EXPECT_EQ(img.info.photometric, "MONOCHROME2");
    EXPECT_EQ(img.info.manufacturer, "GE MEDICAL SYSTEMS");
    EXPECT_EQ(img.info.study_date, "20130412");
    EXPECT_EQ(img.info.transfer_syntax, "1.2.840.10008.1.2.1");
    EXPECT_EQ(img.info.detector_type, "SCINTILLATOR");  // trusted: never routed as film-like
    EXPECT_EQ(img.info.conversion_type, "WSD");
    EXPECT_TRUE(declares_digital_detector(img.info));
  }
  // Seno_1 pixels 0x090c, 0x0912 (MONOCHROME2): the second is brighter
  const Image img = read_image(dir / "MG-Im-GE_Seno_1_ForPresentation.dcm");
  EXPECT_EQ(img.info.bits_stored, 12);
  EXPECT_LT(img.at(0, 0), img.at(1, 0));
}

TEST(RealHeaders, GeForProcessingIsLogTransformedDenseBright) {
  REQUIRE_HEADERS(dir);
  const Image seno = read_image(dir / "MG-Im-GE_Seno_1_ForProcessing.dcm");
  EXPECT_NEAR(seno.pixel_size_mm, 0.094090909, 1e-8);
  EXPECT_EQ(seno.info.presentation_intent, "FOR PROCESSING");
  EXPECT_EQ(seno.info.photometric, "MONOCHROME1");
  EXPECT_EQ(seno.info.bits_stored, 11);
  // raw 0x0471 > 0x046a: more exposure = less dense = darker
  EXPECT_LT(seno.at(0, 0), seno.at(1, 0));

  const Image ds = read_image(dir / "MG-Im-GE-SenDS-scaled.dcm");
  EXPECT_EQ(ds.width, 4);
  EXPECT_EQ(ds.height, 4);
  EXPECT_NEAR(ds.pixel_size_mm, 0.094090909, 1e-8);
  EXPECT_EQ(ds.info.patient_id, "ABCD1234");
  // First row raw values 0x0427 0x1514 0x3e5b 0x3fff: exposure rises, so brightness falls.
  EXPECT_GT(ds.at(0, 0), ds.at(1, 0));
  EXPECT_GT(ds.at(1, 0), ds.at(2, 0));
  EXPECT_GT(ds.at(2, 0), ds.at(3, 0));
  EXPECT_FLOAT_EQ(ds.at(3, 0), 0.f);  // 0x3fff: saturated background is black
  EXPECT_FLOAT_EQ(ds.at(0, 1), 1.f);  // 0x03e4: the least exposure is the brightest
}

TEST(RealHeaders, HologicSecondaryCaptureWithoutPixelsIsNotAnImage) {
  REQUIRE_HEADERS(dir);
  // dcmdump: SecondaryCaptureImageStorage, Modality MG, Rows 425 Columns 266, no (7fe0,0010);
  // the file also has a malformed UN sequence (dcmdump stops with a parse error).
  try {
    (void)read_image(dir / "MG-Im-Hologic-PropProj.dcm");
    FAIL() << "expected NotAnImage";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::NotAnImage) << e.what();
    EXPECT_TRUE(contains(e.message(), "Secondary Capture")) << e.message();
    EXPECT_TRUE(contains(e.what(), "MG-Im-Hologic-PropProj.dcm"));
  }
}

TEST(RealHeaders, HologicDoseReportsAreNotImages) {
  REQUIRE_HEADERS(dir);
  for (const char* f : {"MG-RDSR-Hologic_2D.dcm", "MG-RDSR-Hologic_mix.dcm"}) {
    try {
      (void)read_image(dir / f);
      FAIL() << "expected NotAnImage for " << f;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::NotAnImage) << e.what();
      EXPECT_TRUE(contains(e.message(), "Radiation Dose SR")) << e.message();
      EXPECT_TRUE(contains(e.message(), "pass the mammogram image files")) << e.message();
      EXPECT_EQ(e.exit_code(), 6);
    }
  }
}

}  // namespace
}  // namespace calcscope
