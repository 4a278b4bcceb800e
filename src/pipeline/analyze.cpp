#include "calcscope/pipeline/analyze.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <set>

#include <opencv2/imgproc.hpp>

#include "calcscope/core/error.h"
#include "calcscope/detect/scoring.h"
#include "calcscope/io/grey_window.h"
#include "core/cv_adapter.h"

namespace calcscope {
namespace {

/// Runs one named stage, recording its wall time and parameters.
template <typename F>
auto run_stage(std::vector<StageRecord>& stages, const std::string& name, nlohmann::json params, F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  auto result = f();
  const auto t1 = std::chrono::steady_clock::now();
  stages.push_back({name, std::chrono::duration<double, std::milli>(t1 - t0).count(), std::move(params)});
  return result;
}

}  // namespace

nlohmann::json cluster_params_json(const ClusterParams& p) {
  return {{"link_distance_mm", p.link_distance_mm},
          {"min_count", p.min_count},
          {"min_calcification_score", p.min_calcification_score},
          {"max_diameter_mm", p.max_diameter_mm},
          {"max_density_per_cm2", p.max_density_per_cm2},
          {"min_grouped", p.min_grouped},
          {"max_extent_mm", p.max_extent_mm},
          {"compact_link_mm", p.compact_link_mm},
          {"compact_max_extent_mm", p.compact_max_extent_mm},
          {"compact_discs_below_pixel_mm", p.compact_discs_below_pixel_mm},
          {"long_group_discs", p.long_group_discs},
          {"gap_ratio", p.gap_ratio},
          {"gap_min_mm", p.gap_min_mm},
          {"complete_pairs", p.complete_pairs},
          {"weighted_centre", p.weighted_centre},
          {"proposal_density_factor", p.proposal_density_factor},
          {"proposals_below_pixel_mm", p.proposals_below_pixel_mm},
          {"strong_proposal_score", p.strong_proposal_score},
          {"rank_logit_step", p.rank_logit_step},
          {"rank_discount_from_pixel_mm", p.rank_discount_from_pixel_mm}};
}

namespace {

/// Positions of a result computed on a copy resampled by 1/s (s = copy pixel / input pixel) mapped
/// back to the input's pixel grid; millimetre fields do not change.
/// (offset_x, offset_y: where the copy's first pixel edge lies on the input's, in input pixels).
void map_to_input_grid(AnalysisResult& r, const Image& input, double offset_x = 0, double offset_y = 0) {
  const double s = r.image_meta_only.pixel_size_mm / input.pixel_size_mm;
  const auto px = [s](double v) { return (v + 0.5) * s - 0.5; };
  const auto pxx = [&](double v) { return px(v) + offset_x; };
  const auto pxy = [&](double v) { return px(v) + offset_y; };
  for (auto& c : r.calcifications) {
    c.x = pxx(c.x);
    c.y = pxy(c.y);
    c.area_px *= s * s;
  }
  for (auto& k : r.clusters) {
    k.x = pxx(k.x);
    k.y = pxy(k.y);
    for (auto& q : k.outline) q.x = pxx(q.x), q.y = pxy(q.y);
  }
  auto& g = r.region;
  const auto up = [&](const Mask& m) {
    if (m.pixels.empty()) return m;
    cv::Mat out;
    cv::resize(cvx::view(m), out, cv::Size(input.width, input.height), 0, 0, cv::INTER_NEAREST);
    return cvx::to_mask(out);
  };
  g.mask = up(g.mask);
  g.breast = up(g.breast);
  g.nipple = {pxx(g.nipple.x), pxy(g.nipple.y)};
  for (auto& q : g.skin_line) q = {pxx(q.x), pxy(q.y)};
  g.pectoral_top = {pxx(g.pectoral_top.x), pxy(g.pectoral_top.y)};
  g.pectoral_bottom = {pxx(g.pectoral_bottom.x), pxy(g.pectoral_bottom.y)};
  r.image_meta_only.width = input.width;
  r.image_meta_only.height = input.height;
  r.image_meta_only.pixel_size_mm = input.pixel_size_mm;
  r.image_meta_only.info = input.info;
}

/// The grey window stage (docs/algorithms.md section 2): the copy to analyse when the region's tissue
/// range is off the trained grey scale, nullopt when the image is analysed as stored. `params` gets the
/// stage record, `warnings` a line when the window is applied or cannot be measured.
std::optional<Image> grey_window(const Image& image, const Mask& region, nlohmann::json& params,
                                 std::vector<std::string>& warnings) {
  params = {{"trained_low", kTrainedRegionLow},
            {"trained_high", kTrainedRegionHigh},
            {"max_gain", kGreyWindowMaxGain},
            {"max_low_shift", kGreyWindowMaxLowShift},
            {"applied", false}};
  const auto t = tissue_range_in(image, region);
  if (!t) {
    warnings.push_back(
        "grey window not applied: the breast region holds under 1 cm^2 of tissue or is uniform; the scores "
        "depend on the file's grey scale");
    return std::nullopt;
  }
  params["tissue_low"] = t->low;
  params["tissue_high"] = t->high;
  params["cells"] = t->cells;
  params["gain"] = (kTrainedRegionHigh - kTrainedRegionLow) / (t->high - t->low);
  if (!off_trained_grey_scale(*t)) return std::nullopt;
  params["applied"] = true;
  Image windowed = image;
  map_tissue_range(windowed, *t, kTrainedRegionLow, kTrainedRegionHigh);
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "the breast's grey levels (%.3f-%.3f) are off the scale the models were trained on: mapped onto "
                "%.3f-%.3f before detection (--no-grey-window keeps them as stored)",
                t->low, t->high, kTrainedRegionLow, kTrainedRegionHigh);
  warnings.push_back(buf);
  return windowed;
}

}  // namespace

bool declares_digital_detector(const ImageInfo& info) {
  if (info.format != "dicom" || info.conversion_type == "DF") return false;
  return info.detector_type == "DIRECT" || info.detector_type == "SCINTILLATOR" || info.detector_type == "STORAGE";
}

std::string resolution_check_skipped_because(const Image& image, const AnalyzeOptions& options) {
  if (!options.check_resolution) return "turned off (--native-resolution)";
  if (options.breast.whole_image) return "whole-image mode (a patch, not a mammogram)";
  if (declares_digital_detector(image.info))
    return "the DICOM header declares a digital detector (DetectorType " + image.info.detector_type + ")";
  return {};
}

AnalysisResult analyze(const Image& image, const AnalyzeOptions& requested) {
  const auto t0 = std::chrono::steady_clock::now();
  if (image.pixel_size_mm > 0 && (std::min(image.width, image.height) < kMinImageSidePx ||
                                  std::min(image.width_mm(), image.height_mm()) < kMinImageSideMm)) {
    char buf[320];
    std::snprintf(buf, sizeof buf,
                  "image too small to analyse (%d x %d pixels, %.2f x %.2f mm): a calcification is judged against "
                  "its surroundings, so each side needs at least %.0f mm and %d pixels; check --pixel-size",
                  image.width, image.height, image.width_mm(), image.height_mm(), kMinImageSideMm, kMinImageSidePx);
    throw Error(ErrorCode::InvalidImage, buf, image.info.source_path);
  }
  // A patch (both sides under kPatchMaxSideMm) holds no breast outline to segment: it is all tissue.
  AnalyzeOptions options = requested;
  const bool auto_patch = !options.breast.whole_image && is_patch_sized(image);
  if (auto_patch) options.breast.whole_image = true;
  ResolutionCheck rc;
  const std::string skip = resolution_check_skipped_because(image, options);
  if (skip.empty()) rc = check_resolution(image);
  const double check_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json rec = {{"checked", rc.measured || rc.block_upsampled || rc.interpolated_from_film_grid},  // (these two need no tiles)
                        {"not_checked_because", skip.empty() ? nlohmann::json() : nlohmann::json(skip)},
                        {"tiles", rc.tiles},
                        {"high_to_mid_power_log10", rc.measured ? nlohmann::json(rc.high_to_mid_log10) : nlohmann::json()},
                        {"film_like_below_log10", kFilmLikeMaxHighPowerLog10},
                        {"mid_to_low_power_log10", rc.measured ? nlohmann::json(rc.mid_to_low_log10) : nlohmann::json()},
                        {"film_like_mid_above_log10", kFilmLikeMinMidPowerLog10},
                        {"film_like", rc.film_like},
                        {"interpolation_peak_x", rc.interpolation_peak_x},
                        {"interpolation_peak_y", rc.interpolation_peak_y},
                        {"interpolated_film_peak_above", kInterpolatedFilmMinPeak},
                        {"interpolated_from_film_grid", rc.interpolated_from_film_grid},
                        {"static_columns", rc.static_columns},
                        {"static_rows", rc.static_rows},
                        {"block_upsampled", rc.block_upsampled},
                        {"upsampling_factor", rc.upsampling_factor},
                        {"analysed_at_pixel_mm", rc.analyse_at_mm > 0 ? rc.analyse_at_mm : image.pixel_size_mm}};
  AnalysisResult r;
  if (rc.analyse_at_mm > 0) {
    const Image film = rc.block_upsampled ? undo_block_upsampling(image, rc) : resample_image(image, rc.analyse_at_mm);
    r = analyze(film, options, default_models(film.pixel_size_mm));
    if (rc.block_upsampled)  // the source's pixel edges lie on the fitted block grid
      map_to_input_grid(r, image, rc.block_offset_x, rc.block_offset_y);
    else
      map_to_input_grid(r, image);
    r.analysed_pixel_size_mm = film.pixel_size_mm;
    char buf[320];
    if (rc.block_upsampled)
      std::snprintf(buf, sizeof buf,
                    "upsampled by nearest neighbour (x%.2f): analysed at its source's %.3f mm pixels, positions given on "
                    "this file's grid; pass --native-resolution to analyse it as stored",
                    rc.upsampling_factor, film.pixel_size_mm);
    else if (rc.interpolated_from_film_grid)
      std::snprintf(buf, sizeof buf,
                    "interpolated from a ~0.2 mm film grid: analysed as film at %.1f mm (film models and cuts), positions "
                    "given on this file's grid; pass --native-resolution to analyse it as stored",
                    film.pixel_size_mm);
    else
      std::snprintf(buf, sizeof buf,
                    "no detail finer than film's: analysed as film at %.1f mm (film models and cuts), positions given "
                    "on this file's grid; pass --native-resolution to analyse it as stored",
                    film.pixel_size_mm);
    r.image_meta_only.info.warnings.push_back(buf);
  } else {
    r = analyze(image, options, default_models(image.pixel_size_mm));
  }
  r.stages.insert(r.stages.begin(), StageRecord{"resolution", check_ms, std::move(rec)});
  if (image.pixel_size_mm > kCoarsestExpectedPixelMm) {
    char buf[320];
    std::snprintf(buf, sizeof buf,
                  "pixel size %.3g mm is coarser than any mammography detector or film digitiser (0.025-0.2 mm): "
                  "calcifications (0.1-1 mm) are at most a few pixels here and few or none can be found; check "
                  "--pixel-size",
                  image.pixel_size_mm);
    r.image_meta_only.info.warnings.push_back(buf);
  }
  if (auto_patch) {
    char buf[320];
    std::snprintf(buf, sizeof buf,
                  "the image is %.1f x %.1f mm, under %.0f mm on both sides: analysed as a patch (the whole image as "
                  "tissue, no breast segmentation); check --pixel-size if it is a whole mammogram",
                  image.width_mm(), image.height_mm(), kPatchMaxSideMm);
    r.image_meta_only.info.warnings.push_back(buf);
  }
  return r;
}

AnalysisResult analyze(const Image& image, const AnalyzeOptions& options, const ScoringModels& models) {
  AnalysisResult r;
  r.analysed_pixel_size_mm = image.pixel_size_mm;
  r.image_meta_only.width = image.width;
  r.image_meta_only.height = image.height;
  r.image_meta_only.pixel_size_mm = image.pixel_size_mm;
  r.image_meta_only.info = image.info;
  r.models = models_description(models);
  r.min_calcification_score =
      options.min_calcification_score >= 0 ? options.min_calcification_score
                                           : default_calcification_min_score(image.pixel_size_mm);
  r.min_cluster_score =
      options.min_cluster_score >= 0 ? options.min_cluster_score : default_cluster_min_score(image.pixel_size_mm);

  const auto& bp = options.breast;
  r.region = run_stage(r.stages, "breast",
                       {{"work_pixel_mm", bp.work_pixel_mm},
                        {"smoothing_mm", bp.smoothing_mm},
                        {"skin_margin_mm", bp.skin_margin_mm},
                        {"remove_pectoral", bp.remove_pectoral}},
                       [&] {
                         try {
                           return segment_breast(image, bp);
                         } catch (const Error& e) {
                           // a crop smaller than any detector in which no breast outline is found:
                           // all tissue, analysed whole (a real mammogram is never this small)
                           if (e.code() != ErrorCode::NotAMammogram || !is_crop_sized(image)) throw;
                           BreastParams whole = bp;
                           whole.whole_image = true;
                           // (a segmentation with no air around the tissue, session 23, says why)
                           const bool no_air = e.message().rfind(kNoAirMessage, 0) == 0;
                           char buf[320];
                           std::snprintf(buf, sizeof buf,
                                         "%s in this %.0f x %.0f mm image, smaller than any "
                                         "detector: analysed as a crop of tissue (the whole image); pass "
                                         "--whole-image to say so, or check --pixel-size",
                                         no_air ? kNoAirMessage : "no breast outline found",
                                         image.width_mm(), image.height_mm());
                           r.image_meta_only.info.warnings.push_back(buf);
                           return segment_breast(image, whole);
                         }
                       });
  // Digital images: the analysis region's tissue range goes where the models learnt it
  std::optional<Image> windowed;
  if (options.grey_window && image.pixel_size_mm < kFilmPixelSizeMm && !r.region.whole_image) {
    const auto t0 = std::chrono::steady_clock::now();
    nlohmann::json gp;
    windowed = grey_window(image, r.region.mask, gp, r.image_meta_only.info.warnings);
    r.stages.push_back({"grey window",
                        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count(),
                        std::move(gp)});
  }
  const Image& work = windowed ? *windowed : image;
  const auto& cp = options.calcification;
  auto calcs = run_stage(r.stages, "calcifications",
                         {{"min_diameter_mm", cp.min_diameter_mm},
                          {"max_diameter_mm", cp.max_diameter_mm},
                          {"background_mm", cp.background_mm},
                          {"threshold_cnr", cp.threshold_cnr},
                          {"detection_pixel_size_mm", detection_pixel_size_mm(image.pixel_size_mm)},
                          {"max_candidates", cp.max_candidates}},
                         [&] {
                           auto c = detect_calcifications_for_analysis(work, r.region, cp);
                           score_calcifications(c, models);
                           const Scorer* patch = patch_model_of(models);
                           if (patch && options.patch_model && r.region.whole_image && is_patch_sized(image)) {
                             score_patch_calcifications(c, *patch);
                             r.patch_rescored = true;
                           }
                           return c;
                         });
  if (r.patch_rescored) {
    r.models += " + " + patch_model_of(models)->name();
    if (options.min_calcification_score < 0) r.min_calcification_score = kDefaultCalcificationMinScorePatch;
  }
  const auto& kp = options.cluster;
  auto clusters = run_stage(r.stages, "clusters", cluster_params_json(kp),
                            [&] {
                              auto k = find_clusters(calcs, image.pixel_size_mm, kp, r.region.area_mm2);
                              if (r.region.whole_image) impute_patch_context(k);
                              score_clusters(k, calcs, models);
                              suppress_overlapping_clusters(k, kp);
                              discount_by_rank(k, kp, image.pixel_size_mm);
                              return k;
                            });
  // output cut: clusters by score; calcifications by score, cluster members always kept
  std::set<int> keep_ids;
  // reported clusters are numbered 1..n in reading order (row, then column), without the gaps the
  // clusters under the cut (and, on digital images, the suppressed proposals) would leave
  for (auto& k : clusters) {
    if (k.score < r.min_cluster_score) continue;
    keep_ids.insert(k.calcification_ids.begin(), k.calcification_ids.end());
    k.id = static_cast<int>(r.clusters.size()) + 1;
    r.clusters.push_back(std::move(k));
  }
  for (auto& c : calcs)
    if (c.score >= r.min_calcification_score || keep_ids.count(c.id)) r.calcifications.push_back(std::move(c));
  return r;
}

}  // namespace calcscope
