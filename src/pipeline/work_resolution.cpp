// Film is searched for calcifications at a finer working pixel size (see detection_pixel_size_mm()).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "calcscope/core/error.h"
#include "calcscope/pipeline/analyze.h"
#include "core/cv_adapter.h"

namespace calcscope {

Image resample_image(const Image& image, double pixel_size_mm) {
  if (image.empty() || !(image.pixel_size_mm > 0) || !(pixel_size_mm > 0))
    throw Error(ErrorCode::Internal, "resample_image: empty image or pixel size not positive", image.info.source_path);
  const double f = image.pixel_size_mm / pixel_size_mm;
  const cv::Size size(std::max(1, static_cast<int>(std::lround(image.width * f))),
                      std::max(1, static_cast<int>(std::lround(image.height * f))));
  cv::Mat out;
  cv::resize(cvx::view(image), out, size, 0, 0, cv::INTER_CUBIC);
  cv::min(cv::max(out, 0.0), 1.0, out);  // bicubic overshoot stays inside the [0,1] grey range
  Image r = cvx::to_image(out, pixel_size_mm);
  r.info = image.info;
  return r;
}

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
  std::vector<cv::Rect> tiles;
  for (int y = 0; y + T <= image.height; y += T)
    for (int x = 0; x + T <= image.width; x += T) {
      const cv::Rect r(x, y, T, T);
      double tmin = 0;
      cv::minMaxLoc(img(r), &tmin);
      if (tmin >= floor) tiles.push_back(r);
    }
  if (tiles.size() < 4) return rc;
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
  rc.film_like = rc.high_to_mid_log10 < kFilmLikeMaxHighPowerLog10 && rc.mid_to_low_log10 > kFilmLikeMinMidPowerLog10;
  return rc;
}

std::vector<Calcification> detect_calcifications_for_analysis(const Image& image, const BreastRegion& region,
                                                              const CalcificationParams& params) {
  const double work_px = detection_pixel_size_mm(image.pixel_size_mm);
  if (work_px >= image.pixel_size_mm) return detect_calcifications(image, region, params);
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
