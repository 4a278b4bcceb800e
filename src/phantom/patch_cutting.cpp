// Patch cutting from phantom rasters: windows on cluster centres and all-tissue tiles, 8-bit (patch_cutting.h).
#include "calcscope/phantom/patch_cutting.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "calcscope/core/error.h"

namespace calcscope {
namespace {

namespace fs = std::filesystem;

/// A tile is "all tissue" when its darkest pixel reaches this fraction of the image's 99th percentile.
constexpr double kTissueFloorOfP99 = 0.25;

std::string lower_extension(const fs::path& p) {
  std::string e = p.extension().string();
  for (auto& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e;
}

/// The stored values of a single-channel 8- or 16-bit PNG, unchanged. Throws Error naming the file.
cv::Mat load_raw_png(const fs::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(ErrorCode::FileNotFound, "the image does not exist", name);
  if (lower_extension(path) != ".png")
    throw Error(ErrorCode::UnsupportedFormat,
                "cut-patches reads PNG rasters only (write phantoms with `calcscope phantom --output x.png`)", name);
  cv::Mat m = cv::imread(name, cv::IMREAD_UNCHANGED);
  if (m.empty()) throw Error(ErrorCode::Unreadable, "cannot read or decode the PNG", name);
  if (m.channels() != 1)
    throw Error(ErrorCode::NotAMammogram,
                "the PNG has " + std::to_string(m.channels()) + " channels; cut-patches needs a greyscale image", name);
  if (m.depth() != CV_8U && m.depth() != CV_16U)
    throw Error(ErrorCode::UnsupportedFormat, "the PNG is neither 8- nor 16-bit", name);
  return m;
}

/// 8-bit scale of an image: 255 for 8-bit rasters; for 16-bit, 65535 when the maximum exceeds 4095
/// (full 16-bit range), else 4095 (12-bit data). Patches are value * 255 / divisor.
double eight_bit_divisor(const cv::Mat& m) {
  if (m.depth() == CV_8U) return 255.0;
  double mn = 0, mx = 0;
  cv::minMaxLoc(m, &mn, &mx);
  return mx > 4095 ? 65535.0 : 4095.0;
}

/// The smallest stored value v with at least ceil(0.99 * pixels) pixels <= v.
double percentile99(const cv::Mat& m) {
  cv::Mat v;
  m.convertTo(v, CV_32S);
  std::vector<long> hist(65536, 0);
  for (int y = 0; y < v.rows; ++y) {
    const int* row = v.ptr<int>(y);
    for (int x = 0; x < v.cols; ++x) ++hist[row[x]];
  }
  const long want = static_cast<long>(std::ceil(0.99 * static_cast<double>(v.total())));
  long acc = 0;
  for (int value = 0; value < 65536; ++value)
    if ((acc += hist[value]) >= want) return value;
  return 65535;
}

/// Writes img(r) as an 8-bit PNG scaled by 255 / divisor (cv::Mat::convertTo rounding and saturation).
void write_patch(const cv::Mat& img, const cv::Rect& r, double divisor, const fs::path& path) {
  cv::Mat out;
  img(r).convertTo(out, CV_8U, 255.0 / divisor);
  bool ok = false;
  try {
    ok = cv::imwrite(path.string(), out);
  } catch (const cv::Exception&) {
    ok = false;
  }
  if (!ok) throw Error(ErrorCode::OutputFailed, "cannot write the patch (check the output directory)", path.string());
}

void check_size(int size) {
  if (size < 1) throw Error(ErrorCode::Usage, "the patch size must be a positive number of pixels");
}

/// The size x size window centred on c (x0 = lround(x) - size/2), or false when it leaves the image.
bool centred_window(const cv::Mat& img, const PatchCentre& c, int size, cv::Rect& r) {
  const int x0 = static_cast<int>(std::lround(c.x)) - size / 2;
  const int y0 = static_cast<int>(std::lround(c.y)) - size / 2;
  r = cv::Rect(x0, y0, size, size);
  return x0 >= 0 && y0 >= 0 && r.br().x <= img.cols && r.br().y <= img.rows;
}

/// Patch names start with the image stem, so two inputs with one stem would overwrite each other's patches.
void check_distinct_stems(const std::vector<fs::path>& images) {
  std::map<std::string, fs::path> seen;
  for (const auto& p : images) {
    const auto [it, inserted] = seen.emplace(p.stem().string(), p);
    if (!inserted)
      throw Error(ErrorCode::Usage, "two images share the file stem '" + it->first + "' (also " +
                                        it->second.string() + "): patch names would collide", p.string());
  }
}

/// A qualifying tile: which image of the input list, which tile row and column.
struct TileRef {
  std::size_t image = 0;
  int row = 0, col = 0;
};

/// Appends the image's all-tissue tiles to `tiles` and returns its summary.
TissueImageSummary scan_tissue_tiles(const cv::Mat& img, std::size_t image_index, int size,
                                     std::vector<TileRef>& tiles) {
  TissueImageSummary s;
  s.p99 = percentile99(img);
  const double floor_value = kTissueFloorOfP99 * s.p99;
  for (int row = 0; (row + 1) * size <= img.rows; ++row)
    for (int col = 0; (col + 1) * size <= img.cols; ++col) {
      ++s.tiles;
      double mn = 0, mx = 0;
      cv::minMaxLoc(img(cv::Rect(col * size, row * size, size, size)), &mn, &mx);
      if (mn >= floor_value) {
        tiles.push_back({image_index, row, col});
        ++s.qualifying;
      }
    }
  return s;
}

}  // namespace

std::vector<std::size_t> evenly_spaced_indices(std::size_t candidates, int count) {
  const std::size_t kept = std::min(candidates, static_cast<std::size_t>(std::max(1, count)));
  std::vector<std::size_t> out;
  out.reserve(kept);
  for (std::size_t i = 0; i < kept; ++i) out.push_back(i * candidates / kept);
  return out;
}

ClusterPatchResult cut_cluster_patches(const fs::path& image, const std::vector<PatchCentre>& centres,
                                       const fs::path& out_dir, int size) {
  check_size(size);
  const cv::Mat img = load_raw_png(image);
  ClusterPatchResult res;
  res.stem = image.stem().string();
  res.divisor = eight_bit_divisor(img);
  for (std::size_t i = 0; i < centres.size(); ++i) {
    const int k = static_cast<int>(i) + 1;
    cv::Rect r;
    if (!centred_window(img, centres[i], size, r)) {
      res.skipped.push_back(k);
      continue;
    }
    write_patch(img, r, res.divisor, out_dir / (res.stem + "_c" + std::to_string(k) + ".png"));
    ++res.written;
  }
  return res;
}

TissuePatchResult cut_tissue_patches(const std::vector<fs::path>& images, int count, const fs::path& out_dir,
                                     int size) {
  check_size(size);
  check_distinct_stems(images);
  TissuePatchResult res;
  // pass 1: every image's qualifying tiles (images are not kept in memory)
  std::vector<TileRef> tiles;
  for (std::size_t i = 0; i < images.size(); ++i) {
    TissueImageSummary s = scan_tissue_tiles(load_raw_png(images[i]), i, size, tiles);
    s.stem = images[i].stem().string();
    res.images.push_back(s);
  }
  res.candidates = tiles.size();
  // pass 2: the evenly spaced subset, grouped by image so that each image is read once more
  std::map<std::size_t, std::vector<TileRef>> chosen;
  for (std::size_t idx : evenly_spaced_indices(tiles.size(), count)) chosen[tiles[idx].image].push_back(tiles[idx]);
  for (const auto& [image_index, refs] : chosen) {
    const cv::Mat img = load_raw_png(images[image_index]);
    const double divisor = eight_bit_divisor(img);
    const std::string& stem = res.images[image_index].stem;
    for (const TileRef& t : refs) {
      const std::string name = stem + "_" + std::to_string(t.row) + "_" + std::to_string(t.col) + ".png";
      write_patch(img, cv::Rect(t.col * size, t.row * size, size, size), divisor, out_dir / name);
      ++res.written;
    }
  }
  return res;
}

}  // namespace calcscope
