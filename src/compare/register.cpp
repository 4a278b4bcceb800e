// Prior-to-current registration: moment alignment of the breast masks, then ECC refinement of an
// affine warp on a coarse-to-fine pyramid, projected to the nearest similarity transform.
#include "calcscope/compare/register.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <optional>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "calcscope/core/error.h"

namespace calcscope {
namespace {

constexpr double kDeg = std::numbers::pi / 180.0;

cv::Matx33d to_matx(const std::array<double, 6>& m) {
  return {m[0], m[1], m[2], m[3], m[4], m[5], 0, 0, 1};
}
std::array<double, 6> from_matx(const cv::Matx33d& m) {
  return {m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2)};
}
cv::Matx33d translation(double tx, double ty) { return {1, 0, tx, 0, 1, ty, 0, 0, 1}; }
cv::Matx33d scaling(double s) { return {s, 0, 0, 0, s, 0, 0, 0, 1}; }

/// Pixel <-> mm for an image resampled from pixel size `orig_mm` to `level_mm` (cv::resize keeps
/// pixel centres: x_level = (x_orig + 0.5) * orig/level - 0.5; mm = x_orig * orig_mm).
cv::Matx33d level_px_to_mm(double orig_mm, double level_mm) {
  const double c = 0.5 * (level_mm - orig_mm);
  return translation(c, c) * scaling(level_mm);
}

/// One image prepared for registration at one pixel size.
struct Prepared {
  cv::Mat norm;     ///< CV_32F: 0 outside the breast, 0.3 + 0.7 * percentile rank inside
  cv::Mat mask;     ///< CV_8U breast mask (255 inside)
  cv::Mat roi;      ///< CV_8U breast mask dilated to include the skin edge
  double orig_mm = 0, level_mm = 0;
  double area_mm2 = 0;
  cv::Point2d centroid_mm;  ///< in original-image mm (x * orig pixel size)
};

cv::Mat largest_component_filled(const cv::Mat& binary) {
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(binary.clone(), contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
  cv::Mat out = cv::Mat::zeros(binary.size(), CV_8U);
  if (contours.empty()) return out;
  std::size_t best = 0;
  double best_area = -1;
  for (std::size_t i = 0; i < contours.size(); ++i) {
    const double a = cv::contourArea(contours[i]);
    if (a > best_area) best_area = a, best = i;
  }
  cv::drawContours(out, contours, static_cast<int>(best), cv::Scalar(255), cv::FILLED);
  return out;
}

Prepared prepare(const Image& image, const RegistrationParams& p, const char* which) {
  if (image.empty() || image.width < 8 || image.height < 8 || image.pixel_size_mm <= 0)
    throw Error(ErrorCode::InvalidImage,
                std::string("the ") + which + " image is empty or has no pixel size: cannot register it",
                image.info.source_path);
  cv::Mat src(image.height, image.width, CV_32F, const_cast<float*>(image.pixels.data()));
  const double f = image.pixel_size_mm / p.work_pixel_mm;
  cv::Mat work;
  if (std::abs(f - 1.0) < 1e-6) {
    work = src.clone();
  } else {
    const cv::Size size(std::max(8, static_cast<int>(std::lround(image.width * f))),
                        std::max(8, static_cast<int>(std::lround(image.height * f))));
    cv::resize(src, work, size, 0, 0, f < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  Prepared out;
  out.orig_mm = image.pixel_size_mm;
  out.level_mm = p.work_pixel_mm;

  // Breast mask: Otsu on a smoothed copy, largest component, holes filled.
  cv::Mat smooth_mask;
  cv::GaussianBlur(work, smooth_mask, cv::Size(), std::max(0.5, 2.0 / p.work_pixel_mm));
  cv::Mat u8;
  double lo = 0, hi = 1;
  cv::minMaxLoc(smooth_mask, &lo, &hi);
  smooth_mask.convertTo(u8, CV_8U, hi > lo ? 255.0 / (hi - lo) : 1.0, hi > lo ? -255.0 * lo / (hi - lo) : 0.0);
  cv::Mat bin;
  cv::threshold(u8, bin, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
  const int k = std::max(1, static_cast<int>(std::lround(1.5 / p.work_pixel_mm)));
  cv::morphologyEx(bin, bin, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * k + 1, 2 * k + 1}));
  out.mask = largest_component_filled(bin);
  const cv::Moments mo = cv::moments(out.mask, true);
  out.area_mm2 = mo.m00 * p.work_pixel_mm * p.work_pixel_mm;
  if (mo.m00 < 0.02 * work.total() || out.area_mm2 < 500)
    throw Error(ErrorCode::NotAMammogram,
                std::string("no breast found in the ") + which + " image: cannot register it (is it a mammogram?)",
                image.info.source_path);
  const cv::Vec3d c = level_px_to_mm(out.orig_mm, out.level_mm) * cv::Vec3d(mo.m10 / mo.m00, mo.m01 / mo.m00, 1);
  out.centroid_mm = {c[0], c[1]};

  // Normalised image: percentile rank of the smoothed grey value inside the breast (invariant to
  // any monotone change of exposure or processing), plus a step at the skin line.
  cv::Mat smooth;
  cv::GaussianBlur(work, smooth, cv::Size(), std::max(0.3, p.smoothing_mm / p.work_pixel_mm));
  std::vector<float> values;
  values.reserve(static_cast<std::size_t>(mo.m00));
  for (int y = 0; y < smooth.rows; ++y)
    for (int x = 0; x < smooth.cols; ++x)
      if (out.mask.at<std::uint8_t>(y, x)) values.push_back(smooth.at<float>(y, x));
  std::sort(values.begin(), values.end());
  out.norm = cv::Mat::zeros(smooth.size(), CV_32F);
  const double n = static_cast<double>(values.size());
  for (int y = 0; y < smooth.rows; ++y)
    for (int x = 0; x < smooth.cols; ++x)
      if (out.mask.at<std::uint8_t>(y, x)) {
        const auto it = std::lower_bound(values.begin(), values.end(), smooth.at<float>(y, x));
        out.norm.at<float>(y, x) = static_cast<float>(0.3 + 0.7 * (it - values.begin()) / n);
      }
  const int d = std::max(1, static_cast<int>(std::lround(6.0 / p.work_pixel_mm)));
  cv::dilate(out.mask, out.roi, cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * d + 1, 2 * d + 1}));
  return out;
}

Prepared downsample(const Prepared& fine, double level_mm) {
  Prepared out = fine;
  const double f = fine.level_mm / level_mm;
  const cv::Size size(std::max(8, static_cast<int>(std::lround(fine.norm.cols * f))),
                      std::max(8, static_cast<int>(std::lround(fine.norm.rows * f))));
  cv::resize(fine.norm, out.norm, size, 0, 0, cv::INTER_AREA);
  cv::resize(fine.mask, out.mask, size, 0, 0, cv::INTER_NEAREST);
  cv::resize(fine.roi, out.roi, size, 0, 0, cv::INTER_NEAREST);
  // the pixel-centre offset of the coarse level relative to the original image
  out.level_mm = fine.level_mm / f;  // exact ratio of the sizes is close enough
  return out;
}

/// ECC warp (current level px -> prior level px) for a prior-mm -> current-mm transform.
cv::Mat to_level_warp(const cv::Matx33d& prior_to_current_mm, const Prepared& prior, const Prepared& current) {
  const cv::Matx33d m = level_px_to_mm(prior.orig_mm, prior.level_mm).inv() * prior_to_current_mm.inv() *
                        level_px_to_mm(current.orig_mm, current.level_mm);
  cv::Mat w(2, 3, CV_32F);
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 3; ++c) w.at<float>(r, c) = static_cast<float>(m(r, c));
  return w;
}

cv::Matx33d from_level_warp(const cv::Mat& w, const Prepared& prior, const Prepared& current) {
  cv::Matx33d m(w.at<float>(0, 0), w.at<float>(0, 1), w.at<float>(0, 2), w.at<float>(1, 0), w.at<float>(1, 1),
                w.at<float>(1, 2), 0, 0, 1);
  const cv::Matx33d cur_to_prior_mm = level_px_to_mm(prior.orig_mm, prior.level_mm) * m *
                                      level_px_to_mm(current.orig_mm, current.level_mm).inv();
  return cur_to_prior_mm.inv();
}

cv::Matx33d similarity_matx(const SimilarityTransform& t) { return to_matx(t.matrix_mm()); }

struct Score {
  double ncc = -1;
  double dice = 0;
};

/// NCC of the normalised images and Dice of the masks, where the warped prior is defined and near a breast.
Score score(const cv::Matx33d& prior_to_current_mm, const Prepared& prior, const Prepared& current) {
  const cv::Mat w = to_level_warp(prior_to_current_mm, prior, current);
  cv::Mat warped, warped_mask, warped_roi, domain;
  cv::warpAffine(prior.norm, warped, w, current.norm.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                 cv::BORDER_CONSTANT, 0);
  cv::warpAffine(prior.mask, warped_mask, w, current.norm.size(), cv::INTER_NEAREST | cv::WARP_INVERSE_MAP,
                 cv::BORDER_CONSTANT, 0);
  cv::warpAffine(prior.roi, warped_roi, w, current.norm.size(), cv::INTER_NEAREST | cv::WARP_INVERSE_MAP,
                 cv::BORDER_CONSTANT, 0);
  cv::warpAffine(cv::Mat(prior.norm.size(), CV_8U, cv::Scalar(255)), domain, w, current.norm.size(),
                 cv::INTER_NEAREST | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT, 0);
  cv::Mat region = (current.roi | warped_roi) & domain;
  Score s;
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, n = 0, inter = 0, ma = 0, mb = 0;
  for (int y = 0; y < region.rows; ++y)
    for (int x = 0; x < region.cols; ++x) {
      if (!region.at<std::uint8_t>(y, x)) continue;
      const double a = current.norm.at<float>(y, x), b = warped.at<float>(y, x);
      sa += a, sb += b, saa += a * a, sbb += b * b, sab += a * b, n += 1;
      const bool in_a = current.mask.at<std::uint8_t>(y, x) != 0, in_b = warped_mask.at<std::uint8_t>(y, x) != 0;
      ma += in_a, mb += in_b, inter += (in_a && in_b);
    }
  if (n < 10) return s;
  const double va = saa - sa * sa / n, vb = sbb - sb * sb / n;
  if (va > 0 && vb > 0) s.ncc = (sab - sa * sb / n) / std::sqrt(va * vb);
  s.dice = (ma + mb) > 0 ? 2 * inter / (ma + mb) : 0;
  return s;
}

bool plausible(const SimilarityTransform& t, const RegistrationParams& p) {
  double rot = std::fmod(t.rotation_deg, 360.0);
  if (rot > 180) rot -= 360;
  if (rot < -180) rot += 360;
  return std::isfinite(t.scale) && std::abs(rot) <= p.max_rotation_deg &&
         std::abs(t.scale - 1.0) <= p.max_scale_change && std::isfinite(t.shift_x_mm) &&
         std::isfinite(t.shift_y_mm);
}

/// Gauss-Newton maximisation of the correlation between the current image and the warped prior
/// over a similarity warp (as OpenCV's ECC, but restricted to rotation + isotropic scale +
/// translation, with a per-iteration gain/offset fit). Returns the refined transform and the
/// final correlation, or nullopt when it diverges or leaves the plausible range.
std::optional<std::pair<cv::Matx33d, double>> refine(const cv::Matx33d& init, const Prepared& prior,
                                                     const Prepared& current, const RegistrationParams& p) {
  cv::Mat ip, ic, gx, gy;
  cv::GaussianBlur(prior.norm, ip, cv::Size(), 1.0);
  cv::GaussianBlur(current.norm, ic, cv::Size(), 1.0);
  cv::Sobel(ip, gx, CV_32F, 1, 0, 3, 1.0 / 8);
  cv::Sobel(ip, gy, CV_32F, 0, 1, 3, 1.0 / 8);
  const cv::Mat w0 = to_level_warp(init, prior, current);  // current px -> prior px
  double a = w0.at<float>(0, 0), b = w0.at<float>(1, 0), tx = w0.at<float>(0, 2), ty = w0.at<float>(1, 2);
  cv::Mat iw, gxw, gyw, valid;
  const cv::Size size = ic.size();
  double ncc = -1;
  for (int it = 0; it < p.refine_iterations; ++it) {
    const cv::Matx23d w(a, -b, tx, b, a, ty);
    cv::warpAffine(ip, iw, w, size, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT, 0);
    cv::warpAffine(gx, gxw, w, size, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT, 0);
    cv::warpAffine(gy, gyw, w, size, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT, 0);
    cv::warpAffine(prior.roi, valid, w, size, cv::INTER_NEAREST | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT, 0);
    double n = 0, sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    for (int y = 0; y < size.height; ++y)
      for (int x = 0; x < size.width; ++x) {
        if (!valid.at<std::uint8_t>(y, x)) continue;
        const double c = ic.at<float>(y, x), v = iw.at<float>(y, x);
        n += 1, sa += c, sb += v, saa += c * c, sbb += v * v, sab += c * v;
      }
    if (n < 50) return std::nullopt;
    const double va = saa - sa * sa / n, vb = sbb - sb * sb / n, cab = sab - sa * sb / n;
    if (va <= 0 || vb <= 0) return std::nullopt;
    ncc = cab / std::sqrt(va * vb);
    const double gain = cab / vb, offset = (sa - gain * sb) / n;
    cv::Matx44d h = cv::Matx44d::zeros();
    cv::Vec4d g(0, 0, 0, 0);
    for (int y = 0; y < size.height; ++y)
      for (int x = 0; x < size.width; ++x) {
        if (!valid.at<std::uint8_t>(y, x)) continue;
        const double ex = gain * gxw.at<float>(y, x), ey = gain * gyw.at<float>(y, x);
        const cv::Vec4d j(ex * x + ey * y, -ex * y + ey * x, ex, ey);
        const double r = ic.at<float>(y, x) - gain * iw.at<float>(y, x) - offset;
        h += j * j.t();
        g += j * r;
      }
    cv::Vec4d step;
    if (!cv::solve(h, g, step, cv::DECOMP_SVD)) return std::nullopt;
    a += step[0], b += step[1], tx += step[2], ty += step[3];
    if (!std::isfinite(a + b + tx + ty)) return std::nullopt;
    if (std::abs(step[2]) < 1e-3 && std::abs(step[3]) < 1e-3 && std::abs(step[0]) < p.refine_epsilon &&
        std::abs(step[1]) < p.refine_epsilon)
      break;
  }
  cv::Mat w(2, 3, CV_32F);
  w.at<float>(0, 0) = static_cast<float>(a), w.at<float>(0, 1) = static_cast<float>(-b);
  w.at<float>(0, 2) = static_cast<float>(tx), w.at<float>(1, 0) = static_cast<float>(b);
  w.at<float>(1, 1) = static_cast<float>(a), w.at<float>(1, 2) = static_cast<float>(ty);
  const SimilarityTransform sim = SimilarityTransform::from_matrix(from_matx(from_level_warp(w, prior, current)));
  if (!plausible(sim, p)) return std::nullopt;
  return std::make_pair(similarity_matx(sim), ncc);
}

}  // namespace

// ---- SimilarityTransform ---------------------------------------------------------------------

PointPx SimilarityTransform::apply(PointPx p) const {
  const auto m = matrix_mm();
  return {m[0] * p.x + m[1] * p.y + m[2], m[3] * p.x + m[4] * p.y + m[5]};
}

std::array<double, 6> SimilarityTransform::matrix_mm() const {
  const double c = scale * std::cos(rotation_deg * kDeg), s = scale * std::sin(rotation_deg * kDeg);
  return {c, -s, shift_x_mm, s, c, shift_y_mm};
}

SimilarityTransform SimilarityTransform::inverse() const {
  return from_matrix(from_matx(to_matx(matrix_mm()).inv()));
}

SimilarityTransform SimilarityTransform::after(const SimilarityTransform& first) const {
  return from_matrix(from_matx(to_matx(matrix_mm()) * to_matx(first.matrix_mm())));
}

SimilarityTransform SimilarityTransform::from_matrix(const std::array<double, 6>& m) {
  // nearest similarity: average the rotation-like and the reflection-free parts
  const double a = 0.5 * (m[0] + m[4]), b = 0.5 * (m[3] - m[1]);
  SimilarityTransform t;
  t.scale = std::hypot(a, b);
  t.rotation_deg = std::atan2(b, a) / kDeg;
  t.shift_x_mm = m[2];
  t.shift_y_mm = m[5];
  return t;
}

PointPx RegistrationResult::prior_px_to_current_px(PointPx p) const {
  return {matrix_px[0] * p.x + matrix_px[1] * p.y + matrix_px[2], matrix_px[3] * p.x + matrix_px[4] * p.y + matrix_px[5]};
}

PointPx RegistrationResult::current_px_to_prior_px(PointPx p) const {
  const cv::Matx33d inv = to_matx(matrix_px).inv();
  return {inv(0, 0) * p.x + inv(0, 1) * p.y + inv(0, 2), inv(1, 0) * p.x + inv(1, 1) * p.y + inv(1, 2)};
}

// ---- registration ----------------------------------------------------------------------------

RegistrationResult register_images(const Image& prior, const Image& current, const RegistrationParams& p) {
  if (p.work_pixel_mm <= 0 || p.pyramid_levels < 1)
    throw Error(ErrorCode::Usage, "registration needs work_pixel_mm > 0 and at least one pyramid level");
  const auto& li = prior.info.laterality;
  const auto& lc = current.info.laterality;
  if (!li.empty() && !lc.empty() && li != lc)
    throw Error(ErrorCode::InvalidData,
                "the prior is a " + li + " breast and the current image a " + lc +
                    " breast: compare images of the same breast",
                prior.info.source_path);
  const auto& vi = prior.info.view;
  const auto& vc = current.info.view;
  if (!vi.empty() && !vc.empty() && vi != vc)
    throw Error(ErrorCode::InvalidData,
                "the prior is a " + vi + " view and the current image a " + vc +
                    " view: compare images of the same view",
                prior.info.source_path);

  RegistrationResult result;
  const Prepared prior_fine = prepare(prior, p, "prior");
  const Prepared current_fine = prepare(current, p, "current");
  std::vector<Prepared> prior_levels{prior_fine}, current_levels{current_fine};
  for (int l = 1; l < p.pyramid_levels; ++l) {
    const double level_mm = p.work_pixel_mm * std::pow(2.0, l);
    if (std::min(current_fine.norm.cols, current_fine.norm.rows) * p.work_pixel_mm / level_mm < 24) break;
    prior_levels.push_back(downsample(prior_fine, level_mm));
    current_levels.push_back(downsample(current_fine, level_mm));
  }

  // Moment alignment: centroids on top of each other, scale from the areas.
  double s0 = std::sqrt(current_fine.area_mm2 / prior_fine.area_mm2);
  s0 = std::clamp(s0, 1.0 - p.max_scale_change, 1.0 + p.max_scale_change);
  auto moment_init = [&](double rotation_deg) {
    SimilarityTransform t;
    t.rotation_deg = rotation_deg;
    t.scale = s0;
    const PointPx c = t.apply({prior_fine.centroid_mm.x, prior_fine.centroid_mm.y});
    t.shift_x_mm = current_fine.centroid_mm.x - c.x;
    t.shift_y_mm = current_fine.centroid_mm.y - c.y;
    return t;
  };
  const SimilarityTransform moments = moment_init(0);
  const Score initial = score(similarity_matx(moments), prior_fine, current_fine);
  result.quality_initial = initial.ncc;

  // Coarsest level: several starting angles, keep the best correlation.
  const auto& coarse_prior = prior_levels.back();
  const auto& coarse_current = current_levels.back();
  std::optional<cv::Matx33d> best;
  double best_rho = -2;
  for (double r : p.initial_rotations_deg) {
    const auto refined = refine(similarity_matx(moment_init(r)), coarse_prior, coarse_current, p);
    if (refined && refined->second > best_rho) best_rho = refined->second, best = refined->first;
  }
  if (best) {
    for (int l = static_cast<int>(prior_levels.size()) - 2; l >= 0; --l) {
      const auto refined = refine(*best, prior_levels[static_cast<std::size_t>(l)],
                               current_levels[static_cast<std::size_t>(l)], p);
      if (!refined) {
        result.warnings.push_back("registration refinement did not converge at " +
                                  std::to_string(prior_levels[static_cast<std::size_t>(l)].level_mm) +
                                  " mm/pixel; the coarser estimate is kept");
        break;
      }
      best = refined->first;
    }
  }

  Score final_score{};
  if (best) final_score = score(*best, prior_fine, current_fine);
  if (best && final_score.ncc >= p.min_quality && final_score.ncc >= initial.ncc - 0.02) {
    result.transform = SimilarityTransform::from_matrix(from_matx(*best));
    result.method = "refined";
    result.quality = final_score.ncc;
    result.mask_overlap = final_score.dice;
  } else {
    result.transform = moments;
    result.method = "moments";
    result.quality = initial.ncc;
    result.mask_overlap = initial.dice;
    result.warnings.push_back(
        best ? "registration refinement gave a poor match (correlation " + std::to_string(final_score.ncc) +
                   "); fell back to aligning the breast outlines: positions may be off by several mm"
             : "registration refinement failed; fell back to aligning the breast outlines: positions may be "
               "off by several mm");
  }
  if (result.quality < p.min_quality)
    result.warnings.push_back("poor registration (correlation " + std::to_string(result.quality) +
                              "): check that both images show the same breast and view");

  // pixel form: prior px -> prior mm -> current mm -> current px
  const cv::Matx33d px = scaling(1.0 / current.pixel_size_mm) * similarity_matx(result.transform) *
                         scaling(prior.pixel_size_mm);
  result.matrix_px = from_matx(px);
  return result;
}

Image warp_image(const Image& prior, const SimilarityTransform& transform, int width, int height,
                 double pixel_size_mm, float fill) {
  if (prior.empty() || width <= 0 || height <= 0 || pixel_size_mm <= 0 || prior.pixel_size_mm <= 0)
    throw Error(ErrorCode::InvalidImage, "cannot warp an empty image or onto an empty grid", prior.info.source_path);
  // current px -> prior px
  const cv::Matx33d m = scaling(1.0 / prior.pixel_size_mm) * similarity_matx(transform).inv() * scaling(pixel_size_mm);
  cv::Mat w(2, 3, CV_64F);
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 3; ++c) w.at<double>(r, c) = m(r, c);
  cv::Mat src(prior.height, prior.width, CV_32F, const_cast<float*>(prior.pixels.data()));
  Image out(width, height, pixel_size_mm);
  cv::Mat dst(height, width, CV_32F, out.pixels.data());
  cv::warpAffine(src, dst, w, dst.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT, fill);
  out.info = prior.info;
  return out;
}

nlohmann::json to_json(const SimilarityTransform& t) {
  return {{"rotation_deg", t.rotation_deg},
          {"scale", t.scale},
          {"shift_x_mm", t.shift_x_mm},
          {"shift_y_mm", t.shift_y_mm},
          {"maps", "prior mm -> current mm, origin top-left: p' = scale * R(rotation) * p + shift"}};
}

nlohmann::json to_json(const RegistrationResult& r) {
  return {{"transform", to_json(r.transform)},
          {"matrix_px", r.matrix_px},
          {"registration_quality", r.quality},
          {"registration_quality_initial", r.quality_initial},
          {"mask_overlap", r.mask_overlap},
          {"method", r.method},
          {"warnings", r.warnings}};
}

}  // namespace calcscope
