// The one image type the analysis code sees: grey values with a physical pixel size.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace calcscope {

/// Digitised film has pixels of at least this size; smaller pixels are "digital". Film and digital
/// images have their own operating points (pipeline/analyze.h), film is searched at a finer working
/// resolution, and the two can have their own scoring models (detect/scoring.h).
inline constexpr double kFilmPixelSizeMm = 0.15;

/// Where an image came from and what the file said about it (DICOM tags or raster defaults).
struct ImageInfo {
  std::string source_path;          ///< file the image was read from
  std::string format;               ///< "dicom", "png", "pgm", "tiff", "phantom"
  std::string laterality;           ///< "L", "R" or "" (unknown)
  std::string view;                 ///< "CC", "MLO", ... or "" (unknown)
  std::string photometric;          ///< "MONOCHROME1" / "MONOCHROME2"
  std::string presentation_intent;  ///< "FOR PRESENTATION", "FOR PROCESSING" or ""
  std::string transfer_syntax;      ///< DICOM transfer syntax UID ("" for raster)
  std::string pixel_size_source;    ///< "ImagerPixelSpacing", "PixelSpacing", "command line", ...
  int bits_stored = 0;              ///< bits per sample in the file
  // DICOM identity, used by reports and the SR (empty for raster input)
  std::string sop_class_uid, sop_instance_uid, study_instance_uid, series_instance_uid;
  std::string patient_id, patient_name, study_date, study_time, accession_number, manufacturer;
  std::string detector_type;    ///< DICOM DetectorType (0018,7004), upper case: "DIRECT", "SCINTILLATOR", "STORAGE", "FILM" or ""
  std::string conversion_type;  ///< DICOM ConversionType (0008,0064), upper case: "DF" = digitised film, "WSD", ... or ""
  std::vector<std::string> warnings;  ///< non-fatal problems found while reading
};

/// Single-channel float image, row-major. Values are normalised to [0,1] with
/// "bright = more attenuating" (calcifications are bright), whatever the file's
/// photometric interpretation was.
struct Image {
  int width = 0;
  int height = 0;
  double pixel_size_mm = 0.0;  ///< square pixels assumed (row spacing used if they differ)
  std::vector<float> pixels;   ///< width*height values
  ImageInfo info;

  Image() = default;
  Image(int w, int h, double pixel_mm, float fill = 0.f)
      : width(w), height(h), pixel_size_mm(pixel_mm),
        pixels(static_cast<std::size_t>(w) * static_cast<std::size_t>(h), fill) {}

  float& at(int x, int y) { return pixels[static_cast<std::size_t>(y) * width + x]; }
  float at(int x, int y) const { return pixels[static_cast<std::size_t>(y) * width + x]; }
  bool empty() const { return pixels.empty(); }
  double width_mm() const { return width * pixel_size_mm; }
  double height_mm() const { return height * pixel_size_mm; }
  double mm_to_px(double mm) const { return mm / pixel_size_mm; }
  double px_to_mm(double px) const { return px * pixel_size_mm; }
};

/// Binary mask on the same grid as an Image (0 = outside, 255 = inside).
struct Mask {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;
  Mask() = default;
  Mask(int w, int h, std::uint8_t fill = 0)
      : width(w), height(h), pixels(static_cast<std::size_t>(w) * static_cast<std::size_t>(h), fill) {}
  std::uint8_t& at(int x, int y) { return pixels[static_cast<std::size_t>(y) * width + x]; }
  std::uint8_t at(int x, int y) const { return pixels[static_cast<std::size_t>(y) * width + x]; }
  bool inside(int x, int y) const { return x >= 0 && y >= 0 && x < width && y < height && at(x, y) != 0; }
};

struct PointPx {
  double x = 0.0;  ///< column, origin top-left
  double y = 0.0;  ///< row, origin top-left
};

}  // namespace calcscope
