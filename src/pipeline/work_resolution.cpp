// Film is searched for calcifications at a finer working pixel size (see detection_pixel_size_mm()).
#include <algorithm>
#include <string>

#include <opencv2/imgproc.hpp>

#include "calcscope/pipeline/analyze.h"
#include "core/cv_adapter.h"

namespace calcscope {

std::vector<Calcification> detect_calcifications_for_analysis(const Image& image, const BreastRegion& region,
                                                              const CalcificationParams& params) {
  const double work_px = detection_pixel_size_mm(image.pixel_size_mm);
  if (work_px >= image.pixel_size_mm) return detect_calcifications(image, region, params);
  const double f = image.pixel_size_mm / work_px;  // > 1: upsampling factor
  const cv::Size size(std::max(1, static_cast<int>(std::lround(image.width * f))),
                      std::max(1, static_cast<int>(std::lround(image.height * f))));
  cv::Mat up;
  cv::resize(cvx::view(image), up, size, 0, 0, cv::INTER_CUBIC);
  cv::min(cv::max(up, 0.0), 1.0, up);  // bicubic overshoot stays inside the [0,1] grey range
  Image work = cvx::to_image(up, work_px);
  work.info = image.info;
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
