// Raster adapter (OpenCV imgcodecs): PNG / PGM / TIFF in and out, plus the content dispatcher.
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "calcscope/io/image_reader.h"
#include "calcscope/io/image_writer.h"
#include "io/raster_check.h"
#include "io/io_common.h"

namespace calcscope {
namespace {

using io_detail::display_name;

enum class Magic { Unknown, Png, Pnm, Tiff, Jpeg, Zip, Gzip, Pdf, DicomNoPreamble };

Magic sniff(const std::vector<std::uint8_t>& h) {
  auto starts = [&](std::initializer_list<int> bytes) {
    if (h.size() < bytes.size()) return false;
    std::size_t i = 0;
    for (int b : bytes)
      if (h[i++] != static_cast<std::uint8_t>(b)) return false;
    return true;
  };
  if (starts({0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A})) return Magic::Png;
  if (h.size() >= 3 && h[0] == 'P' && (h[1] == '2' || h[1] == '5' || h[1] == '3' || h[1] == '6') &&
      std::isspace(h[2]))
    return Magic::Pnm;
  if (starts({'I', 'I', 0x2A, 0x00}) || starts({'M', 'M', 0x00, 0x2A})) return Magic::Tiff;
  if (starts({0xFF, 0xD8, 0xFF})) return Magic::Jpeg;
  if (starts({'P', 'K', 0x03, 0x04})) return Magic::Zip;
  if (starts({0x1F, 0x8B})) return Magic::Gzip;
  if (starts({'%', 'P', 'D', 'F'})) return Magic::Pdf;
  // DICOM data set without the Part 10 preamble: starts with a little-endian group 0002 or 0008 tag.
  if (h.size() >= 8) {
    const unsigned group = h[0] | (h[1] << 8);
    const unsigned element = h[2] | (h[3] << 8);
    if ((group == 0x0002 || group == 0x0008) && element < 0x0100) return Magic::DicomNoPreamble;
  }
  return Magic::Unknown;
}

std::string format_name(Magic m, const std::filesystem::path& path) {
  switch (m) {
    case Magic::Png: return "png";
    case Magic::Pnm: return "pgm";
    case Magic::Tiff: return "tiff";
    default: return io_detail::lower_extension(path).empty() ? "raster" : io_detail::lower_extension(path).substr(1);
  }
}

[[noreturn]] void unsupported(Magic m, const std::vector<std::uint8_t>& head, const std::string& name) {
  std::string what;
  switch (m) {
    case Magic::Jpeg: what = "a JPEG photo (lossy, 8-bit): mammograms must be DICOM or lossless PNG/PGM/TIFF"; break;
    case Magic::Zip: what = "a ZIP archive: unzip it and pass the image files inside"; break;
    case Magic::Gzip: what = "a gzip-compressed file: decompress it (gunzip) and pass the image"; break;
    case Magic::Pdf: what = "a PDF document, not an image: pass the mammogram image files"; break;
    default: {
      char hex[64] = {};
      std::size_t off = 0;
      for (std::size_t i = 0; i < std::min<std::size_t>(head.size(), 8); ++i)
        off += static_cast<std::size_t>(std::snprintf(hex + off, sizeof(hex) - off, "%02x ", head[i]));
      what = std::string("neither DICOM nor PNG/PGM/TIFF (it starts with bytes ") + hex +
             "): pass DICOM mammograms, or PNG/PGM/TIFF images with --pixel-size MM";
    }
  }
  throw Error(ErrorCode::UnsupportedFormat, "unsupported file: " + what, name);
}

}  // namespace

Image read_image(const std::filesystem::path& path, const ReadOptions& options) {
  io_detail::check_input_file(path);
  if (looks_like_dicom(path)) return read_dicom(path, options);
  const auto head = io_detail::read_head(path, 16);
  const Magic m = sniff(head);
  switch (m) {
    case Magic::Png:
    case Magic::Pnm:
    case Magic::Tiff: return read_raster(path, options);
    case Magic::DicomNoPreamble:
      try {
        return read_dicom(path, options);
      } catch (const Error& e) {
        if (e.code() == ErrorCode::UnsupportedFormat) unsupported(Magic::Unknown, head, display_name(path));
        throw;
      }
    default: unsupported(m, head, display_name(path));
  }
}

/// Raster files carry no laterality or view: take them from the file name when it says so
/// unambiguously ("LCC.png", "case7_R_MLO.tif", "left-cc.pgm"), with a warning naming the source.
void infer_view_from_name(const std::filesystem::path& path, ImageInfo& info) {
  std::string stem = path.stem().string();
  std::transform(stem.begin(), stem.end(), stem.begin(), ::toupper);
  std::vector<std::string> tokens;
  std::string cur;
  for (char ch : stem) {
    if (std::isalnum(static_cast<unsigned char>(ch))) cur += ch;
    else if (!cur.empty()) tokens.push_back(cur), cur.clear();
  }
  if (!cur.empty()) tokens.push_back(cur);
  std::string lat, view;
  for (const auto& t : tokens) {
    for (const char* v : {"MLO", "CC"}) {
      const std::string sv = v;
      if (t == sv) view = sv;
      else if (t.size() == sv.size() + 1 && t.substr(1) == sv && (t[0] == 'L' || t[0] == 'R')) lat = t.substr(0, 1), view = sv;
    }
    if (t == "L" || t == "LEFT") lat = 'L';
    if (t == "R" || t == "RIGHT") lat = 'R';
  }
  if (!lat.empty() && info.laterality.empty()) info.laterality = lat;
  if (!view.empty() && info.view.empty()) info.view = view;
  if (!lat.empty() || !view.empty())
    info.warnings.push_back("laterality/view taken from the file name: " + (lat.empty() ? "?" : lat) + " " +
                            (view.empty() ? "?" : view));
}

Image read_raster(const std::filesystem::path& path, const ReadOptions& options) {
  const std::string name = display_name(path);
  const auto file_size = io_detail::check_input_file(path);
  const auto head = io_detail::read_head(path, 16);
  const Magic m = sniff(head);
  if (m != Magic::Png && m != Magic::Pnm && m != Magic::Tiff) unsupported(m, head, name);
  if (!options.pixel_size_mm)
    throw Error(ErrorCode::MissingPixelSize,
                "a " + format_name(m, path) +
                    " file carries no pixel size: pass --pixel-size MM (e.g. 0.2 for mini-MIAS, 0.07 for Hologic)",
                name);
  if (!(*options.pixel_size_mm > 0.0) || !std::isfinite(*options.pixel_size_mm))
    throw Error(ErrorCode::Usage, "--pixel-size must be a positive number of millimetres (e.g. 0.2)", name);

  cv::Mat mat;
  std::vector<std::string> dropped_chunks;
  try {
    // The structure is checked first (src/io/raster_check.h), so that a damaged or truncated file gets
    // our message instead of the decoder's text on stderr; then the bytes read once are decoded.
    auto bytes = io_detail::read_head(path, static_cast<std::size_t>(file_size));
    std::string problem = m == Magic::Png    ? io_detail::png_structure_problem(bytes)
                          : m == Magic::Tiff ? io_detail::tiff_structure_problem(bytes)
                                             : io_detail::pnm_structure_problem(bytes, file_size);
    if (problem.empty() && m == Magic::Tiff) problem = io_detail::tiff_decode_problem(bytes);
    if (!problem.empty()) {
      std::string kind = format_name(m, path);
      std::transform(kind.begin(), kind.end(), kind.begin(), [](unsigned char c) { return std::toupper(c); });
      throw Error(ErrorCode::DecodeFailed, "the " + kind + " file cannot be decoded: " + problem + "; export it again",
                  name);
    }
    if (m == Magic::Png) dropped_chunks = io_detail::drop_damaged_ancillary_png_chunks(bytes);
    mat = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    throw Error(ErrorCode::DecodeFailed,
                std::string("the ") + format_name(m, path) + " file could not be decoded (" + e.what() +
                    "): it is damaged or truncated; export it again",
                name);
  }
  if (mat.empty())
    throw Error(ErrorCode::DecodeFailed,
                "the " + format_name(m, path) +
                    " file could not be decoded: it is damaged, truncated or uses an unsupported variant; export it "
                    "again as 8- or 16-bit greyscale",
                name);
  if (mat.rows > options.max_side_px || mat.cols > options.max_side_px)
    throw Error(ErrorCode::InvalidImage,
                "absurd image size (" + std::to_string(mat.cols) + " x " + std::to_string(mat.rows) +
                    " pixels, more than " + std::to_string(options.max_side_px) + " per side): not a mammogram",
                name);
  if (mat.depth() != CV_8U && mat.depth() != CV_16U)
    throw Error(ErrorCode::NotAMammogram,
                "pixel type is not 8- or 16-bit unsigned integer (floating point or signed data): save the image "
                "as 8- or 16-bit greyscale",
                name);

  Image image;
  ImageInfo& info = image.info;
  for (const auto& chunk : dropped_chunks)
    info.warnings.push_back("the PNG's ancillary chunk " + chunk +
                            " is damaged (checksum) and was ignored; the pixels are intact");
  if (mat.channels() == 3 || mat.channels() == 4) {
    std::vector<cv::Mat> ch;
    cv::split(mat, ch);
    if (mat.channels() == 4) {
      double amin = 0, amax = 0;
      cv::minMaxLoc(ch[3], &amin, &amax);
      const double full = mat.depth() == CV_8U ? 255.0 : 65535.0;
      if (amin < full) info.warnings.push_back("the alpha channel (transparency) was ignored");
    }
    // "Colour" files that are really grey (R = G = B up to rounding) are accepted.
    const double tolerance = mat.depth() == CV_8U ? 2.0 : 2.0 * 257.0;
    cv::Mat d1, d2;
    cv::absdiff(ch[0], ch[1], d1);
    cv::absdiff(ch[1], ch[2], d2);
    cv::Mat bad = (d1 > tolerance) | (d2 > tolerance);
    const double colour_fraction = static_cast<double>(cv::countNonZero(bad)) / static_cast<double>(mat.total());
    if (colour_fraction > 1e-3)
      throw Error(ErrorCode::NotAMammogram,
                  "a colour image (" + std::to_string(static_cast<int>(std::lround(colour_fraction * 100))) +
                      " % of pixels are coloured): a mammogram is greyscale; pass the original grey image, not an "
                      "annotated screenshot",
                  name);
    cv::Mat grey(mat.rows, mat.cols, CV_32F);
    cv::Mat f0, f1, f2;
    ch[0].convertTo(f0, CV_32F);
    ch[1].convertTo(f1, CV_32F);
    ch[2].convertTo(f2, CV_32F);
    grey = (f0 + f1 + f2) / 3.0;
    grey.convertTo(mat, mat.depth());
    info.warnings.push_back("a colour (RGB) file whose channels are equal was read as greyscale");
  } else if (mat.channels() == 2) {
    std::vector<cv::Mat> ch;
    cv::split(mat, ch);
    mat = ch[0];
    info.warnings.push_back("the alpha channel (transparency) was ignored");
  } else if (mat.channels() != 1) {
    throw Error(ErrorCode::NotAMammogram,
                "image with " + std::to_string(mat.channels()) + " channels: a mammogram has one grey channel", name);
  }

  double scale = 255.0;
  int bits = 8;
  if (mat.depth() == CV_16U) {
    double mn = 0, mx = 0;
    cv::minMaxLoc(mat, &mn, &mx);
    scale = 65535.0;
    bits = 16;
    // 12- and 14-bit detector data are often stored in 16-bit files (raw exports): read as value /
    // (2^bits - 1), like DICOM with its BitsStored, not compressed into a quarter of the grey range
    for (const int b : {12, 14}) {
      const double full = std::ldexp(1.0, b) - 1.0;
      if (mx > 255.0 && mx <= full) {
        scale = full;
        bits = b;
        info.warnings.push_back("16-bit file whose values fit in " + std::to_string(b) + " bits: scaled by " +
                                std::to_string(static_cast<int>(full)) + " (" + std::to_string(b) + "-bit data)");
        break;
      }
    }
  }
  image.width = mat.cols;
  image.height = mat.rows;
  image.pixel_size_mm = *options.pixel_size_mm;
  image.pixels.resize(static_cast<std::size_t>(mat.cols) * static_cast<std::size_t>(mat.rows));
  const float inv = static_cast<float>(1.0 / scale);
  for (int y = 0; y < mat.rows; ++y) {
    float* dst = image.pixels.data() + static_cast<std::size_t>(y) * mat.cols;
    if (mat.depth() == CV_8U) {
      const auto* src = mat.ptr<std::uint8_t>(y);
      for (int x = 0; x < mat.cols; ++x) dst[x] = src[x] * inv;
    } else {
      const auto* src = mat.ptr<std::uint16_t>(y);
      for (int x = 0; x < mat.cols; ++x) dst[x] = std::min(1.f, src[x] * inv);
    }
  }
  info.source_path = path.string();
  info.format = format_name(m, path);
  info.photometric = "MONOCHROME2";
  info.bits_stored = bits;
  info.pixel_size_source = "command line";
  infer_view_from_name(path, info);
  return image;
}

void write_raster(const Image& image, const std::filesystem::path& path, int bits) {
  const std::string name = display_name(path);
  if (bits != 8 && bits != 16)
    throw Error(ErrorCode::Usage, "raster bit depth must be 8 or 16, not " + std::to_string(bits), name);
  if (image.empty() || image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height))
    throw Error(ErrorCode::Internal, "cannot write an empty or inconsistent image", name);
  const std::string ext = io_detail::lower_extension(path);
  std::vector<int> params;
  if (ext == ".png") {
    params = {cv::IMWRITE_PNG_COMPRESSION, 3};
  } else if (ext == ".pgm") {
    params = {cv::IMWRITE_PXM_BINARY, 1};
  } else if (ext == ".tif" || ext == ".tiff") {
    params = {cv::IMWRITE_TIFF_COMPRESSION, 5 /* LZW, lossless */};
  } else {
    throw Error(ErrorCode::OutputFailed,
                "unsupported output extension '" + ext + "': use .png, .pgm, .tif or .tiff", name);
  }
  const double maxv = bits == 8 ? 255.0 : 65535.0;
  cv::Mat mat(image.height, image.width, bits == 8 ? CV_8U : CV_16U);
  for (int y = 0; y < image.height; ++y) {
    const float* src = image.pixels.data() + static_cast<std::size_t>(y) * image.width;
    for (int x = 0; x < image.width; ++x) {
      const double v = std::lround(std::clamp(static_cast<double>(src[x]), 0.0, 1.0) * maxv);
      if (bits == 8) mat.at<std::uint8_t>(y, x) = static_cast<std::uint8_t>(v);
      else mat.at<std::uint16_t>(y, x) = static_cast<std::uint16_t>(v);
    }
  }
  bool ok = false;
  std::string why;
  try {
    ok = cv::imwrite(path.string(), mat, params);
  } catch (const cv::Exception& e) {
    why = e.what();
  }
  if (!ok)
    throw Error(ErrorCode::OutputFailed,
                "could not write the image" + (why.empty() ? std::string() : " (" + why + ")") +
                    ": check that the directory exists and is writable and the disk is not full",
                name);
}

}  // namespace calcscope
