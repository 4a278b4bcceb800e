// `calcscope cut-patches`: 8-bit patches from phantom PNGs, windows on truth clusters or all-tissue tiles
// (the phantom patch set of scripts/lib/phantom-patches.sh).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "calcscope/core/error.h"
#include "calcscope/eval/eval.h"
#include "calcscope/phantom/patch_cutting.h"
#include "commands.h"

namespace calcscope::cli {
namespace {

namespace fs = std::filesystem;

struct CutPatchesArgs {
  std::string image;                ///< clusters mode
  std::string truth;                ///< clusters mode
  std::vector<std::string> images;  ///< tissue mode
  int count = 0;                    ///< tissue mode
  std::string output;
  int size = kDefaultPatchSizePx;
};

/// Creates the output directory (and its parents). Throws Error(OutputFailed).
void make_output_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir))
    throw Error(ErrorCode::OutputFailed, "cannot create the output directory: " + ec.message(), dir.string());
}

/// The cluster centres (pixels) of one phantom truth JSON, in file order.
std::vector<PatchCentre> truth_cluster_centres(const fs::path& truth) {
  if (fs::is_directory(truth))
    throw Error(ErrorCode::Usage, "--truth names one <stem>.truth.json file, not a directory", truth.string());
  const eval::TruthSet set = eval::read_phantom_truth(truth);
  std::vector<PatchCentre> centres;
  for (const auto& [stem, img] : set.images)
    for (const auto& c : img.clusters) centres.push_back({c.x, c.y});
  return centres;
}

int run_clusters(const CutPatchesArgs& a) {
  const std::vector<PatchCentre> centres = truth_cluster_centres(a.truth);
  make_output_dir(a.output);
  const ClusterPatchResult r = cut_cluster_patches(a.image, centres, a.output, a.size);
  for (int k : r.skipped) std::fprintf(stderr, "%s cluster %d: window leaves the image, skipped\n", r.stem.c_str(), k);
  std::printf("%s: %d positive patches (D=%g)\n", r.stem.c_str(), r.written, r.divisor);
  return 0;
}

int run_tissue(const CutPatchesArgs& a) {
  make_output_dir(a.output);
  const std::vector<fs::path> images(a.images.begin(), a.images.end());
  const TissuePatchResult r = cut_tissue_patches(images, a.count, a.output, a.size);
  for (const auto& s : r.images)
    std::printf("%s: p99 %g, %d of %d tiles are all tissue\n", s.stem.c_str(), s.p99, s.qualifying, s.tiles);
  std::printf("%zu candidate tiles, %d evenly spaced kept\n", r.candidates, r.written);
  return 0;
}

void add_common_options(CLI::App* sub, CutPatchesArgs& a) {
  sub->add_option("--output,-o", a.output, "output directory (created if missing)")->required();
  sub->add_option("--size", a.size, "patch side in pixels")->check(CLI::PositiveNumber)->capture_default_str();
}

}  // namespace

void register_cut_patches(CLI::App& app, Runner& run) {
  auto a = std::make_shared<CutPatchesArgs>();
  auto* sub = app.add_subcommand(
      "cut-patches",
      "Cut 8-bit patches from phantom PNGs: windows on the truth clusters, or all-tissue tiles (no resampling; "
      "one linear scale per image: 255 / 4095 / 65535 -> 255)");
  sub->require_subcommand(1);

  auto* clusters = sub->add_subcommand(
      "clusters", "One size x size window centred on each truth cluster (<stem>_c<k>.png; windows leaving the "
                  "image are skipped)");
  clusters->add_option("image", a->image, "phantom PNG (from `calcscope phantom`)")->required();
  clusters->add_option("--truth", a->truth, "its truth JSON (clusters[].x/.y in pixels)")->required();
  add_common_options(clusters, *a);
  clusters->callback([a, &run] { run = [a] { return run_clusters(*a); }; });

  auto* tissue = sub->add_subcommand(
      "tissue", "Non-overlapping tiles whose darkest pixel >= 0.25 x the image's 99th percentile; the evenly "
                "spaced subset of --count over all images (<stem>_<row>_<col>.png)");
  tissue->add_option("images", a->images, "phantom PNGs (distinct file stems)")->required();
  tissue->add_option("--count", a->count, "patches to keep over all images")->required()->check(CLI::PositiveNumber);
  add_common_options(tissue, *a);
  tissue->callback([a, &run] { run = [a] { return run_tissue(*a); }; });
}

}  // namespace calcscope::cli
