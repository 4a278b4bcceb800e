// Calcification candidates: band-pass contrast normalised by a robust local noise estimate.
//
//   S   = G(sigma_fine) * I                     (detector-noise suppression, ~0.05 mm)
//   B   = G(sigma_bg)  * I                      (local background, ~background_mm / 2)
//   D   = S - B                                 (bright spots smaller than ~1 mm stand out)
//   N   = 1.4826 * median |D| over ~3 mm blocks (robust local noise + texture level)
//   CNR = D / N
// Candidates are connected regions of CNR > threshold/2 containing a pixel above the threshold;
// each is measured at half its peak contrast (FWHM region).
#include "calcscope/detect/calcifications.h"

#include <algorithm>
#include <map>
#include <cmath>
#include <exception>
#include <numeric>
#include <thread>

#include <opencv2/imgproc.hpp>

#include "calcscope/core/error.h"
#include "core/cv_adapter.h"

namespace calcscope {

const std::vector<std::string>& calcification_feature_names() {
  static const std::vector<std::string> names = {
      "cnr_peak",        // peak contrast-to-noise
      "cnr_mean",        // mean CNR over the FWHM region
      "log_contrast",    // log10 of peak band-pass contrast (normalised grey units)
      "log_noise",       // log10 of the local noise level
      "diameter_mm",     // equivalent diameter of the FWHM region
      "log_area_mm2",    // log10 area of the low-threshold region
      "elongation",      // major/minor axis ratio
      "irregularity",    // 1 - 4 pi A / P^2
      "fill_ratio",      // FWHM area / low-threshold area
      "background",      // local background grey level (tissue density)
      "dist_to_skin_mm", // distance to the breast edge (capped at 30 mm)
      "line_ratio",      // |lambda_small| / |lambda_large| of the Hessian at the peak (0 = line, 1 = blob)
      "neighbours_5mm",  // other candidates (CNR > threshold) within 5 mm
      "neighbours_10mm", // ... within 10 mm
      "pixel_size_mm",   // acquisition pixel size (lets the model know film vs digital)
      "peak_sharpness",  // fine-scale contrast / band contrast
      "cnr_narrow",      // CNR in the narrow band (background ~0.2 mm)
      "cnr_wide",        // CNR in the wide band (background ~background_mm/2)
      "disc_cnr_small",  // (mean of a 0.1 mm disc - mean of the 0.25-0.4 mm ring) / noise: matched to faint specks
      "disc_cnr_large",  // same with a 0.2 mm disc and a 0.35-0.55 mm ring: hazy (amorphous) spots
      "speck_net",       // logit of the candidate-patch network (detect/speck_net.h; digital images; 0 otherwise)
  };
  return names;
}

namespace {

struct Maps {
  cv::Mat d;      // band-pass contrast (wide band, used for size and contrast)
  cv::Mat cnr_narrow, cnr_wide;
  cv::Mat cnr;    // contrast-to-noise
  cv::Mat noise;  // local noise level
  cv::Mat bg;     // background
  cv::Mat fine;   // finest band (S - G(2 sigma_fine))
  cv::Mat s;      // detector-noise-smoothed image
};

/// (mean of s in a disc of radius r_mm - mean of s in the ring r_in_mm..r_out_mm) / noise, at (cx, cy):
/// a matched filter for a spot of about the disc's size, in millimetres so it means the same at every
/// pixel size.
double disc_cnr(const cv::Mat& s, int cx, int cy, double px, double r_mm, double r_in_mm, double r_out_mm,
                double noise) {
  const double r = std::max(1.0, r_mm / px), ri = std::max(r + 1.0, r_in_mm / px), ro = std::max(ri + 1.0, r_out_mm / px);
  const int R = static_cast<int>(std::ceil(ro));
  double sd = 0, sr = 0;
  int nd = 0, nr = 0;
  for (int dy = -R; dy <= R; ++dy) {
    const int y = cy + dy;
    if (y < 0 || y >= s.rows) continue;
    const float* row = s.ptr<float>(y);
    for (int dx = -R; dx <= R; ++dx) {
      const int x = cx + dx;
      if (x < 0 || x >= s.cols) continue;
      const double d = std::sqrt(double(dx * dx + dy * dy));
      if (d <= r) sd += row[x], ++nd;
      else if (d >= ri && d <= ro) sr += row[x], ++nr;
    }
  }
  if (nd == 0 || nr == 0) return 0.0;
  return (sd / nd - sr / nr) / std::max(1e-6, noise);
}

/// Blurs with a Gaussian of sigma_px; large sigmas are computed on a downsampled copy.
cv::Mat blur(const cv::Mat& src, double sigma_px) {
  if (sigma_px < 0.3) return src.clone();
  if (sigma_px <= 6.0) {
    cv::Mat out;
    cv::GaussianBlur(src, out, cv::Size(), sigma_px, sigma_px, cv::BORDER_REFLECT);
    return out;
  }
  const int f = std::max(2, static_cast<int>(sigma_px / 3.0));
  cv::Mat small, out;
  cv::resize(src, small, cv::Size((src.cols + f - 1) / f, (src.rows + f - 1) / f), 0, 0, cv::INTER_AREA);
  cv::GaussianBlur(small, small, cv::Size(), sigma_px / f, sigma_px / f, cv::BORDER_REFLECT);
  cv::resize(small, out, src.size(), 0, 0, cv::INTER_LINEAR);
  return out;
}

/// Robust local noise: 1.4826 * median |d| inside the mask over blocks of block_px, smoothed.
cv::Mat robust_noise(const cv::Mat& d, const cv::Mat& mask, int block_px) {
  const int bw = (d.cols + block_px - 1) / block_px, bh = (d.rows + block_px - 1) / block_px;
  cv::Mat grid(bh, bw, CV_32F, cv::Scalar(-1));
  // block rows in parallel: each writes only its own grid row
  cv::parallel_for_(cv::Range(0, bh), [&](const cv::Range& rows) {
    std::vector<float> vals;
    vals.reserve(static_cast<std::size_t>(block_px) * block_px);
    for (int by = rows.start; by < rows.end; ++by) {
      for (int bx = 0; bx < bw; ++bx) {
        vals.clear();
        const int y1 = std::min(d.rows, (by + 1) * block_px), x1 = std::min(d.cols, (bx + 1) * block_px);
        for (int y = by * block_px; y < y1; ++y) {
          const float* dr = d.ptr<float>(y);
          const uchar* mr = mask.ptr<uchar>(y);
          for (int x = bx * block_px; x < x1; ++x)
            if (mr[x]) vals.push_back(std::abs(dr[x]));
        }
        if (vals.size() >= 16) {
          auto mid = vals.begin() + vals.size() / 2;
          std::nth_element(vals.begin(), mid, vals.end());
          grid.at<float>(by, bx) = 1.4826f * *mid;
        }
      }
    }
  });
  double global_sum = 0;
  int global_n = 0;
  for (int y = 0; y < bh; ++y)
    for (int x = 0; x < bw; ++x)
      if (grid.at<float>(y, x) >= 0) global_sum += grid.at<float>(y, x), ++global_n;
  const float fallback = global_n ? static_cast<float>(global_sum / global_n) : 1e-3f;
  // fill empty blocks by the mean of valid ones, then smooth the grid
  for (int y = 0; y < bh; ++y)
    for (int x = 0; x < bw; ++x)
      if (grid.at<float>(y, x) < 0) grid.at<float>(y, x) = fallback;
  cv::GaussianBlur(grid, grid, cv::Size(), 1.0);
  cv::max(grid, fallback * 0.25f, grid);
  cv::Mat out;
  cv::resize(grid, out, d.size(), 0, 0, cv::INTER_LINEAR);
  return out;
}

/// Gaussian background inside the breast only (normalised convolution): pixels outside the breast
/// do not pull the background down near the skin line, which would make the edge look bright.
cv::Mat masked_blur(const cv::Mat& img, const cv::Mat& breast01, const cv::Mat& breast_blur_cache, double sigma_px) {
  cv::Mat num = blur(img.mul(breast01), sigma_px);
  cv::Mat den = breast_blur_cache.empty() ? blur(breast01, sigma_px) : breast_blur_cache;
  cv::Mat out;
  cv::divide(num, cv::max(den, 1e-3), out);
  // far outside the (eroded) breast keep the plain image (no detection there anyway)
  img.copyTo(out, den < 1e-3);
  return out;
}

Maps compute_maps(const Image& image, const cv::Mat& mask, const cv::Mat& breast, const CalcificationParams& p) {
  const double px = image.pixel_size_mm;
  // the silhouette comes from a coarse grid: erode it so no background pixel enters the average
  // (eroded by 4 mm on a 0.5 mm grid: a full-resolution elliptic erosion costs seconds at 70 um)
  cv::Mat inner;
  {
    const double f = std::min(1.0, px / 0.5);
    cv::Mat small;
    cv::resize(breast, small, cv::Size(), f, f, cv::INTER_NEAREST);
    const int k = std::max(3, static_cast<int>(std::lround(8.0 / (px / f))) | 1);
    cv::erode(small, small, cv::getStructuringElement(cv::MORPH_ELLIPSE, {k, k}));
    cv::resize(small, inner, breast.size(), 0, 0, cv::INTER_NEAREST);
  }
  cv::Mat breast01;
  inner.convertTo(breast01, CV_32F, 1.0 / 255.0);
  cv::Mat img = cvx::view(image);
  const double sigma_fine_px = std::max(0.5, 0.05 / px);
  const double sigma_bg_px = (p.background_mm / 2.0) / px;
  Maps m;
  cv::Mat s = blur(img, sigma_fine_px);
  m.s = s;
  m.bg = masked_blur(img, breast01, {}, sigma_bg_px);
  // the narrow band runs on a second thread while the wide band and the noise are computed here
  const double sigma_narrow_px = std::max(1.5 * sigma_fine_px, 0.2 / px);
  cv::Mat noise_n, dn;
  std::exception_ptr narrow_error;  // rethrown after the join: an exception leaving a thread would abort
  std::jthread narrow([&] {  // joined on every path, also when the work below throws
    try {
      dn = s - masked_blur(img, breast01, {}, sigma_narrow_px);
      noise_n = robust_noise(dn, mask, std::max(8, static_cast<int>(std::lround(3.0 / px))));
    } catch (...) {
      narrow_error = std::current_exception();
    }
  });
  m.d = s - m.bg;
  cv::Mat s2 = blur(img, 2.5 * sigma_fine_px);
  m.fine = s - s2;
  const int block_px = std::max(8, static_cast<int>(std::lround(3.0 / px)));
  m.noise = robust_noise(m.d, mask, block_px);
  cv::divide(m.d, m.noise, m.cnr_wide);
  // narrow band (background at ~0.2 mm): less anatomical texture, better for specks < 0.4 mm
  narrow.join();
  if (narrow_error) std::rethrow_exception(narrow_error);
  cv::divide(dn, noise_n, m.cnr_narrow);
  m.cnr = cv::max(m.cnr_wide, m.cnr_narrow);
  return m;
}

/// Distance (mm) from every inside pixel to the breast edge, on a coarse grid, capped.
cv::Mat skin_distance_mm(const Mask& breast, double px) {
  cv::Mat b = cvx::view(breast);
  const int f = std::max(1, static_cast<int>(0.5 / px));
  cv::Mat small;
  cv::resize(b, small, cv::Size((b.cols + f - 1) / f, (b.rows + f - 1) / f), 0, 0, cv::INTER_NEAREST);
  cv::Mat dist;
  cv::distanceTransform(small, dist, cv::DIST_L2, 3);
  dist *= f * px;
  return dist;  // indexed at (y/f, x/f)
}

/// Labels the hysteresis regions (low) and splits each region that holds several separate
/// high-threshold cores (CNR > t_hi, cores closer than ~0.15 mm joined) into one region per core,
/// every pixel going to its nearest core. Segments of a fine-linear cast or a row of punctate specks
/// joined by a faint bridge thus stay separate calcifications, as a reader counts them.
/// Returns the number of labels (0 = background) and fills labels (CV_32S) and stats (as
/// cv::connectedComponentsWithStats: left, top, width, height, area).
int split_multi_peak_components(const cv::Mat& low, const cv::Mat& high, double px, cv::Mat& labels,
                                cv::Mat& stats) {
  cv::Mat centroids;
  int n = cv::connectedComponentsWithStats(low, labels, stats, centroids, 8, CV_32S);
  const int r = std::max(1, static_cast<int>(std::lround(0.075 / px)));
  cv::Mat cores;
  cv::dilate(high, cores, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * r + 1, 2 * r + 1)));
  cores &= low;
  cv::Mat core_labels;
  cv::connectedComponents(cores, core_labels, 8, CV_32S);
  // which low regions hold more than one core
  std::vector<int> first(n, 0);
  std::vector<char> multi(n, 0);
  for (int y = 0; y < labels.rows; ++y) {
    const int* lr = labels.ptr<int>(y);
    const int* cr = core_labels.ptr<int>(y);
    for (int x = 0; x < labels.cols; ++x) {
      if (cr[x] == 0) continue;
      int& f = first[lr[x]];
      if (f == 0) f = cr[x];
      else if (f != cr[x]) multi[lr[x]] = 1;
    }
  }
  if (std::find(multi.begin(), multi.end(), 1) == multi.end()) return n;
  int next = n;
  for (int l = 1; l < n; ++l) {
    if (!multi[l]) continue;
    const cv::Rect box(stats.at<int>(l, cv::CC_STAT_LEFT), stats.at<int>(l, cv::CC_STAT_TOP),
                       stats.at<int>(l, cv::CC_STAT_WIDTH), stats.at<int>(l, cv::CC_STAT_HEIGHT));
    cv::Mat lab = labels(box), core = core_labels(box);
    // nearest core of every pixel: distance transform of "not a core of this region", labelled
    cv::Mat not_core(box.size(), CV_8U, cv::Scalar(255));
    for (int y = 0; y < box.height; ++y)
      for (int x = 0; x < box.width; ++x)
        if (lab.at<int>(y, x) == l && core.at<int>(y, x) > 0) not_core.at<uchar>(y, x) = 0;
    cv::Mat dist, nearest;
    cv::distanceTransform(not_core, dist, nearest, cv::DIST_L2, cv::DIST_MASK_5, cv::DIST_LABEL_CCOMP);
    std::map<int, int> new_label;  // distance-transform label -> image label
    for (int y = 0; y < box.height; ++y)
      for (int x = 0; x < box.width; ++x) {
        if (lab.at<int>(y, x) != l) continue;
        const int k = nearest.at<int>(y, x);
        auto it = new_label.find(k);
        if (it == new_label.end()) it = new_label.emplace(k, new_label.empty() ? l : next++).first;
        lab.at<int>(y, x) = it->second;
      }
  }
  // statistics of the relabelled image
  stats = cv::Mat::zeros(next, 5, CV_32S);
  std::vector<int> x0(next, labels.cols), y0(next, labels.rows), x1(next, -1), y1(next, -1), area(next, 0);
  for (int y = 0; y < labels.rows; ++y) {
    const int* lr = labels.ptr<int>(y);
    for (int x = 0; x < labels.cols; ++x) {
      const int l = lr[x];
      if (l == 0) continue;
      ++area[l];
      x0[l] = std::min(x0[l], x);
      x1[l] = std::max(x1[l], x);
      y0[l] = std::min(y0[l], y);
      y1[l] = std::max(y1[l], y);
    }
  }
  for (int l = 1; l < next; ++l) {
    if (area[l] == 0) continue;
    stats.at<int>(l, cv::CC_STAT_LEFT) = x0[l];
    stats.at<int>(l, cv::CC_STAT_TOP) = y0[l];
    stats.at<int>(l, cv::CC_STAT_WIDTH) = x1[l] - x0[l] + 1;
    stats.at<int>(l, cv::CC_STAT_HEIGHT) = y1[l] - y0[l] + 1;
    stats.at<int>(l, cv::CC_STAT_AREA) = area[l];
  }
  return next;
}

}  // namespace

std::vector<Calcification> detect_calcifications(const Image& image, const BreastRegion& region,
                                                 const CalcificationParams& p) {
  if (image.empty() || region.mask.width != image.width || region.mask.height != image.height)
    throw Error(ErrorCode::Internal, "breast mask does not match the image", image.info.source_path);
  const double px = image.pixel_size_mm;
  const double px2 = px * px;
  cv::Mat mask = cvx::view(region.mask);
  Maps m = compute_maps(image, mask, cvx::view(region.breast), p);

  // hysteresis: low threshold region containing a high-threshold pixel
  const double t_hi = p.threshold_cnr, t_lo = p.threshold_cnr * 0.5;
  cv::Mat low = (m.cnr > t_lo) & mask;
  cv::Mat labels, stats;
  const int n = split_multi_peak_components(low, (m.cnr > t_hi) & mask, px, labels, stats);

  const double max_area_px = 4.0 * M_PI * std::pow(p.max_diameter_mm / px, 2);  // 2x max diameter
  const double min_area_px = 1.0;
  struct Peak {
    int label;
    float cnr;
    cv::Point at;
  };
  std::vector<Peak> peaks(n, Peak{0, 0.f, {0, 0}});
  for (int y = 0; y < labels.rows; ++y) {
    const int* lr = labels.ptr<int>(y);
    const float* cr = m.cnr.ptr<float>(y);
    for (int x = 0; x < labels.cols; ++x) {
      const int l = lr[x];
      if (l > 0 && cr[x] > peaks[l].cnr) peaks[l] = Peak{l, cr[x], {x, y}};
    }
  }
  std::vector<Peak> kept;
  for (int l = 1; l < n; ++l) {
    const int area = stats.at<int>(l, cv::CC_STAT_AREA);
    if (peaks[l].cnr < t_hi || area < min_area_px || area > max_area_px) continue;
    kept.push_back(peaks[l]);
  }
  std::sort(kept.begin(), kept.end(), [](const Peak& a, const Peak& b) { return a.cnr > b.cnr; });
  if (static_cast<int>(kept.size()) > p.max_candidates) kept.resize(p.max_candidates);

  cv::Mat skin = skin_distance_mm(region.breast, px);
  const int skin_f = std::max(1, static_cast<int>(0.5 / px));
  const double min_d_px2 = std::pow(p.min_diameter_mm / px, 2) * M_PI / 4.0;

  std::vector<Calcification> out;
  out.reserve(kept.size());
  for (const auto& pk : kept) {
    const int l = pk.label;
    const cv::Rect box(stats.at<int>(l, cv::CC_STAT_LEFT), stats.at<int>(l, cv::CC_STAT_TOP),
                       stats.at<int>(l, cv::CC_STAT_WIDTH), stats.at<int>(l, cv::CC_STAT_HEIGHT));
    const float dpeak = m.d.at<float>(pk.at);
    const float half = dpeak > 0 ? 0.5f * dpeak : dpeak;  // narrow-band peaks may be flat in the wide band
    // moments over the FWHM region (pixels of this component with d >= half peak)
    double s0 = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, wsum = 0, wx = 0, wy = 0, cnr_sum = 0;
    int low_area = 0;
    cv::Mat region_fwhm = cv::Mat::zeros(box.height + 2, box.width + 2, CV_8U);
    for (int y = box.y; y < box.y + box.height; ++y) {
      const int* lr = labels.ptr<int>(y);
      const float* dr = m.d.ptr<float>(y);
      const float* cr = m.cnr.ptr<float>(y);
      for (int x = box.x; x < box.x + box.width; ++x) {
        if (lr[x] != l) continue;
        ++low_area;
        if (dr[x] < half) continue;
        s0 += 1;
        sx += x;
        sy += y;
        sxx += double(x) * x;
        syy += double(y) * y;
        sxy += double(x) * y;
        const double w = dr[x] - half + 1e-6;
        wsum += w;
        wx += w * x;
        wy += w * y;
        cnr_sum += cr[x];
        region_fwhm.at<uchar>(y - box.y + 1, x - box.x + 1) = 255;
      }
    }
    if (s0 < 1 || wsum <= 0) continue;
    Calcification c;
    c.x = wx / wsum;
    c.y = wy / wsum;
    c.x_mm = c.x * px;
    c.y_mm = c.y * px;
    // FWHM area, but never below the resolvable spot (one pixel / min diameter)
    const double area_px = std::max(s0, std::min(1.0, min_d_px2));
    c.area_px = area_px;
    c.area_mm2 = area_px * px2;
    c.diameter_mm = 2.0 * std::sqrt(c.area_mm2 / M_PI);
    const double mx = sx / s0, my = sy / s0;
    const double cxx = sxx / s0 - mx * mx + 1.0 / 12, cyy = syy / s0 - my * my + 1.0 / 12, cxy = sxy / s0 - mx * my;
    const double tr = cxx + cyy, det = cxx * cyy - cxy * cxy;
    const double disc = std::sqrt(std::max(0.0, tr * tr / 4 - det));
    const double l1 = tr / 2 + disc, l2 = std::max(1e-9, tr / 2 - disc);
    c.elongation = std::sqrt(l1 / l2);
    c.eccentricity = std::sqrt(std::max(0.0, 1.0 - l2 / l1));
    c.orientation_deg = 0.5 * std::atan2(2 * cxy, cxx - cyy) * 180.0 / M_PI;
    std::vector<std::vector<cv::Point>> cont;
    cv::findContours(region_fwhm, cont, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
    double perim = 0;
    for (const auto& ct : cont) perim += cv::arcLength(ct, true);
    perim = std::max(perim, 2 * std::sqrt(M_PI * s0));
    c.irregularity = std::clamp(1.0 - 4 * M_PI * s0 / (perim * perim + 1e-9), 0.0, 1.0);
    if (s0 < 6) c.irregularity = 0;  // too few pixels for a shape
    c.contrast = dpeak;
    c.cnr = pk.cnr;
    c.mean_intensity = m.bg.at<float>(pk.at) + dpeak;
    const int sy_i = std::min(skin.rows - 1, pk.at.y / skin_f), sx_i = std::min(skin.cols - 1, pk.at.x / skin_f);
    c.dist_to_skin_mm = skin.at<float>(sy_i, sx_i);
    // Hessian of the fine-smoothed image at the peak (central differences at ~sigma scale)
    const int h = std::max(1, static_cast<int>(std::lround(0.1 / px)));
    auto at = [&](int x, int y) {
      x = std::clamp(x, 0, m.d.cols - 1);
      y = std::clamp(y, 0, m.d.rows - 1);
      return static_cast<double>(m.d.at<float>(y, x));
    };
    const int X = pk.at.x, Y = pk.at.y;
    const double hxx = at(X + h, Y) - 2 * at(X, Y) + at(X - h, Y);
    const double hyy = at(X, Y + h) - 2 * at(X, Y) + at(X, Y - h);
    const double hxy = (at(X + h, Y + h) - at(X + h, Y - h) - at(X - h, Y + h) + at(X - h, Y - h)) / 4;
    const double htr = hxx + hyy, hdet = hxx * hyy - hxy * hxy;
    const double hdisc = std::sqrt(std::max(0.0, htr * htr / 4 - hdet));
    const double e1 = std::abs(htr / 2 + hdisc), e2 = std::abs(htr / 2 - hdisc);
    const double line_ratio = std::min(e1, e2) / (std::max(e1, e2) + 1e-12);
    const double noise = m.noise.at<float>(pk.at);
    c.features = {pk.cnr,
                  cnr_sum / s0,
                  std::log10(std::max(1e-6, static_cast<double>(dpeak))),
                  std::log10(std::max(1e-6, noise)),
                  c.diameter_mm,
                  std::log10(std::max(1e-6, low_area * px2)),
                  c.elongation,
                  c.irregularity,
                  s0 / std::max(1, low_area),
                  m.bg.at<float>(pk.at),
                  std::min(30.0, c.dist_to_skin_mm),
                  line_ratio,
                  0.0,
                  0.0,
                  px,
                  m.fine.at<float>(pk.at) / std::max(1e-6f, dpeak),
                  m.cnr_narrow.at<float>(pk.at),
                  m.cnr_wide.at<float>(pk.at),
                  disc_cnr(m.s, pk.at.x, pk.at.y, px, 0.1, 0.25, 0.4, noise),
                  disc_cnr(m.s, pk.at.x, pk.at.y, px, 0.2, 0.35, 0.55, noise),
                  0.0};  // speck_net: add_speck_net_feature()
    out.push_back(std::move(c));
  }
  // neighbour counts (context features), via a coarse grid of 5 mm cells
  const double cell = 5.0;
  std::vector<std::vector<int>> grid;
  const int gw = static_cast<int>(image.width_mm() / cell) + 1, gh = static_cast<int>(image.height_mm() / cell) + 1;
  grid.resize(static_cast<std::size_t>(gw) * gh);
  for (int i = 0; i < static_cast<int>(out.size()); ++i) {
    const int gx = static_cast<int>(out[i].x_mm / cell), gy = static_cast<int>(out[i].y_mm / cell);
    grid[static_cast<std::size_t>(gy) * gw + gx].push_back(i);
  }
  for (auto& c : out) {
    const int gx = static_cast<int>(c.x_mm / cell), gy = static_cast<int>(c.y_mm / cell);
    int n5 = 0, n10 = 0;
    for (int yy = gy - 2; yy <= gy + 2; ++yy)
      for (int xx = gx - 2; xx <= gx + 2; ++xx) {
        if (xx < 0 || yy < 0 || xx >= gw || yy >= gh) continue;
        for (int j : grid[static_cast<std::size_t>(yy) * gw + xx]) {
          const double d = std::hypot(out[j].x_mm - c.x_mm, out[j].y_mm - c.y_mm);
          if (d <= 0) continue;
          if (d <= 5.0) ++n5;
          if (d <= 10.0) ++n10;
        }
      }
    c.features[12] = n5;
    c.features[13] = n10;
  }
  // ids in reading order (top to bottom, then left to right) for stable output
  std::sort(out.begin(), out.end(), [](const Calcification& a, const Calcification& b) {
    return a.y != b.y ? a.y < b.y : a.x < b.x;
  });
  for (std::size_t i = 0; i < out.size(); ++i) out[i].id = static_cast<int>(i) + 1;
  return out;
}

}  // namespace calcscope
