// The PNG structure check that runs before libpng (src/io/raster_check.h).
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "calcscope/io/image_reader.h"
#include "calcscope/io/image_writer.h"
#include "io/raster_check.h"
#include "io_test_util.h"
#include "test_support.h"

namespace calcscope {
namespace {

using test::contains;
using Bytes = std::vector<std::uint8_t>;

Bytes slurp_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void put(const std::filesystem::path& p, const Bytes& b) {
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

/// Byte offset of the first chunk of this type (its length field), or 0.
std::size_t chunk_at(const Bytes& b, const std::string& type) {
  for (std::size_t at = 8; at + 8 <= b.size();) {
    const std::size_t len = (std::size_t{b[at]} << 24) | (std::size_t{b[at + 1]} << 16) | (std::size_t{b[at + 2]} << 8) | b[at + 3];
    if (std::string(b.begin() + static_cast<long>(at) + 4, b.begin() + static_cast<long>(at) + 8) == type) return at;
    at += 12 + len;
  }
  return 0;
}

/// A 16-bit synthetic image written as `name` in `dir` (LZW for .tif), read back as bytes.
Bytes written_raster(const test::TempDir& dir, const std::string& name, int width, int height) {
  write_raster(test::synthetic_image(width, height, 0.1), dir / name, 16);
  return slurp_bytes(dir / name);
}

Bytes written_png(const test::TempDir& dir) { return written_raster(dir, "ok.png", 120, 90); }

TEST(PngCheck, TruncationAndDamageAreNamedWithTheirChunk) {
  test::TempDir dir("calcscope-io-png");
  const Bytes ok = written_png(dir);
  EXPECT_EQ(io_detail::png_structure_problem(ok), "");
  const std::size_t idat = chunk_at(ok, "IDAT");
  ASSERT_GT(idat, 8u);
  for (const std::size_t cut : {std::size_t{4}, std::size_t{20}, idat + 3, idat + 30, ok.size() - 12, ok.size() - 1}) {
    const Bytes b(ok.begin(), ok.begin() + static_cast<long>(cut));
    const std::string p = io_detail::png_structure_problem(b);
    EXPECT_TRUE(contains(p, cut < 8 ? "signature" : "truncated")) << cut << ": " << p;
  }
  Bytes flipped = ok;
  flipped[idat + 20] ^= 0x40;
  EXPECT_TRUE(contains(io_detail::png_structure_problem(flipped), "'IDAT'"));
  EXPECT_TRUE(contains(io_detail::png_structure_problem(flipped), "checksum"));
  Bytes no_ihdr = ok;
  no_ihdr[12] = 'X';  // IHDR's type
  EXPECT_TRUE(contains(io_detail::png_structure_problem(no_ihdr), "not IHDR"));
  Bytes bad_type = ok;
  bad_type[idat + 5] = '7';
  EXPECT_TRUE(contains(io_detail::png_structure_problem(bad_type), "no valid type"));
}

TEST(PngCheck, DamagedFileIsRefusedWithOurMessageAndNoLibpngNoise) {
  test::TempDir dir("calcscope-io-png-cli");
  const Bytes ok = written_png(dir);
  Bytes flipped = ok;
  flipped[chunk_at(ok, "IDAT") + 20] ^= 0x40;
  put(dir / "flipped.png", flipped);
  put(dir / "cut.png", Bytes(ok.begin(), ok.begin() + static_cast<long>(ok.size() / 2)));
  ReadOptions ro;
  ro.pixel_size_mm = 0.1;
  const Error e = test::expect_error([&] { (void)read_image(dir / "flipped.png", ro); }, ErrorCode::DecodeFailed);
  EXPECT_TRUE(contains(e.message(), "IDAT")) << e.message();
  for (const char* f : {"flipped.png", "cut.png"}) {
    const auto r = test::run_cli("analyze " + test::quoted(dir / f) + " --pixel-size 0.1 --output " + test::quoted(dir / "out"));
    EXPECT_NE(r.exit_code, 0) << f;
    EXPECT_TRUE(contains(r.output, f)) << r.output;
    EXPECT_FALSE(contains(r.output, "libpng")) << r.output;  // only our message
  }
}

TEST(PngCheck, AnAncillaryChunkWithABadChecksumIsDroppedWithAWarningAndTheImageReads) {
  test::TempDir dir("calcscope-io-png-anc");
  const Bytes ok = written_png(dir);
  // a tEXt chunk with a wrong CRC after IHDR (8 + 25 bytes)
  const std::string text("Comment\0damaged", 15);
  Bytes chunk = {0, 0, 0, static_cast<std::uint8_t>(text.size()), 't', 'E', 'X', 't'};
  chunk.insert(chunk.end(), text.begin(), text.end());
  chunk.insert(chunk.end(), {1, 2, 3, 4});
  Bytes with = ok;
  with.insert(with.begin() + 33, chunk.begin(), chunk.end());
  EXPECT_EQ(io_detail::png_structure_problem(with), "");
  put(dir / "anc.png", with);
  ReadOptions ro;
  ro.pixel_size_mm = 0.1;
  const Image a = read_image(dir / "ok.png", ro), b = read_image(dir / "anc.png", ro);
  ASSERT_EQ(b.width, 120);
  EXPECT_EQ(a.pixels, b.pixels);
  ASSERT_EQ(b.info.warnings.size(), a.info.warnings.size() + 1);
  EXPECT_TRUE(contains(b.info.warnings.back(), "tEXt at byte 33")) << b.info.warnings.back();
  // the chunk is removed before libpng sees it: no "libpng warning" on stderr
  const auto r = test::run_cli("analyze " + test::quoted(dir / "anc.png") + " --pixel-size 0.1 --output " +
                               test::quoted(dir / "out"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(contains(r.output, "libpng")) << r.output;
  Bytes copy = with;
  EXPECT_EQ(io_detail::drop_damaged_ancillary_png_chunks(copy), std::vector<std::string>{"tEXt at byte 33"});
  EXPECT_EQ(copy, ok);  // exactly the chunk inserted
  EXPECT_TRUE(io_detail::drop_damaged_ancillary_png_chunks(copy).empty());
}

TEST(PnmCheck, BinaryPgmMustHoldThePixelsItsHeaderAnnounces) {
  test::TempDir dir("calcscope-io-pnm");
  for (const int bits : {8, 16}) {
    write_raster(test::synthetic_image(64, 48, 0.1), dir / "ok.pgm", bits);
    const Bytes ok = slurp_bytes(dir / "ok.pgm");
    EXPECT_EQ(io_detail::pnm_structure_problem(ok, ok.size()), "") << bits;
    const std::string p = io_detail::pnm_structure_problem(ok, ok.size() - 1);
    EXPECT_TRUE(contains(p, "truncated") && contains(p, "64 x 48")) << p;
  }
  const auto text = [](const std::string& t) { return Bytes(t.begin(), t.end()); };
  const Bytes commented = text("P5\n# made by hand\n3 2\n255\n" + std::string(6, 'x'));
  EXPECT_EQ(io_detail::pnm_structure_problem(commented, commented.size()), "");
  EXPECT_TRUE(contains(io_detail::pnm_structure_problem(text("P5\n3 x\n255\n"), 12), "do not parse"));
  EXPECT_TRUE(contains(io_detail::pnm_structure_problem(text("P5 3 2 70000 "), 40), "maximum value 70000"));
  EXPECT_EQ(io_detail::pnm_structure_problem(text("P2\n3 2\n255\n1 2 3"), 14), "");  // ASCII: the decoder's
}

TEST(TiffCheck, EveryStripMustEndInsideTheFile) {
  test::TempDir dir("calcscope-io-tiff");
  const Bytes ok = written_raster(dir, "ok.tif", 300, 200);
  ASSERT_GT(ok.size(), 100u);
  EXPECT_EQ(io_detail::tiff_structure_problem(ok), "");
  for (const std::size_t cut : {std::size_t{6}, ok.size() / 2, ok.size() - 1}) {
    const std::string p = io_detail::tiff_structure_problem(Bytes(ok.begin(), ok.begin() + static_cast<long>(cut)));
    EXPECT_TRUE(contains(p, "truncated")) << cut << ": " << p;
  }
  Bytes far = ok;  // the first directory's offset pointed past the end
  far[4] = far[5] = far[6] = 0x7F;
  far[7] = ok[0] == 'I' ? 0x00 : 0x7F;
  EXPECT_TRUE(contains(io_detail::tiff_structure_problem(far), "beyond the end")) << io_detail::tiff_structure_problem(far);
}

// Damage inside LZW-compressed strips leaves the structure whole: OpenCV's decoder used to print a
// warning and "imdecode_(...): can't read data" on stderr before our message (session 28).
TEST(TiffCheck, DamageInsideCompressedStripsIsNamedWithoutDecoderNoise) {
  test::TempDir dir("calcscope-io-tiff-data");
  const Bytes ok = written_raster(dir, "ok.tif", 400, 300);
  ASSERT_GT(ok.size(), 2000u);
  EXPECT_EQ(io_detail::tiff_decode_problem(ok), "");
  Bytes bad = ok;  // ten bytes of nonsense a quarter of the way into the file: inside the strips
  const std::uint8_t junk[] = {0xff, 0x00, 0xff, 0x13, 0x77, 0xab, 0xcd, 0xef, 0x01, 0x02};
  std::copy(std::begin(junk), std::end(junk), bad.begin() + static_cast<long>(ok.size() / 4));
  EXPECT_EQ(io_detail::tiff_structure_problem(bad), "");  // the structure holds
  const std::string p = io_detail::tiff_decode_problem(bad);
  EXPECT_TRUE(contains(p, "strip") && contains(p, "cannot be decoded")) << p;
  put(dir / "bad.tif", bad);
  const auto r = test::run_cli("analyze " + test::quoted(dir / "bad.tif") + " --pixel-size 0.1 --output " +
                               test::quoted(dir / "out"));
  EXPECT_EQ(r.exit_code, 10) << r.output;  // decode_failed
  EXPECT_TRUE(contains(r.output, "bad.tif") && contains(r.output, "strip")) << r.output;
  EXPECT_FALSE(contains(r.output, "imdecode_") || contains(r.output, "WARN")) << r.output;  // only our message
  // a header whose first directory would be at byte 0: libtiff cannot open it
  EXPECT_NE(io_detail::tiff_decode_problem(Bytes{'I', 'I', 42, 0, 0, 0, 0, 0}), "");
}

TEST(RasterCheck, TruncatedPgmAndTiffGiveOurMessageAndNoDecoderNoise) {
  test::TempDir dir("calcscope-io-cut-cli");
  for (const char* name : {"img.pgm", "img.tif", "img.png"}) {
    write_raster(test::synthetic_image(200, 160, 0.1), dir / name, 16);
    const Bytes ok = slurp_bytes(dir / name);
    const auto cut = dir / (std::string("cut_") + name);
    put(cut, Bytes(ok.begin(), ok.begin() + static_cast<long>(ok.size() * 2 / 3)));
    const auto r = test::run_cli("analyze " + test::quoted(cut) + " --pixel-size 0.1 --output " + test::quoted(dir / "out"));
    EXPECT_EQ(r.exit_code, 10) << r.output;  // decode_failed
    EXPECT_TRUE(contains(r.output, "truncated")) << r.output;
    EXPECT_FALSE(contains(r.output, "imread_") || contains(r.output, "libpng")) << r.output;
  }
}

}  // namespace
}  // namespace calcscope
