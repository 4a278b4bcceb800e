// Helpers for the io tests: a synthetic mammogram-like image and error assertions.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <functional>
#include <string>

#include "calcscope/core/error.h"
#include "calcscope/core/image.h"

namespace calcscope::test {

/// width x height: a smooth gradient (dense towards the bottom right) with a darker "background"
/// band on the left and a grid of small bright dots (calcification-like), values in [0.05, 0.95].
inline Image synthetic_image(int width = 300, int height = 400, double pixel_mm = 0.1) {
  Image img(width, height, pixel_mm);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      double v = 0.15 + 0.45 * (static_cast<double>(x) / width) + 0.2 * (static_cast<double>(y) / height);
      v += 0.03 * std::sin(x * 0.11) * std::cos(y * 0.07);  // texture
      if (x < width / 10) v = 0.05;                        // "air"
      img.at(x, y) = static_cast<float>(v);
    }
  for (int cy = 30; cy < height - 10; cy += 45)
    for (int cx = 60; cx < width - 10; cx += 50)
      for (int dy = -2; dy <= 2; ++dy)
        for (int dx = -2; dx <= 2; ++dx)
          if (dx * dx + dy * dy <= 5) img.at(cx + dx, cy + dy) = 0.95f;
  return img;
}

/// A crude breast-like image: dark air, a half-ellipse of tissue against the left edge (chest
/// wall), smooth texture and a small cluster of bright specks. Not a phantom: just enough for the
/// analysis to find a breast.
inline Image breast_like_image(int width = 600, int height = 800, double pixel_mm = 0.1) {
  Image img(width, height, pixel_mm, 0.03f);
  const double cy = height / 2.0, rx = 0.8 * width, ry = 0.45 * height;
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const double e = (x / rx) * (x / rx) + ((y - cy) / ry) * ((y - cy) / ry);
      if (e <= 1.0)
        img.at(x, y) = static_cast<float>(0.35 + 0.15 * (1.0 - e) + 0.04 * std::sin(x * 0.05) * std::cos(y * 0.04));
    }
  const int sx = width / 3, sy = height / 2;
  const int offsets[][2] = {{0, 0}, {9, 4}, {-6, 8}, {4, -9}, {12, -3}, {-10, -5}, {2, 13}};
  for (const auto& o : offsets)
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx) img.at(sx + o[0] + dx, sy + o[1] + dy) = 0.9f;
  return img;
}

inline double correlation(const Image& a, const Image& b) {
  if (a.pixels.size() != b.pixels.size() || a.pixels.empty()) return -2.0;
  const std::size_t n = a.pixels.size();
  double ma = 0, mb = 0;
  for (std::size_t i = 0; i < n; ++i) { ma += a.pixels[i]; mb += b.pixels[i]; }
  ma /= n;
  mb /= n;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double da = a.pixels[i] - ma, db = b.pixels[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa <= 0 || sbb <= 0) return -2.0;
  return sab / std::sqrt(saa * sbb);
}

/// Runs `fn`, expects a calcscope::Error with `code`; returns it for further checks.
inline Error expect_error(const std::function<void()>& fn, ErrorCode code) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.name()), std::string(error_info(code).name)) << "message: " << e.what();
    return e;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected calcscope::Error " << error_info(code).name << ", got std::exception: " << e.what();
    return Error(ErrorCode::Internal, e.what());
  }
  ADD_FAILURE() << "expected calcscope::Error " << error_info(code).name << ", but no error was thrown";
  return Error(ErrorCode::Ok, "no error");
}

inline void write_bytes(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace calcscope::test
