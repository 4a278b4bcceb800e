// Every bad input gives its precise Error code and a message that says what to do.
#include <gtest/gtest.h>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <unistd.h>

#include <fstream>
#include <vector>

#include "calcscope/io/image_reader.h"
#include "calcscope/io/image_writer.h"
#include "dicom_craft.h"
#include "io_test_util.h"
#include "test_support.h"

namespace calcscope {
namespace {

using test::contains;
using test::read_bytes;
using test::write_bytes;
using test::craft;
using test::Crafted;
using test::expect_error;

TEST(BadInput, MissingFile) {
  const Error e = expect_error([] { (void)read_image("/nonexistent/dir/mammo.dcm"); }, ErrorCode::FileNotFound);
  EXPECT_TRUE(contains(e.what(), "mammo.dcm"));
  expect_error([] { (void)read_dicom("/nonexistent/mammo.dcm"); }, ErrorCode::FileNotFound);
  expect_error([] { (void)read_raster("/nonexistent/mammo.png"); }, ErrorCode::FileNotFound);
}

TEST(BadInput, DirectoryAndEmptyFileAreUnreadable) {
  test::TempDir dir("calcscope-io-bad");
  expect_error([&] { (void)read_image(dir.path()); }, ErrorCode::Unreadable);
  write_bytes(dir / "empty.dcm", "");
  const Error e = expect_error([&] { (void)read_image(dir / "empty.dcm"); }, ErrorCode::Unreadable);
  EXPECT_TRUE(contains(e.message(), "empty"));
}

TEST(BadInput, PermissionDeniedIsUnreadable) {
  if (geteuid() == 0) GTEST_SKIP() << "running as root: file permissions do not block reading";
  test::TempDir dir("calcscope-io-perm");
  write_dicom_mg(test::synthetic_image(32, 32, 0.1), dir / "locked.dcm", DicomWriteOptions{});
  std::filesystem::permissions(dir / "locked.dcm", std::filesystem::perms::none);
  expect_error([&] { (void)read_image(dir / "locked.dcm"); }, ErrorCode::Unreadable);
}

TEST(BadInput, NotAnImageFormat) {
  test::TempDir dir("calcscope-io-fmt");
  write_bytes(dir / "notes.txt", "These are not the pixels you are looking for.\n");
  Error e = expect_error([&] { (void)read_image(dir / "notes.txt"); }, ErrorCode::UnsupportedFormat);
  EXPECT_TRUE(contains(e.message(), "PNG/PGM/TIFF"));
  write_bytes(dir / "photo.jpg", std::string("\xFF\xD8\xFF\xE0", 4) + std::string(100, 'x'));
  e = expect_error([&] { (void)read_image(dir / "photo.jpg"); }, ErrorCode::UnsupportedFormat);
  EXPECT_TRUE(contains(e.message(), "JPEG"));
  write_bytes(dir / "images.zip", std::string("PK\x03\x04", 4) + std::string(100, '\0'));
  e = expect_error([&] { (void)read_image(dir / "images.zip"); }, ErrorCode::UnsupportedFormat);
  EXPECT_TRUE(contains(e.message(), "unzip"));
  // a text file named .dcm is still not DICOM
  write_bytes(dir / "fake.dcm", "hello world, definitely not DICOM, long enough to be sniffed\n");
  expect_error([&] { (void)read_image(dir / "fake.dcm"); }, ErrorCode::UnsupportedFormat);
  expect_error([&] { (void)read_dicom(dir / "fake.dcm"); }, ErrorCode::UnsupportedFormat);
}

TEST(BadInput, DoseReportWithoutPixelsIsNotAnImage) {
  test::TempDir dir("calcscope-io-sr");
  Crafted c;
  c.pixel_data = false;
  c.sop_class = UID_XRayRadiationDoseSRStorage;
  c.modality = "SR";
  craft(dir / "dose.dcm", c);
  const Error e = expect_error([&] { (void)read_image(dir / "dose.dcm"); }, ErrorCode::NotAnImage);
  EXPECT_TRUE(contains(e.message(), "Radiation Dose SR")) << e.message();
  EXPECT_TRUE(contains(e.message(), "pass the mammogram image files")) << e.message();
}

TEST(BadInput, SecondaryCaptureWithoutPixelsIsNotAnImage) {
  test::TempDir dir("calcscope-io-sc");
  Crafted c;
  c.pixel_data = false;
  c.sop_class = UID_SecondaryCaptureImageStorage;
  craft(dir / "sc.dcm", c);
  const Error e = expect_error([&] { (void)read_image(dir / "sc.dcm"); }, ErrorCode::NotAnImage);
  EXPECT_TRUE(contains(e.message(), "Secondary Capture")) << e.message();
}

TEST(BadInput, ColourAndMultiFrameAreNotMammograms) {
  test::TempDir dir("calcscope-io-nm");
  Crafted rgb;
  rgb.samples = 3;
  rgb.photometric = "RGB";
  craft(dir / "rgb.dcm", rgb);
  Error e = expect_error([&] { (void)read_image(dir / "rgb.dcm"); }, ErrorCode::NotAMammogram);
  EXPECT_TRUE(contains(e.message(), "colour"));
  Crafted multi;
  multi.frames = 3;
  craft(dir / "tomo.dcm", multi);
  e = expect_error([&] { (void)read_image(dir / "tomo.dcm"); }, ErrorCode::NotAMammogram);
  EXPECT_TRUE(contains(e.message(), "multi-frame"));
  Crafted ct;
  ct.modality = "CT";
  ct.sop_class = UID_CTImageStorage;
  craft(dir / "ct.dcm", ct);
  expect_error([&] { (void)read_image(dir / "ct.dcm"); }, ErrorCode::NotAMammogram);
}

TEST(BadInput, AbsurdDimensionsAreInvalid) {
  test::TempDir dir("calcscope-io-dim");
  Crafted zero;
  zero.rows = 0;
  zero.pixel_bytes = 128;
  craft(dir / "rows0.dcm", zero);
  Error e = expect_error([&] { (void)read_image(dir / "rows0.dcm"); }, ErrorCode::InvalidImage);
  EXPECT_TRUE(contains(e.message(), "Rows 0"));
  Crafted huge;
  huge.rows = 60000;
  huge.pixel_bytes = 128;
  craft(dir / "rows60000.dcm", huge);
  e = expect_error([&] { (void)read_image(dir / "rows60000.dcm"); }, ErrorCode::InvalidImage);
  EXPECT_TRUE(contains(e.message(), "60000"));
}

TEST(BadInput, ShortPixelDataIsInvalid) {
  test::TempDir dir("calcscope-io-short");
  Crafted c;
  c.rows = 100;
  c.cols = 100;
  c.pixel_bytes = 5000;  // needs 20000
  craft(dir / "short.dcm", c);
  const Error e = expect_error([&] { (void)read_image(dir / "short.dcm"); }, ErrorCode::InvalidImage);
  EXPECT_TRUE(contains(e.message(), "truncated"));
}

TEST(BadInput, TruncatedFilesAreInvalid) {
  test::TempDir dir("calcscope-io-trunc");
  const Image img = test::synthetic_image(300, 400, 0.1);
  for (const auto compression : {DicomCompression::None, DicomCompression::Jpeg2000, DicomCompression::JpegLossless}) {
    DicomWriteOptions wo;
    wo.compression = compression;
    const auto full = dir / "full.dcm";
    const auto cut = dir / "cut.dcm";
    write_dicom_mg(img, full, wo);
    const std::string bytes = read_bytes(full);
    write_bytes(cut, bytes.substr(0, bytes.size() / 2));
    const Error e = expect_error([&] { (void)read_image(cut); }, ErrorCode::InvalidImage);
    EXPECT_TRUE(contains(e.message(), "truncated")) << e.message();
  }
}

TEST(BadInput, TrailingGarbageAfterCompletePixelDataIsReadWithWarning) {
  test::TempDir dir("calcscope-io-trail");
  const Image img = test::synthetic_image(120, 100, 0.1);
  write_dicom_mg(img, dir / "ok.dcm", DicomWriteOptions{});
  write_bytes(dir / "trail.dcm", read_bytes(dir / "ok.dcm") + "garbage!!");
  const Image read = read_image(dir / "trail.dcm");
  EXPECT_GT(test::correlation(img, read), 0.99);
  bool warned = false;
  for (const auto& w : read.info.warnings) warned = warned || contains(w, "damaged after its pixel data");
  EXPECT_TRUE(warned);
}

TEST(BadInput, CorruptCompressedStreamFailsToDecode) {
  test::TempDir dir("calcscope-io-corrupt");
  const Image img = test::synthetic_image(120, 100, 0.1);
  struct Case { DicomCompression c; std::string marker; };
  for (const auto& k : {Case{DicomCompression::Jpeg2000, std::string("\xFF\x4F\xFF\x51", 4)},
                        Case{DicomCompression::JpegLossless, std::string("\xFF\xD8\xFF", 3)},
                        Case{DicomCompression::JpegLs, std::string("\xFF\xD8\xFF", 3)}}) {
    DicomWriteOptions wo;
    wo.compression = k.c;
    write_dicom_mg(img, dir / "ok.dcm", wo);
    std::string bytes = read_bytes(dir / "ok.dcm");
    const auto pos = bytes.find(k.marker);
    ASSERT_NE(pos, std::string::npos);
    for (std::size_t i = pos; i < pos + 64 && i < bytes.size(); ++i) bytes[i] = '\x5A';  // same length, garbage
    write_bytes(dir / "bad.dcm", bytes);
    const Error e = expect_error([&] { (void)read_image(dir / "bad.dcm"); }, ErrorCode::DecodeFailed);
    EXPECT_TRUE(contains(e.message(), "retry") || contains(e.message(), "re-export")) << e.message();
  }
}

TEST(BadInput, MissingPixelSize) {
  test::TempDir dir("calcscope-io-nopx");
  DicomWriteOptions wo;
  wo.write_imager_pixel_spacing = false;
  wo.write_pixel_spacing = false;
  write_dicom_mg(test::synthetic_image(64, 64, 0.1), dir / "nopx.dcm", wo);
  const Error e = expect_error([&] { (void)read_image(dir / "nopx.dcm"); }, ErrorCode::MissingPixelSize);
  EXPECT_TRUE(contains(e.message(), "--pixel-size"));
  ReadOptions ro;
  ro.pixel_size_mm = 0.1;
  EXPECT_NO_THROW((void)read_image(dir / "nopx.dcm", ro));
  ro.pixel_size_mm = -1.0;
  expect_error([&] { (void)read_image(dir / "nopx.dcm", ro); }, ErrorCode::Usage);

  write_raster(test::synthetic_image(64, 64, 0.2), dir / "m.png", 8);
  const Error r = expect_error([&] { (void)read_image(dir / "m.png"); }, ErrorCode::MissingPixelSize);
  EXPECT_TRUE(contains(r.message(), "--pixel-size MM"));
  EXPECT_TRUE(contains(r.message(), "mini-MIAS"));
}

TEST(BadInput, DicomWithoutPreambleIsRead) {
  test::TempDir dir("calcscope-io-nopre");
  write_dicom_mg(test::synthetic_image(64, 48, 0.1), dir / "with.dcm", DicomWriteOptions{});
  DcmFileFormat file;
  ASSERT_TRUE(file.loadFile((dir / "with.dcm").c_str()).good());
  ASSERT_TRUE(file.getDataset()->saveFile((dir / "bare.dcm").c_str(), EXS_LittleEndianExplicit).good());
  EXPECT_FALSE(looks_like_dicom(dir / "bare.dcm"));
  const Image img = read_image(dir / "bare.dcm");
  EXPECT_EQ(img.width, 64);
  EXPECT_EQ(img.height, 48);
}

}  // namespace
}  // namespace calcscope
