// Internal adapter between calcscope::Image/Mask and OpenCV matrices (not a public header).
#pragma once
#include <opencv2/core.hpp>

#include "calcscope/core/image.h"

namespace calcscope::cvx {

/// Non-owning CV_32F view of an Image's pixels.
inline cv::Mat view(const Image& image) {
  return cv::Mat(image.height, image.width, CV_32F, const_cast<float*>(image.pixels.data()));
}
/// Non-owning CV_8U view of a Mask.
inline cv::Mat view(const Mask& mask) {
  return cv::Mat(mask.height, mask.width, CV_8U, const_cast<std::uint8_t*>(mask.pixels.data()));
}
/// Copies a CV_32F matrix into a new Image with the given pixel size.
inline Image to_image(const cv::Mat& m, double pixel_size_mm) {
  Image out(m.cols, m.rows, pixel_size_mm);
  cv::Mat dst = view(out);
  m.convertTo(dst, CV_32F);
  return out;
}
/// Copies a CV_8U matrix into a new Mask (non-zero -> 255).
inline Mask to_mask(const cv::Mat& m) {
  Mask out(m.cols, m.rows);
  cv::Mat dst = view(out);
  cv::compare(m, 0, dst, cv::CMP_NE);
  return out;
}

}  // namespace calcscope::cvx
