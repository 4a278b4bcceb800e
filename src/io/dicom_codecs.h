// Private to src/io: DCMTK codec registration and the OpenJPEG adapter for JPEG 2000
// (DCMTK 3.6.7 has no JPEG 2000 codec, so we encode/decode the encapsulated fragments ourselves).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace calcscope::io_detail {

/// Registers the DCMTK decoders (JPEG, JPEG-LS, RLE) once; safe to call from many threads.
void ensure_dicom_decoders();
/// Registers the DCMTK encoders (JPEG, JPEG-LS, RLE) once; safe to call from many threads.
void ensure_dicom_encoders();

/// One grey plane decoded from a JPEG 2000 code stream (J2K or JP2 box format).
struct J2kPlane {
  int width = 0;
  int height = 0;
  int precision = 0;      ///< bits per sample
  bool is_signed = false;
  std::vector<std::int32_t> samples;  ///< width*height, row-major
};

/// Decodes a JPEG 2000 code stream. Returns false and sets `error` on failure.
bool j2k_decode(const std::uint8_t* data, std::size_t size, J2kPlane& out, std::string& error);

/// Encodes a grey plane losslessly (reversible 5/3 wavelet) as a raw J2K code stream.
/// Returns false and sets `error` on failure.
bool j2k_encode_lossless(const std::uint16_t* samples, int width, int height, int precision,
                         std::vector<std::uint8_t>& out, std::string& error);

}  // namespace calcscope::io_detail
