// Randomly damaged inputs through the whole batch path (read, analyse, JSON, overlay, reports, SR):
// every file either analyses or fails with a documented error that names it, never an internal
// error. Session 24 found this way that a header byte outside UTF-8 failed the JSON with exit 70.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "../io/io_test_util.h"
#include "calcscope/io/image_writer.h"
#include "calcscope/pipeline/batch.h"
#include "test_support.h"

namespace calcscope {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// One random damage of `b`: bytes overwritten anywhere or in the header, a truncation, a run of
/// zeros, a copied stretch or inserted random bytes. Deterministic for the generator's state.
std::string mutate(std::string b, std::mt19937& rng) {
  const auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  const auto byte = [&] { return static_cast<char>(pick(256)); };
  switch (pick(6)) {
    case 0: for (std::size_t k = 1 + pick(20); k > 0; --k) b[pick(b.size())] = byte(); break;
    case 1: for (std::size_t k = 1 + pick(8); k > 0; --k) b[pick(std::min<std::size_t>(b.size(), 2000))] = byte(); break;
    case 2: b.resize(pick(b.size())); break;
    case 3: { const std::size_t i = pick(b.size()); std::fill_n(b.begin() + i, std::min(b.size() - i, 1 + pick(500)), '\0'); break; }
    case 4: { const std::size_t i = pick(b.size()), j = pick(b.size()); b.insert(i, b.substr(j, 1 + pick(300))); break; }
    default: { std::string r(1 + pick(64), ' '); for (auto& c : r) c = byte(); b.insert(pick(b.size()), r); }
  }
  return b;
}

TEST(MutatedInputs, NeverAnInternalErrorAndEveryFailureNamesItsFile) {
  test::TempDir dir("calcscope-mutated");
  const fs::path seeds = dir / "seeds", in = dir / "in";
  fs::create_directories(seeds);
  fs::create_directories(in);
  const Image img = test::breast_like_image(600, 700, 0.1);
  for (const auto& [name, c] : std::vector<std::pair<std::string, DicomCompression>>{
           {"none", DicomCompression::None}, {"jpegll", DicomCompression::JpegLossless},
           {"jpeg", DicomCompression::JpegBaseline}, {"jpegls", DicomCompression::JpegLs},
           {"rle", DicomCompression::Rle}, {"j2k", DicomCompression::Jpeg2000}}) {
    DicomWriteOptions o;
    o.compression = c;
    if (name == "none") o.photometric = "MONOCHROME1";
    // fixed UIDs: generated ones carry the process id and time, so their length (and with it every
    // offset the damage is drawn at) would change from run to run
    o.study_instance_uid = "1.2.826.0.1.3680043.10.543.25.1";
    o.series_instance_uid = "1.2.826.0.1.3680043.10.543.25.2";
    o.sop_instance_uid = "1.2.826.0.1.3680043.10.543.25.3." + std::to_string(static_cast<int>(c) + 1);
    write_dicom_mg(img, seeds / (name + ".dcm"), o);
  }
  write_raster(img, seeds / "r.png", 16);
  write_raster(img, seeds / "r.tif", 16);
  write_raster(img, seeds / "r.pgm", 16);

  // CALCSCOPE_MUTATIONS=N[,SEED] runs a deeper search (default 25 damaged copies per file, seed 20261124)
  int per_seed = 25;
  unsigned seed = 20261124;
  if (const char* env = std::getenv("CALCSCOPE_MUTATIONS"); env && *env)
    std::sscanf(env, "%d,%u", &per_seed, &seed);
  std::mt19937 rng(seed);
  int files = 0;
  for (const auto& e : fs::directory_iterator(seeds)) {
    const std::string bytes = read_all(e.path());
    for (int i = 0; i < per_seed; ++i, ++files) {
      const fs::path p = in / (e.path().stem().string() + "_" + std::to_string(i) + e.path().extension().string());
      std::ofstream(p, std::ios::binary) << mutate(bytes, rng);
    }
  }
  BatchOptions bo;
  bo.read.pixel_size_mm = 0.1;  // raster files need it; DICOM keeps its own unless damaged
  bo.output_dir = dir / "out";
  bo.overlay = true;
  bo.reports = parse_report_request("html,patient,sr");
  bo.jobs = 2;
  const BatchSummary s = run_batch({in}, bo);
  ASSERT_EQ(static_cast<int>(s.files.size()), files);
  std::map<ErrorCode, int> by_code;
  for (const auto& f : s.files) {
    ++by_code[f.error];
    EXPECT_NE(f.error, ErrorCode::Internal) << f.input << ": " << f.message;
    if (f.ok) EXPECT_TRUE(fs::exists(bo.output_dir / (f.stem + ".json"))) << f.input;
    else EXPECT_NE(f.message.find(f.input.filename().string()), std::string::npos) << f.message;
  }
  std::string table;
  for (const auto& [code, n] : by_code) table += " " + std::string(error_info(code).name) + "=" + std::to_string(n);
  std::printf("%d damaged files:%s\n", files, table.c_str());
  EXPECT_GT(by_code[ErrorCode::Ok], 0) << "some damage (a pixel value, trailing bytes) should still analyse";
}

}  // namespace
}  // namespace calcscope
