// Reading mammograms from DICOM (DCMTK adapter) and raster files (OpenCV adapter).
#pragma once
#include <filesystem>
#include <optional>

#include "calcscope/core/image.h"

namespace calcscope {

struct ReadOptions {
  /// Overrides the pixel size found in the file (mm). Required for raster input.
  std::optional<double> pixel_size_mm;
  /// Largest accepted side in pixels; larger images are rejected as absurd.
  int max_side_px = 20000;
};

/// Reads any supported input; dispatches on content (DICOM preamble / "DICM"), not on extension.
/// Throws calcscope::Error with a message naming the file and what to do.
Image read_image(const std::filesystem::path& path, const ReadOptions& options = {});

/// DICOM only (all transfer syntaxes we support). Throws Error.
Image read_dicom(const std::filesystem::path& path, const ReadOptions& options = {});

/// PNG / PGM / TIFF, 8 or 16 bit. Throws Error (MissingPixelSize without options.pixel_size_mm).
Image read_raster(const std::filesystem::path& path, const ReadOptions& options = {});

/// True when the file starts like a DICOM Part 10 file (128-byte preamble + "DICM").
bool looks_like_dicom(const std::filesystem::path& path);

}  // namespace calcscope
