// Writing images: 8/16-bit PNG/PGM/TIFF and DICOM MG (used by the phantom generator and tests).
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "calcscope/core/image.h"

namespace calcscope {

/// Writes `image` (values in [0,1], bright = dense) as a grey raster; format from the extension
/// (.png, .pgm, .tif/.tiff). bits = 8 or 16.
void write_raster(const Image& image, const std::filesystem::path& path, int bits = 16);

enum class DicomCompression { None, JpegLossless, JpegBaseline, JpegLs, Rle, Jpeg2000 };

/// Parses "none", "jpeg-lossless", "jpeg-baseline", "jpeg-ls", "rle", "jpeg2000". Throws Error(Usage).
DicomCompression parse_dicom_compression(const std::string& name);

struct DicomWriteOptions {
  int bits_stored = 12;                     ///< 10..16
  std::string photometric = "MONOCHROME2";  ///< or "MONOCHROME1" (inverted values)
  std::string presentation_intent = "FOR PRESENTATION";  ///< or "FOR PROCESSING" (raw, log not applied)
  DicomCompression compression = DicomCompression::None;
  bool write_imager_pixel_spacing = true;   ///< false: only PixelSpacing (tests the fallback)
  bool write_pixel_spacing = false;
  std::string laterality = "L";
  std::string view = "CC";
  std::string patient_id = "PHANTOM";
  std::string patient_name = "Phantom^Calcscope";
  std::string study_date = "20260101";      ///< YYYYMMDD
  std::string study_instance_uid;           ///< generated when empty
  std::string manufacturer = "calcscope phantom";
  /// DetectorType (0018,7004): what made the pixels; "" = not written (Type 2: written empty), as
  /// for a film that was digitised and stored as an MG image
  std::string detector_type = "DIRECT";
  /// When set, written as EstimatedRadiographicMagnificationFactor (0018,1114), and
  /// ImagerPixelSpacing becomes pixel_size_mm * factor (the detector plane); PixelSpacing stays
  /// pixel_size_mm (the breast plane). Readers divide ImagerPixelSpacing by the factor.
  std::optional<double> magnification_factor;
  int jpeg_quality = 90;                    ///< JPEG baseline/extended only (1..100)
  std::string series_instance_uid;          ///< generated when empty
  std::string sop_instance_uid;             ///< generated when empty
};

/// Writes a Digital Mammography X-Ray Image (For Presentation/For Processing) with real tags.
/// For Presentation: stored = round(v * (2^bits-1)), inverted for MONOCHROME1.
/// For Processing: raw-like stored = round((2^bits-1) * exp(-k v)), k = ln 16 (a 1:16 exposure range), proportional
/// to "exposure" (PixelIntensityRelationship LIN, sign +1) for both photometric interpretations, as
/// GE does; read_dicom's log transform recovers v up to scale.
/// JPEG baseline: process 1 for 8 bits stored, otherwise JPEG extended (process 4), which codes
/// 12-bit samples: bits_stored 9..16 is written as 12 bits stored. Throws Error(OutputFailed/Usage).
void write_dicom_mg(const Image& image, const std::filesystem::path& path, const DicomWriteOptions& options);

}  // namespace calcscope
