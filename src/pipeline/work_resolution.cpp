// Film is searched for calcifications at a finer working pixel size (see detection_pixel_size_mm()).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "calcscope/core/error.h"
#include "calcscope/detect/speck_net.h"
#include "calcscope/pipeline/analyze.h"
#include "core/cv_adapter.h"

namespace calcscope {

Image resample_image(const Image& image, double pixel_size_mm, Interpolation interpolation) {
  if (image.empty() || !(image.pixel_size_mm > 0) || !(pixel_size_mm > 0))
    throw Error(ErrorCode::Internal, "resample_image: empty image or pixel size not positive", image.info.source_path);
  const double f = image.pixel_size_mm / pixel_size_mm;
  const cv::Size size(std::max(1, static_cast<int>(std::lround(image.width * f))),
                      std::max(1, static_cast<int>(std::lround(image.height * f))));
  cv::Mat out;
  const int how = interpolation == Interpolation::Nearest  ? cv::INTER_NEAREST
                  : interpolation == Interpolation::Linear ? cv::INTER_LINEAR
                                                           : cv::INTER_CUBIC;
  cv::resize(cvx::view(image), out, size, 0, 0, how);
  cv::min(cv::max(out, 0.0), 1.0, out);  // bicubic overshoot stays inside the [0,1] grey range
  Image r = cvx::to_image(out, pixel_size_mm);
  r.info = image.info;
  return r;
}

namespace {

/// Along one axis (columns when along_rows, else rows), over every third line: which positions i
/// change value to i + 1 in at least 2 % of the pairs with a value above `floor` (1), which never
/// do (0), and which were seen fewer than 50 times (-1).
std::vector<int> change_positions(const cv::Mat& img, bool along_rows, double floor) {
  const int L = (along_rows ? img.cols : img.rows) - 1, N = along_rows ? img.rows : img.cols;
  if (L < 1) return {};
  std::vector<int> changes(static_cast<std::size_t>(L), 0), seen(static_cast<std::size_t>(L), 0);
  const auto count = [&](int i, float a, float b) {
    if (a <= floor && b <= floor) return;
    ++seen[static_cast<std::size_t>(i)];
    changes[static_cast<std::size_t>(i)] += a != b;
  };
  if (along_rows) {
    for (int k = 0; k < N; k += 3) {
      const float* r = img.ptr<float>(k);
      for (int i = 0; i < L; ++i) count(i, r[i], r[i + 1]);
    }
  } else {  // row by row, every third column (memory order)
    for (int i = 0; i < L; ++i) {
      const float* r0 = img.ptr<float>(i);
      const float* r1 = img.ptr<float>(i + 1);
      for (int k = 0; k < N; k += 3) count(i, r0[k], r1[k]);
    }
  }
  std::vector<int> status(static_cast<std::size_t>(L));
  for (std::size_t i = 0; i < status.size(); ++i)
    status[i] = seen[i] < 50 ? -1 : (changes[i] >= 0.02 * seen[i] ? 1 : 0);
  return status;
}

/// The block grid of one axis: source pixel k spans the input's pixel edges [offset + k factor,
/// offset + (k + 1) factor), offset in [-factor / 2, factor / 2] (a partial first block whose middle
/// lies outside the image is dropped).
struct AxisGrid {
  double static_fraction = 0, factor = 1, offset = 0;
};

/// AxisGrid from change_positions(): the boundaries (edge coordinate i + 1 of a changing position
/// i) are numbered by rounding their gaps to multiples of the first estimate 1 / (1 - static
/// fraction), the factor is fitted to them by least squares, and the phase is what every boundary
/// allows. factor stays 1 with fewer than 8 boundaries.
AxisGrid fit_axis(const std::vector<int>& status) {
  AxisGrid g;
  int known = 0, never = 0;
  std::vector<double> edges;
  for (std::size_t i = 0; i < status.size(); ++i) {
    if (status[i] < 0) continue;
    ++known;
    never += status[i] == 0;
    if (status[i] == 1) edges.push_back(static_cast<double>(i) + 1.0);
  }
  if (known == 0) return g;
  g.static_fraction = static_cast<double>(never) / known;
  if (g.static_fraction >= 0.9 || edges.size() < 8) return g;
  const double f0 = 1.0 / (1.0 - g.static_fraction);
  std::vector<double> n(edges.size(), 0.0);
  for (std::size_t j = 1; j < edges.size(); ++j)
    n[j] = n[j - 1] + std::max(1.0, std::round((edges[j] - edges[j - 1]) / f0));
  double sn = 0, se = 0, snn = 0, sne = 0;
  for (std::size_t j = 0; j < edges.size(); ++j) sn += n[j], se += edges[j], snn += n[j] * n[j], sne += n[j] * edges[j];
  const double m = static_cast<double>(edges.size()), det = m * snn - sn * sn;
  if (!(det > 0)) return g;
  g.factor = (m * sne - sn * se) / det;
  // Pixel x belongs to block floor((x - p) / f), so block k starts at pixel ceil(p + k f): every
  // boundary bounds p to (E - 1 - n f, E - n f]. The middle of what all allow; if they disagree
  // (a fitted factor a little off), the median less half a pixel (ceil adds half a pixel on average).
  double lo = -1e300, hi = 1e300;
  std::vector<double> r(edges.size());
  for (std::size_t j = 0; j < edges.size(); ++j) {
    r[j] = edges[j] - n[j] * g.factor;
    lo = std::max(lo, r[j] - 1.0);
    hi = std::min(hi, r[j]);
  }
  std::nth_element(r.begin(), r.begin() + static_cast<std::ptrdiff_t>(r.size() / 2), r.end());
  const double p = lo < hi ? (lo + hi) / 2 : r[r.size() / 2] - 0.5;
  g.offset = p - std::round(p / g.factor) * g.factor;  // block 0: the first whose middle is inside
  return g;
}

/// Nearest-neighbour upsampling (ResolutionCheck::block_upsampled and its grid).
void check_block_upsampling(const cv::Mat& img, double floor, double px, ResolutionCheck& rc) {
  const AxisGrid x = fit_axis(change_positions(img, true, floor));
  const AxisGrid y = fit_axis(change_positions(img, false, floor));
  rc.static_columns = x.static_fraction;
  rc.static_rows = y.static_fraction;
  if (x.static_fraction < kBlockUpsampledMinStatic || y.static_fraction < kBlockUpsampledMinStatic ||
      std::abs(x.static_fraction - y.static_fraction) > 0.1 || !(x.factor > 1.2) || !(y.factor > 1.2) ||
      std::abs(x.factor - y.factor) > 0.05 * x.factor)
    return;
  rc.block_upsampled = true;
  rc.upsampling_factor = (x.factor + y.factor) / 2;
  rc.block_factor_x = x.factor;
  rc.block_factor_y = y.factor;
  rc.block_offset_x = x.offset;
  rc.block_offset_y = y.offset;
  rc.analyse_at_mm = px * rc.upsampling_factor;
}

/// One profile of mean |second differences| (sum and count per column or row): detrended, its power
/// in the window of kInterpolationGridMinMm-kInterpolationGridMaxMm grids over its median power
/// (0 = too short).
double profile_peak(const std::vector<double>& sum, const std::vector<int>& count, double px) {
  const int L = static_cast<int>(sum.size());
  const int most = *std::max_element(count.begin(), count.end());
  if (most < 16) return 0;
  int first = -1, last = -1;  // the span of profile entries with at least a quarter of the most samples
  for (int i = 0; i < L; ++i)
    if (count[i] >= most / 4) {
      if (first < 0) first = i;
      last = i;
    }
  const int n = last - first + 1;
  if (first < 0 || n < 128) return 0;
  std::vector<double> prof(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) prof[i] = count[first + i] ? sum[first + i] / count[first + i] : 0.0;
  cv::Mat d(1, n, CV_64F);
  for (int i = 0; i < n; ++i) {  // less a 21-sample moving average: the tissue's slow variation
    double s = 0;
    int k = 0;
    for (int j = std::max(0, i - 10); j <= std::min(n - 1, i + 10); ++j) s += prof[j], ++k;
    d.at<double>(0, i) = prof[i] - s / k;
  }
  cv::Mat F;
  cv::dft(d, F, cv::DFT_COMPLEX_OUTPUT);
  std::vector<double> power(static_cast<std::size_t>(n / 2 + 1));
  for (int k = 0; k <= n / 2; ++k) {
    const cv::Vec2d c = F.at<cv::Vec2d>(0, k);
    power[k] = c[0] * c[0] + c[1] * c[1];
  }
  std::vector<double> rest(power.begin() + n / 20, power.end());
  std::nth_element(rest.begin(), rest.begin() + rest.size() / 2, rest.end());
  const double median = rest[rest.size() / 2];
  if (!(median > 0)) return 0;
  double peak = 0;  // over the window's frequencies, folded into 0-0.5 cycles/pixel
  for (int k = n / 20; k <= n / 2; ++k) {
    const double f = static_cast<double>(k) / n;
    // not near Nyquist (a x2 interpolation leaves no period there, and odd/even patterns are common),
    // nor at the harmonics of block compression's 8-pixel grid (JPEG)
    if (f > 0.45) break;
    if (std::abs(f * 8 - std::round(f * 8)) < 0.032) continue;
    for (const double g : {f, 1.0 - f, 1.0 + f}) {  // the grid frequencies that appear at f
      const double grid_mm = px / g;
      if (grid_mm >= kInterpolationGridMinMm && grid_mm <= kInterpolationGridMaxMm) peak = std::max(peak, power[k]);
    }
  }
  return peak / median;
}

/// ResolutionCheck::interpolation_peak_x (second differences along rows, profile over columns) and _y
/// (along columns, profile over rows), over the inner foreground (the foreground eroded by 1.5 mm,
/// so that the skin edge, whose second differences dwarf tissue's, stays out). One pass for both.
void interpolation_peaks(const cv::Mat& img, const cv::Mat& inner, double px, double& peak_x, double& peak_y) {
  std::vector<double> sum_x(static_cast<std::size_t>(img.cols), 0.0), sum_y(static_cast<std::size_t>(img.rows), 0.0);
  std::vector<int> count_x(static_cast<std::size_t>(img.cols), 0), count_y(static_cast<std::size_t>(img.rows), 0);
  for (int y = 1; y + 1 < img.rows; ++y) {
    const float* up = img.ptr<float>(y - 1);
    const float* r = img.ptr<float>(y);
    const float* dn = img.ptr<float>(y + 1);
    const unsigned char* m = inner.ptr<unsigned char>(y);
    double row_sum = 0;
    int row_count = 0;
    for (int x = 1; x + 1 < img.cols; ++x) {
      if (!m[x]) continue;  // (the erosion keeps the neighbours inside the foreground too)
      sum_x[x] += std::abs(r[x - 1] - 2.0f * r[x] + r[x + 1]);
      ++count_x[x];
      row_sum += std::abs(up[x] - 2.0f * r[x] + dn[x]);
      ++row_count;
    }
    sum_y[y] = row_sum;
    count_y[y] = row_count;
  }
  peak_x = profile_peak(sum_x, count_x, px);
  peak_y = profile_peak(sum_y, count_y, px);
}

}  // namespace

ResolutionCheck check_resolution(const Image& image) {
  ResolutionCheck rc;
  const double px = image.pixel_size_mm;
  const double nyquist = 0.5 / px, lo_high = 3.5, hi_high = 0.9 * nyquist;
  if (image.empty() || !(px > 0) || px >= kFilmPixelSizeMm || hi_high <= lo_high) return rc;
  const int T = 128;
  if (image.width < T || image.height < T) return rc;
  const cv::Mat img = cvx::view(image);
  double mn = 0, mx = 0;
  cv::minMaxLoc(img, &mn, &mx);
  if (!(mx > mn)) return rc;
  const double floor = mn + 0.15 * (mx - mn);
  check_block_upsampling(img, floor, px, rc);
  if (!rc.block_upsampled) {
    cv::Mat inner = img >= floor;
    const int k = 2 * static_cast<int>(std::lround(1.5 / px)) + 1;
    cv::erode(inner, inner, cv::getStructuringElement(cv::MORPH_RECT, {k, k}));
    interpolation_peaks(img, inner, px, rc.interpolation_peak_x, rc.interpolation_peak_y);
    rc.interpolated_from_film_grid =
        std::max(rc.interpolation_peak_x, rc.interpolation_peak_y) >= kInterpolatedFilmMinPeak;
    if (rc.interpolated_from_film_grid) {  // film whatever its spectrum says (noise may hide it)
      rc.film_like = true;
      rc.analyse_at_mm = kFilmLikeAnalysisPixelSizeMm;
    }
  }
  std::vector<cv::Rect> tiles;
  for (int y = 0; y + T <= image.height; y += T)
    for (int x = 0; x + T <= image.width; x += T) {
      const cv::Rect r(x, y, T, T);
      double tmin = 0;
      cv::minMaxLoc(img(r), &tmin);
      if (tmin >= floor) tiles.push_back(r);
    }
  if (tiles.size() < 4) return rc;  // (too little tissue for the spectrum; the block check stands)
  const std::size_t use = std::min<std::size_t>(64, tiles.size());
  cv::Mat hann(T, T, CV_32F);
  for (int i = 0; i < T; ++i)
    for (int j = 0; j < T; ++j)
      hann.at<float>(i, j) = static_cast<float>((0.5 - 0.5 * std::cos(2 * M_PI * i / T)) * (0.5 - 0.5 * std::cos(2 * M_PI * j / T)));
  // Quantisation noise (white, variance step^2 / 12) fills the high band of an 8-bit file: its
  // expected power per DFT bin, step^2 / 12 x sum(window^2), is taken off both bands. The step is the
  // smallest difference between distinct grey values of the tiles (negligible for 16-bit and float).
  std::vector<float> values;  // a sample of 16 tiles x 32 rows (65536 values) is enough to see the step
  for (std::size_t k = 0; k < use; k += std::max<std::size_t>(1, use / 16)) {
    const cv::Mat t = img(tiles[k * tiles.size() / use]);
    for (int i = 0; i < T; i += 4) {
      const float* r = t.ptr<float>(i);
      values.insert(values.end(), r, r + T);
    }
  }
  std::sort(values.begin(), values.end());
  double step = 1.0;
  for (std::size_t i = 1; i < values.size(); ++i)
    if (values[i] > values[i - 1]) step = std::min(step, static_cast<double>(values[i] - values[i - 1]));
  double window_energy = 0;
  for (int i = 0; i < T; ++i)
    for (int j = 0; j < T; ++j) window_energy += static_cast<double>(hann.at<float>(i, j)) * hann.at<float>(i, j);
  const double quantisation_power = step * step / 12.0 * window_energy;
  // DFT bins of the two bands: 2 = high (3.5 cycles/mm to 0.9 x Nyquist), 1 = mid (2-2.5 cycles/mm)
  cv::Mat band(T, T, CV_8U, cv::Scalar(0));
  for (int i = 0; i < T; ++i)
    for (int j = 0; j < T; ++j) {
      const int fi = i <= T / 2 ? i : i - T, fj = j <= T / 2 ? j : j - T;
      const double f = std::hypot(fi, fj) / (T * px);  // cycles/mm
      band.at<unsigned char>(i, j) = (f >= lo_high && f <= hi_high) ? 2
                                     : (f >= 2.0 && f <= 2.5)         ? 1
                                     : (f >= 1.25 && f <= 1.75)       ? 3
                                                                      : 0;
    }
  double high = 0, mid = 0, low = 0;
  for (std::size_t k = 0; k < use; ++k) {
    cv::Mat t;
    img(tiles[k * tiles.size() / use]).convertTo(t, CV_32F);
    t -= cv::mean(t)[0];
    t = t.mul(hann);
    cv::Mat F;
    cv::dft(t, F, cv::DFT_COMPLEX_OUTPUT);
    double sh = 0, sm = 0, sl = 0;
    int nh = 0, nm = 0, nl = 0;
    for (int i = 0; i < T; ++i) {
      const cv::Vec2f* row = F.ptr<cv::Vec2f>(i);
      const unsigned char* b = band.ptr<unsigned char>(i);
      for (int j = 0; j < T; ++j) {
        if (b[j] == 0) continue;
        const double pw = static_cast<double>(row[j][0]) * row[j][0] + static_cast<double>(row[j][1]) * row[j][1];
        if (b[j] == 2) sh += pw, ++nh;
        else if (b[j] == 1) sm += pw, ++nm;
        else sl += pw, ++nl;
      }
    }
    if (nh > 0 && nm > 0 && nl > 0) high += sh / nh, mid += sm / nm, low += sl / nl, ++rc.tiles;
  }
  high -= quantisation_power * rc.tiles;
  mid -= quantisation_power * rc.tiles;
  low -= quantisation_power * rc.tiles;
  if (rc.tiles < 4 || !(mid > 0) || !(low > 0)) return rc;
  rc.measured = true;
  rc.high_to_mid_log10 = std::log10(std::max(high, mid * 1e-6) / mid);
  rc.mid_to_low_log10 = std::log10(mid / low);
  rc.film_like = rc.interpolated_from_film_grid ||
                 (rc.high_to_mid_log10 < kFilmLikeMaxHighPowerLog10 && rc.mid_to_low_log10 > kFilmLikeMinMidPowerLog10);
  if (rc.film_like && !rc.block_upsampled) rc.analyse_at_mm = kFilmLikeAnalysisPixelSizeMm;
  return rc;
}

Image undo_block_upsampling(const Image& image, const ResolutionCheck& rc) {
  if (!rc.block_upsampled || image.empty())
    throw Error(ErrorCode::Internal, "undo_block_upsampling: the image is not block-upsampled", image.info.source_path);
  const auto blocks = [](int n, double f, double o) { return std::max(1, static_cast<int>(std::ceil((n - o) / f))); };
  const int w = blocks(image.width, rc.block_factor_x, rc.block_offset_x);
  const int h = blocks(image.height, rc.block_factor_y, rc.block_offset_y);
  // block k holds the pixels x with offset + k f <= x < offset + (k + 1) f; the one nearest its middle
  const auto middle = [](int k, double f, double o, int n) {
    return std::clamp(static_cast<int>(std::ceil(o + (k + 0.5) * f - 0.5)), 0, n - 1);
  };
  Image out(w, h, image.pixel_size_mm * rc.upsampling_factor);
  std::vector<int> xs(static_cast<std::size_t>(w));
  for (int j = 0; j < w; ++j) xs[static_cast<std::size_t>(j)] = middle(j, rc.block_factor_x, rc.block_offset_x, image.width);
  for (int i = 0; i < h; ++i) {
    const int yi = middle(i, rc.block_factor_y, rc.block_offset_y, image.height);
    for (int j = 0; j < w; ++j) out.at(j, i) = image.at(xs[static_cast<std::size_t>(j)], yi);
  }
  out.info = image.info;
  return out;
}

std::vector<Calcification> detect_calcifications_for_analysis(const Image& image, const BreastRegion& region,
                                                              const CalcificationParams& params) {
  const double work_px = detection_pixel_size_mm(image.pixel_size_mm);
  if (work_px >= image.pixel_size_mm) {  // digital: the candidate-patch network's feature as well
    auto calcs = detect_calcifications(image, region, params);
    add_speck_net_feature(calcs, image, params.speck_net ? params.speck_net : default_speck_net());
    return calcs;
  }
  const Image work = resample_image(image, work_px);
  const cv::Size size(work.width, work.height);
  BreastRegion wr;
  cv::Mat m;
  cv::resize(cvx::view(region.mask), m, size, 0, 0, cv::INTER_NEAREST);
  wr.mask = cvx::to_mask(m);
  cv::resize(cvx::view(region.breast), m, size, 0, 0, cv::INTER_NEAREST);
  wr.breast = cvx::to_mask(m);
  wr.area_mm2 = region.area_mm2;
  wr.chest_wall_side = region.chest_wall_side;

  auto calcs = detect_calcifications(work, wr, params);
  // the model's "acquisition pixel size" feature keeps telling film from digital
  const auto& names = calcification_feature_names();
  const auto px_feature = static_cast<std::size_t>(
      std::find(names.begin(), names.end(), std::string("pixel_size_mm")) - names.begin());
  // back to the input's pixel grid (pixel centres: x_in = (x_work + 0.5) / f - 0.5)
  const double sx = static_cast<double>(size.width) / image.width, sy = static_cast<double>(size.height) / image.height;
  for (auto& c : calcs) {
    c.x = (c.x + 0.5) / sx - 0.5;
    c.y = (c.y + 0.5) / sy - 0.5;
    c.x_mm = c.x * image.pixel_size_mm;
    c.y_mm = c.y * image.pixel_size_mm;
    c.area_px = c.area_mm2 / (image.pixel_size_mm * image.pixel_size_mm);
    if (px_feature < c.features.size()) c.features[px_feature] = image.pixel_size_mm;
  }
  return calcs;
}

}  // namespace calcscope
