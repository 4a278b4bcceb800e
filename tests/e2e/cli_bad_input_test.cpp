// Bad inputs through the real CLI: each gives its documented exit code (src/core/error.cpp,
// docs/input-formats.md) and a message naming the file; a batch continues past a bad file.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "../io/dicom_craft.h"
#include "../io/io_test_util.h"
#include "calcscope/core/error.h"
#include "calcscope/io/image_writer.h"
#include "test_support.h"

namespace calcscope {
namespace {

using test::contains;
using test::read_bytes;
using test::write_bytes;

using test::quoted;

struct BadCase {
  std::string file;
  ErrorCode code;
  std::string extra_args;
};

class CliBadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto& d = dir_.path();
    write_bytes(d / "empty.dcm", "");
    write_bytes(d / "notes.txt", "not an image at all, just some text\n");
    test::Crafted dose;
    dose.pixel_data = false;
    dose.sop_class = UID_XRayRadiationDoseSRStorage;
    dose.modality = "SR";
    test::craft(d / "dose_report.dcm", dose);
    test::Crafted rgb;
    rgb.samples = 3;
    rgb.photometric = "RGB";
    test::craft(d / "colour.dcm", rgb);
    test::Crafted tomo;
    tomo.frames = 4;
    test::craft(d / "tomo.dcm", tomo);
    test::Crafted rows0;
    rows0.rows = 0;
    rows0.pixel_bytes = 128;
    test::craft(d / "rows0.dcm", rows0);
    test::Crafted huge;
    huge.rows = 60000;
    huge.pixel_bytes = 128;
    test::craft(d / "rows60000.dcm", huge);

    const Image img = test::breast_like_image(600, 800, 0.1);
    DicomWriteOptions no_spacing;
    no_spacing.write_imager_pixel_spacing = false;
    write_dicom_mg(img, d / "no_spacing.dcm", no_spacing);
    write_raster(img, d / "raster.png", 8);
    write_raster(Image(6, 6, 0.1, 0.5f), d / "tiny.png", 8);  // 0.6 mm: under 1 mm and 8 pixels a side
    write_dicom_mg(img, d / "full.dcm", DicomWriteOptions{});
    const std::string full = read_bytes(d / "full.dcm");
    write_bytes(d / "truncated.dcm", full.substr(0, full.size() / 2));
    DicomWriteOptions j2k;
    j2k.compression = DicomCompression::Jpeg2000;
    write_dicom_mg(img, d / "j2k.dcm", j2k);
    std::string bytes = read_bytes(d / "j2k.dcm");
    const auto soc = bytes.find(std::string("\xFF\x4F\xFF\x51", 4));
    ASSERT_NE(soc, std::string::npos);
    for (std::size_t i = soc; i < soc + 64; ++i) bytes[i] = '\x5A';
    write_bytes(d / "corrupt_j2k.dcm", bytes);
  }
  test::TempDir dir_{"calcscope-e2e-bad"};
};

TEST_F(CliBadInput, EachBadInputHasItsExitCodeAndNamesTheFile) {
  const std::vector<BadCase> cases = {
      {"missing.dcm", ErrorCode::FileNotFound, ""},
      {"empty.dcm", ErrorCode::Unreadable, ""},
      {"notes.txt", ErrorCode::UnsupportedFormat, ""},
      {"dose_report.dcm", ErrorCode::NotAnImage, ""},
      {"colour.dcm", ErrorCode::NotAMammogram, ""},
      {"tomo.dcm", ErrorCode::NotAMammogram, ""},
      {"no_spacing.dcm", ErrorCode::MissingPixelSize, ""},
      {"raster.png", ErrorCode::MissingPixelSize, ""},
      {"rows0.dcm", ErrorCode::InvalidImage, ""},
      {"rows60000.dcm", ErrorCode::InvalidImage, ""},
      {"truncated.dcm", ErrorCode::InvalidImage, ""},
      {"corrupt_j2k.dcm", ErrorCode::DecodeFailed, ""},
      {"tiny.png", ErrorCode::InvalidImage, "--pixel-size 0.1"},
  };
  for (const auto& c : cases) {
    const auto out = dir_ / ("out_" + c.file);
    const auto r = test::run_cli("analyze " + quoted(dir_ / c.file) + " --output " + quoted(out) + " " + c.extra_args);
    EXPECT_EQ(r.exit_code, error_info(c.code).exit_code) << c.file << "\n" << r.output;
    EXPECT_TRUE(contains(r.output, c.file)) << c.file << "\n" << r.output;
    EXPECT_TRUE(contains(r.output, std::string(error_info(c.code).name))) << c.file << "\n" << r.output;
  }
  // the dose report's message says what it is and what to pass instead
  const auto r = test::run_cli("analyze " + quoted(dir_ / "dose_report.dcm") + " --output " + quoted(dir_ / "o"));
  EXPECT_TRUE(contains(r.output, "Radiation Dose SR")) << r.output;
  EXPECT_TRUE(contains(r.output, "pass the mammogram image files")) << r.output;
  const auto px = test::run_cli("analyze " + quoted(dir_ / "raster.png") + " --output " + quoted(dir_ / "o"));
  EXPECT_TRUE(contains(px.output, "--pixel-size")) << px.output;
}

TEST_F(CliBadInput, PixelSizeOptionRescuesRasterAndDicomWithoutSpacing) {
  for (const char* f : {"raster.png", "no_spacing.dcm"}) {
    const auto out = dir_ / (std::string("rescued_") + f);
    const auto r = test::run_cli("analyze " + quoted(dir_ / f) + " --pixel-size 0.1 --output " + quoted(out));
    EXPECT_EQ(r.exit_code, 0) << f << "\n" << r.output;
  }
}

TEST_F(CliBadInput, BatchWithOneBadFileExitsOneAndKeepsTheGoodResult) {
  const auto out = dir_ / "batch_out";
  const auto r = test::run_cli("analyze " + quoted(dir_ / "full.dcm") + " " + quoted(dir_ / "dose_report.dcm") + " --output " +
                               quoted(out));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(std::filesystem::exists(out / "full.json")) << r.output;
  EXPECT_FALSE(std::filesystem::exists(out / "dose_report.json"));
  EXPECT_TRUE(contains(r.output, "dose_report.dcm")) << r.output;
  EXPECT_TRUE(contains(r.output, "not_an_image")) << r.output;
}

// Text that is not UTF-8, in a header without a declared character set or in a file name, is not a
// reason to fail: the image is analysed and its JSON written (before session 24: exit 70, internal).
TEST_F(CliBadInput, EightBitHeaderTextAndFileNameAreAnalysed) {
  const auto& d = dir_.path();
  test::Crafted latin1;
  latin1.rows = 600;
  latin1.cols = 600;
  latin1.patient_name = "M\xfcller^Anna";
  latin1.study_date = "2024\x9a" "0101";
  test::craft(d / "latin1.dcm", latin1);
  std::filesystem::copy_file(d / "raster.png", d / "bad\xffname.png");
  const auto out = dir_ / "text_out";
  const auto r = test::run_cli("analyze " + quoted(d / "latin1.dcm") + " " + quoted(d / "bad\xffname.png") +
                               " --pixel-size 0.1 --output " + quoted(out));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(std::filesystem::exists(out / "latin1.json")) << r.output;
  EXPECT_TRUE(std::filesystem::exists(out / "bad\xffname.json")) << r.output;
}

// An SR that cannot be written (here: a SOP class DCMTK will not reference as an image) fails the file
// with invalid_data naming it, but the analysis JSON is still written (session 24).
TEST_F(CliBadInput, AnSrTheHeaderCannotGiveKeepsTheAnalysisJson) {
  const auto& d = dir_.path();
  test::Crafted odd;
  odd.rows = 600;
  odd.cols = 600;
  odd.sop_class = "1.2.840.10008.5.1.4.1.1.1.22";  // a UID, but no image storage class
  odd.study_uid = "1.2.826.0.1.3680043.2.1143.2";
  test::craft(d / "odd_class.dcm", odd);
  const auto out = dir_ / "sr_out";
  const auto r = test::run_cli("analyze " + quoted(d / "odd_class.dcm") + " --report sr --output " + quoted(out));
  EXPECT_EQ(r.exit_code, 12) << r.output;
  EXPECT_TRUE(contains(r.output, "odd_class.dcm")) << r.output;
  EXPECT_TRUE(contains(r.output, "1.2.840.10008.5.1.4.1.1.1.22")) << r.output;
  EXPECT_TRUE(std::filesystem::exists(out / "odd_class.json")) << r.output;
  EXPECT_FALSE(std::filesystem::exists(out / "odd_class.sr.dcm"));
}

}  // namespace
}  // namespace calcscope
