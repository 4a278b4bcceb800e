// write_dicom_mg -> read_dicom for every compression x photometric x bits x presentation intent.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <thread>
#include <tuple>
#include <vector>

#include "calcscope/io/image_reader.h"
#include "calcscope/io/image_writer.h"
#include "dicom_craft.h"
#include "io_test_util.h"
#include "test_support.h"

namespace calcscope {
namespace {

using test::contains;
using test::correlation;

struct CompressionCase {
  DicomCompression compression;
  const char* name;
  const char* ts_lossless_uid;  ///< expected transfer syntax
  bool lossy;
};

const CompressionCase kCompressions[] = {
    {DicomCompression::None, "none", "1.2.840.10008.1.2.1", false},
    {DicomCompression::JpegLossless, "jpeg-lossless", "1.2.840.10008.1.2.4.70", false},
    {DicomCompression::JpegBaseline, "jpeg-baseline", "1.2.840.10008.1.2.4.51", true},
    {DicomCompression::JpegLs, "jpeg-ls", "1.2.840.10008.1.2.4.80", false},
    {DicomCompression::Rle, "rle", "1.2.840.10008.1.2.5", false},
    {DicomCompression::Jpeg2000, "jpeg2000", "1.2.840.10008.1.2.4.90", false},
};

using Params = std::tuple<int /*compression index*/, const char* /*photometric*/, int /*bits*/, const char* /*intent*/>;

class DicomRoundTrip : public ::testing::TestWithParam<Params> {};

TEST_P(DicomRoundTrip, PreservesGeometryTagsAndPixels) {
  const auto [ci, photometric, bits, intent] = GetParam();
  const CompressionCase& cc = kCompressions[ci];
  test::TempDir dir("calcscope-io-rt");
  const Image original = test::synthetic_image(300, 400, 0.085);
  DicomWriteOptions wo;
  wo.compression = cc.compression;
  wo.photometric = photometric;
  wo.bits_stored = bits;
  wo.presentation_intent = intent;
  wo.laterality = "R";
  wo.view = "MLO";
  wo.patient_id = "RT-1";
  const auto path = dir / "rt.dcm";
  write_dicom_mg(original, path, wo);
  ASSERT_TRUE(looks_like_dicom(path));

  const Image read = read_dicom(path);
  EXPECT_EQ(read.width, 300);
  EXPECT_EQ(read.height, 400);
  EXPECT_NEAR(read.pixel_size_mm, 0.085, 1e-9);
  EXPECT_EQ(read.info.pixel_size_source, "ImagerPixelSpacing");
  EXPECT_EQ(read.info.laterality, "R");
  EXPECT_EQ(read.info.view, "MLO");
  EXPECT_EQ(read.info.patient_id, "RT-1");
  EXPECT_EQ(read.info.presentation_intent, intent);
  EXPECT_EQ(read.info.photometric, photometric);
  EXPECT_EQ(read.info.format, "dicom");
  EXPECT_EQ(read.info.transfer_syntax,
            cc.compression == DicomCompression::JpegBaseline ? "1.2.840.10008.1.2.4.51" : cc.ts_lossless_uid);
  EXPECT_EQ(read.info.sop_class_uid, std::string(intent) == "FOR PROCESSING" ? "1.2.840.10008.5.1.4.1.1.1.2.1"
                                                                              : "1.2.840.10008.5.1.4.1.1.1.2");
  EXPECT_FALSE(read.info.sop_instance_uid.empty());
  EXPECT_FALSE(read.info.study_instance_uid.empty());
  EXPECT_EQ(read.info.bits_stored, cc.lossy ? 12 : bits);
  ASSERT_EQ(read.pixels.size(), original.pixels.size());
  float mn = 1, mx = 0;
  for (float v : read.pixels) { mn = std::min(mn, v); mx = std::max(mx, v); }
  EXPECT_GE(mn, 0.f);
  EXPECT_LE(mx, 1.f);
  if (std::string(intent) == "FOR PRESENTATION") {
    // For Presentation data keep their grey levels, value / (2^BitsStored - 1), as the image's PNG
    // export does (session 17; the fixture spans 0.05-0.95, so the old stretch to the full range
    // would have moved every pixel)
    double worst = 0, sum = 0;
    for (std::size_t i = 0; i < read.pixels.size(); ++i) {
      const double d = std::abs(static_cast<double>(read.pixels[i]) - original.pixels[i]);
      worst = std::max(worst, d);
      sum += d;
    }
    if (cc.lossy) EXPECT_LT(sum / read.pixels.size(), 0.02) << cc.name << " " << photometric << " " << bits;
    else EXPECT_LE(worst, 1.0 / ((1 << read.info.bits_stored) - 1) + 1e-6) << cc.name << " " << photometric << " " << bits;
  } else {
    EXPECT_GT(mx - mn, 0.9f) << "normalisation should use the full range";
  }
  const double r = correlation(original, read);
  RecordProperty("correlation", std::to_string(r));
  EXPECT_GT(r, cc.lossy ? 0.95 : 0.99) << cc.name << " " << photometric << " " << bits << " " << intent;
  // dense is bright: a dot centre is brighter than the air band
  EXPECT_GT(read.at(60, 30), read.at(5, 30) + 0.5f);
}

std::string case_name(const ::testing::TestParamInfo<Params>& info) {
  const auto [ci, photometric, bits, intent] = info.param;
  std::string n = std::string(kCompressions[ci].name) + "_" + photometric + "_" + std::to_string(bits) + "_" +
                  (std::string(intent) == "FOR PROCESSING" ? "processing" : "presentation");
  for (auto& c : n)
    if (c == '-') c = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(AllCombinations, DicomRoundTrip,
                         ::testing::Combine(::testing::Range(0, 6), ::testing::Values("MONOCHROME1", "MONOCHROME2"),
                                            ::testing::Values(10, 12, 16),
                                            ::testing::Values("FOR PRESENTATION", "FOR PROCESSING")),
                         case_name);

TEST(DicomRead, EightBitBaselineUsesProcess1) {
  test::TempDir dir("calcscope-io-rt8");
  const Image original = test::synthetic_image(200, 150, 0.1);
  DicomWriteOptions wo;
  wo.bits_stored = 8;
  wo.compression = DicomCompression::JpegBaseline;
  write_dicom_mg(original, dir / "b8.dcm", wo);
  const Image read = read_dicom(dir / "b8.dcm");
  EXPECT_EQ(read.info.transfer_syntax, "1.2.840.10008.1.2.4.50");
  EXPECT_EQ(read.info.bits_stored, 8);
  EXPECT_GT(correlation(original, read), 0.95);
}

TEST(DicomRead, PixelSpacingFallbackWarns) {
  test::TempDir dir("calcscope-io-ps");
  DicomWriteOptions wo;
  wo.write_imager_pixel_spacing = false;
  wo.write_pixel_spacing = true;
  write_dicom_mg(test::synthetic_image(100, 120, 0.07), dir / "ps.dcm", wo);
  const Image read = read_dicom(dir / "ps.dcm");
  EXPECT_NEAR(read.pixel_size_mm, 0.07, 1e-9);
  EXPECT_EQ(read.info.pixel_size_source, "PixelSpacing");
  bool warned = false;
  for (const auto& w : read.info.warnings) warned = warned || contains(w, "PixelSpacing");
  EXPECT_TRUE(warned);
}

TEST(DicomRead, BothSpacingsPresentUsesImagerOverMagnification) {
  test::TempDir dir("calcscope-io-ips");
  DicomWriteOptions wo;
  wo.write_pixel_spacing = true;
  wo.magnification_factor = 1.25;  // PixelSpacing = 0.08 (breast), ImagerPixelSpacing = 0.1 (detector)
  write_dicom_mg(test::synthetic_image(100, 120, 0.08), dir / "mag.dcm", wo);
  const Image read = read_dicom(dir / "mag.dcm");
  EXPECT_NEAR(read.pixel_size_mm, 0.08, 1e-9);
  EXPECT_TRUE(contains(read.info.pixel_size_source, "EstimatedRadiographicMagnificationFactor"))
      << read.info.pixel_size_source;
}

TEST(DicomRead, MagnificationFactorDividesImagerPixelSpacing) {
  test::TempDir dir("calcscope-io-mag");
  DicomWriteOptions wo;
  wo.magnification_factor = 1.1;
  write_dicom_mg(test::synthetic_image(100, 120, 0.07), dir / "mag.dcm", wo);
  const Image read = read_dicom(dir / "mag.dcm");
  EXPECT_NEAR(read.pixel_size_mm, 0.07, 1e-7);
  EXPECT_TRUE(contains(read.info.pixel_size_source, "1.1")) << read.info.pixel_size_source;
}

TEST(DicomRead, CommandLinePixelSizeOverridesFile) {
  test::TempDir dir("calcscope-io-ovr");
  write_dicom_mg(test::synthetic_image(100, 120, 0.07), dir / "o.dcm", DicomWriteOptions{});
  ReadOptions ro;
  ro.pixel_size_mm = 0.05;
  const Image read = read_dicom(dir / "o.dcm", ro);
  EXPECT_DOUBLE_EQ(read.pixel_size_mm, 0.05);
  EXPECT_EQ(read.info.pixel_size_source, "command line");
}

TEST(DicomRead, ReadImageDispatchesOnContentNotExtension) {
  test::TempDir dir("calcscope-io-disp");
  const Image original = test::synthetic_image(120, 100, 0.1);
  write_dicom_mg(original, dir / "looks_like.png", DicomWriteOptions{});
  const Image a = read_image(dir / "looks_like.png");
  EXPECT_EQ(a.info.format, "dicom");
  write_raster(original, dir / "really.png", 16);
  std::filesystem::rename(dir / "really.png", dir / "really.dcm");
  ReadOptions ro;
  ro.pixel_size_mm = 0.2;
  const Image b = read_image(dir / "really.dcm", ro);
  EXPECT_EQ(b.info.format, "png");
  EXPECT_GT(correlation(original, b), 0.999);
}

TEST(DicomRead, IdentityTagsAreFilled) {
  test::TempDir dir("calcscope-io-id");
  DicomWriteOptions wo;
  wo.patient_name = "Doe^Jane";
  wo.patient_id = "P123";
  wo.study_date = "20240229";
  wo.manufacturer = "ACME";
  wo.study_instance_uid = "1.2.3.4.5";
  write_dicom_mg(test::synthetic_image(64, 64, 0.1), dir / "id.dcm", wo);
  const Image read = read_dicom(dir / "id.dcm");
  EXPECT_EQ(read.info.patient_name, "Doe^Jane");
  EXPECT_EQ(read.info.patient_id, "P123");
  EXPECT_EQ(read.info.study_date, "20240229");
  EXPECT_EQ(read.info.manufacturer, "ACME");
  EXPECT_EQ(read.info.study_instance_uid, "1.2.3.4.5");
  EXPECT_EQ(read.info.laterality, "L");
  EXPECT_EQ(read.info.view, "CC");
  EXPECT_FALSE(read.info.series_instance_uid.empty());
}

// A header in an undeclared 8-bit character set (common in old files) reaches every output as valid
// UTF-8: read as Latin-1. Until session 24 such bytes made the analysis JSON fail (exit 70).
TEST(DicomRead, UndeclaredEightBitTextIsReadAsLatin1) {
  test::TempDir dir("calcscope-io-latin1");
  test::Crafted c;
  c.patient_name = "M\xfcller^Anna";
  c.study_date = "2024\x9a" "0101";
  test::craft(dir / "latin1.dcm", c);
  const Image read = read_dicom(dir / "latin1.dcm");
  EXPECT_EQ(read.info.patient_name, "M\xc3\xbcller^Anna");  // Müller in UTF-8
  EXPECT_EQ(read.info.study_date, "2024\xc2\x9a" "0101");
}

std::string run_command(const std::string& cmd) {
  std::string out;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return out;
  char buf[4096];
  while (std::fgets(buf, sizeof(buf), pipe)) out += buf;
  pclose(pipe);
  return out;
}

TEST(DicomWrite, ObjectsPassDciodvfy) {
  if (run_command("command -v dciodvfy").empty()) GTEST_SKIP() << "dciodvfy (dicom3tools) is not installed";
  test::TempDir dir("calcscope-io-dciodvfy");
  const Image img = test::synthetic_image(120, 100, 0.07);
  for (const auto& cc : kCompressions)
    for (const char* intent : {"FOR PRESENTATION", "FOR PROCESSING"})
      for (const char* photometric : {"MONOCHROME1", "MONOCHROME2"}) {
        DicomWriteOptions wo;
        wo.compression = cc.compression;
        wo.presentation_intent = intent;
        wo.photometric = photometric;
        wo.view = "MLO";
        wo.write_pixel_spacing = true;
        const auto path = dir / "v.dcm";
        write_dicom_mg(img, path, wo);
        const std::string report = run_command("dciodvfy '" + path.string() + "' 2>&1");
        EXPECT_FALSE(contains(report, "Error")) << cc.name << " " << intent << " " << photometric << "\n" << report;
        EXPECT_TRUE(contains(report, std::string(intent) == "FOR PROCESSING" ? "MammographyImageForProcessing"
                                                                             : "MammographyImageForPresentation"))
            << report;
      }
}

/// Loads `path`, lets `edit` change the data set and the 16-bit pixel values, saves it back.
void edit_dicom(const std::filesystem::path& path, const std::function<void(DcmDataset&, std::vector<Uint16>&)>& edit) {
  DcmFileFormat file;
  ASSERT_TRUE(file.loadFile(path.c_str()).good());
  DcmDataset& ds = *file.getDataset();
  const Uint16* data = nullptr;
  unsigned long count = 0;
  ASSERT_TRUE(ds.findAndGetUint16Array(DCM_PixelData, data, &count).good());
  std::vector<Uint16> px(data, data + count);
  edit(ds, px);
  ASSERT_TRUE(ds.putAndInsertUint16Array(DCM_PixelData, px.data(), count).good());
  ASSERT_TRUE(file.saveFile(path.c_str(), EXS_LittleEndianExplicit).good());
}

TEST(DicomRead, RawDataWithNegativeIntensitySignIsStillDenseBright) {
  test::TempDir dir("calcscope-io-sign");
  const Image original = test::synthetic_image(120, 100, 0.1);
  DicomWriteOptions wo;
  wo.presentation_intent = "FOR PROCESSING";
  wo.bits_stored = 14;
  write_dicom_mg(original, dir / "raw.dcm", wo);
  // values that fall with exposure: stored' = max - stored, PixelIntensityRelationshipSign -1
  edit_dicom(dir / "raw.dcm", [](DcmDataset& ds, std::vector<Uint16>& px) {
    ds.putAndInsertSint16(DCM_PixelIntensityRelationshipSign, -1);
    for (auto& v : px) v = static_cast<Uint16>(16383 - v);
  });
  const Image read = read_dicom(dir / "raw.dcm");
  EXPECT_GT(correlation(original, read), 0.99);
}

TEST(DicomRead, SignedPixelsRescaleAndPaddingAreHonoured) {
  test::TempDir dir("calcscope-io-signed");
  const Image original = test::synthetic_image(120, 100, 0.1);
  DicomWriteOptions wo;
  wo.bits_stored = 12;
  write_dicom_mg(original, dir / "s.dcm", wo);
  // store v - 2048 as signed 12-bit two's complement, with RescaleIntercept +2048 and slope 2;
  // pixel (0,0) becomes padding
  edit_dicom(dir / "s.dcm", [](DcmDataset& ds, std::vector<Uint16>& px) {
    ds.putAndInsertUint16(DCM_PixelRepresentation, 1);
    ds.putAndInsertString(DCM_RescaleIntercept, "2048");
    ds.putAndInsertString(DCM_RescaleSlope, "2");
    for (auto& v : px) v = static_cast<Uint16>((static_cast<int>(v) - 2048) & 0x0FFF);
    px[0] = 0x0800;  // -2048: the padding value
    ds.putAndInsertSint16(DCM_PixelPaddingValue, -2048);
  });
  const Image read = read_dicom(dir / "s.dcm");
  EXPECT_FLOAT_EQ(read.at(0, 0), 0.f);
  Image a = original, b = read;
  a.pixels.erase(a.pixels.begin());
  b.pixels.erase(b.pixels.begin());
  EXPECT_GT(correlation(a, b), 0.99);
}

TEST(DicomRead, ConcurrentReadsOfAllCodecsAgree) {
  test::TempDir dir("calcscope-io-mt");
  const Image original = test::synthetic_image(200, 160, 0.1);
  std::vector<std::filesystem::path> files;
  for (const auto& cc : kCompressions) {
    DicomWriteOptions wo;
    wo.compression = cc.compression;
    files.push_back(dir / (std::string(cc.name) + ".dcm"));
    write_dicom_mg(original, files.back(), wo);
  }
  std::vector<double> corr(files.size() * 4, 0.0);
  std::vector<std::thread> workers;
  for (std::size_t t = 0; t < corr.size(); ++t)
    workers.emplace_back([&, t] {
      try {
        corr[t] = correlation(original, read_image(files[t % files.size()]));
      } catch (...) {
        corr[t] = -1.0;
      }
    });
  for (auto& w : workers) w.join();
  for (std::size_t t = 0; t < corr.size(); ++t) EXPECT_GT(corr[t], 0.95) << files[t % files.size()];
}

TEST(DicomWrite, RejectsBadOptions) {
  test::TempDir dir("calcscope-io-wopt");
  const Image img = test::synthetic_image(32, 32, 0.1);
  DicomWriteOptions wo;
  wo.bits_stored = 20;
  test::expect_error([&] { write_dicom_mg(img, dir / "x.dcm", wo); }, ErrorCode::Usage);
  wo = {};
  wo.photometric = "RGB";
  test::expect_error([&] { write_dicom_mg(img, dir / "x.dcm", wo); }, ErrorCode::Usage);
  test::expect_error([&] { write_dicom_mg(img, dir / "no_such_dir" / "x.dcm", DicomWriteOptions{}); },
                     ErrorCode::OutputFailed);
  test::expect_error([] { (void)parse_dicom_compression("zip"); }, ErrorCode::Usage);
  EXPECT_EQ(parse_dicom_compression("jpeg2000"), DicomCompression::Jpeg2000);
  EXPECT_EQ(parse_dicom_compression("jpeg-ls"), DicomCompression::JpegLs);
}

// Session 17: the same image as 12-bit DICOM (For Presentation, MONOCHROME1 or 2) and as 16-bit PNG
// reads to the same grey levels, so a mammogram gives the same analysis whichever format carries it.
// (Before, the DICOM reader stretched the 0.01-99.999th percentiles to [0, 1], which raised every
// contrast of a phantom by about a tenth and doubled the false clusters on DICOM normals.)
TEST(DicomAndPng, SameImageReadsToTheSameGreyLevels) {
  test::TempDir dir("calcscope-io-same");
  const Image original = test::synthetic_image(200, 240, 0.1);
  write_raster(original, dir / "same.png", 16);
  ReadOptions ro;
  ro.pixel_size_mm = 0.1;
  const Image png = read_image(dir / "same.png", ro);
  for (const char* photometric : {"MONOCHROME2", "MONOCHROME1"}) {
    DicomWriteOptions wo;
    wo.photometric = photometric;
    wo.bits_stored = 12;
    write_dicom_mg(original, dir / "same.dcm", wo);
    const Image dcm = read_image(dir / "same.dcm");
    ASSERT_EQ(dcm.pixels.size(), png.pixels.size());
    double worst = 0;
    for (std::size_t i = 0; i < png.pixels.size(); ++i)
      worst = std::max(worst, std::abs(static_cast<double>(dcm.pixels[i]) - png.pixels[i]));
    EXPECT_LE(worst, 1.0 / 4095 + 1.0 / 65535) << photometric;
  }
  // Data that use less than a quarter of the declared range (here 16 bits declared, values below
  // 0.2 x 65535, i.e. 14 bits used) are read on the bits they use: 65535 / 16383 = 4.0 times brighter.
  Image faint = original;
  for (auto& v : faint.pixels) v *= 0.2f;
  DicomWriteOptions wo;
  wo.bits_stored = 16;
  write_dicom_mg(faint, dir / "faint.dcm", wo);
  const Image read = read_image(dir / "faint.dcm");
  double worst = 0;
  for (std::size_t i = 0; i < faint.pixels.size(); ++i)
    worst = std::max(worst, std::abs(static_cast<double>(read.pixels[i]) - faint.pixels[i] * 65535.0 / 16383.0));
  EXPECT_LE(worst, 1e-4);
}

}  // namespace
}  // namespace calcscope
