// DICOM adapter (DCMTK + OpenJPEG): reads a 2D greyscale projection image into calcscope::Image.
// Pipeline: load -> identify (is it an image? a mammogram?) -> pixel size -> decode ->
// stored values -> modality LUT -> (For Processing: log) -> orientation "dense = bright" ->
// robust normalisation to [0,1]. docs/input-formats.md describes every rule.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>

#include "calcscope/core/text.h"
#include "calcscope/io/image_reader.h"
#include "calcscope/io/grey_window.h"
#include "io/dicom_codecs.h"
#include "io/io_common.h"

namespace calcscope {
namespace {

using io_detail::display_name;

std::string trim(std::string s) {
  const auto not_space = [](unsigned char c) { return c != ' ' && c != '\0' && c != '\t' && c != '\r' && c != '\n'; };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

/// One value of a top-level attribute (pos = value index), trimmed, as valid UTF-8 (undeclared
/// character sets read as Latin-1: valid_utf8()); "" when absent.
std::string get_string(DcmItem& item, const DcmTagKey& key, unsigned long pos = 0) {
  OFString value;
  if (item.findAndGetOFString(key, value, pos, OFFalse).good()) return valid_utf8(trim(value.c_str()));
  return {};
}

/// All values joined with '\'.
std::string get_all(DcmItem& item, const DcmTagKey& key) {
  OFString value;
  if (item.findAndGetOFStringArray(key, value, OFFalse).good()) return valid_utf8(trim(value.c_str()));
  return {};
}

std::optional<double> get_double(DcmItem& item, const DcmTagKey& key, unsigned long pos = 0) {
  const std::string s = get_string(item, key, pos);
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<long> get_long(DcmItem& item, const DcmTagKey& key) {
  Uint16 us = 0;
  if (item.findAndGetUint16(key, us, 0, OFFalse).good()) return static_cast<long>(us);
  Sint16 ss = 0;
  if (item.findAndGetSint16(key, ss, 0, OFFalse).good()) return static_cast<long>(ss);
  Sint32 is = 0;
  if (item.findAndGetSint32(key, is, 0, OFFalse).good()) return static_cast<long>(is);
  const auto d = get_double(item, key);
  if (d) return static_cast<long>(std::llround(*d));
  return std::nullopt;
}

std::string fmt(double v) {
  std::ostringstream os;
  os.precision(6);
  os << v;
  return os.str();
}

bool file_contains_pixel_data_tag(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  static const char le[4] = {'\xE0', '\x7F', '\x10', '\x00'};
  static const char be[4] = {'\x7F', '\xE0', '\x00', '\x10'};
  return bytes.find(std::string(le, 4)) != std::string::npos || bytes.find(std::string(be, 4)) != std::string::npos;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

/// "XRayRadiationDoseSRStorage" -> "X Ray Radiation Dose SR Storage".
std::string split_camel_case(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool up = std::isupper(static_cast<unsigned char>(s[i]));
    if (i > 0 && up) {
      const bool prev_lower = std::islower(static_cast<unsigned char>(s[i - 1])) || std::isdigit(static_cast<unsigned char>(s[i - 1]));
      const bool next_lower = i + 1 < s.size() && std::islower(static_cast<unsigned char>(s[i + 1]));
      const bool prev_upper = std::isupper(static_cast<unsigned char>(s[i - 1]));
      if (prev_lower || (prev_upper && next_lower)) out += ' ';
    }
    out += s[i];
  }
  return out;
}

/// Human description of a DICOM object that has no pixel data.
std::string describe_non_image(const std::string& sop_class, const std::string& modality) {
  const char* name = sop_class.empty() ? nullptr : dcmFindNameOfUID(sop_class.c_str(), nullptr);
  const std::string cls = name ? split_camel_case(name) : (sop_class.empty() ? std::string("unknown SOP class") : "SOP class " + sop_class);
  std::string what;
  if (sop_class == UID_XRayRadiationDoseSRStorage || sop_class == "1.2.840.10008.5.1.4.1.1.88.73" ||
      sop_class == "1.2.840.10008.5.1.4.1.1.88.76")
    what = "a Radiation Dose SR (" + cls + ")";
  else if (sop_class == UID_MammographyCADSRStorage)
    what = "a Mammography CAD SR (" + cls + "), i.e. the findings of a CAD system";
  else if (starts_with(sop_class, "1.2.840.10008.5.1.4.1.1.88."))
    what = "a Structured Report (" + cls + ")";
  else if (starts_with(sop_class, "1.2.840.10008.5.1.4.1.1.11."))
    what = "a Presentation State (" + cls + ")";
  else if (starts_with(sop_class, "1.2.840.10008.5.1.4.1.1.7"))
    what = "a " + cls + " object without pixel data";
  else
    what = "a " + cls + " object";
  if (!modality.empty()) what += ", Modality " + modality;
  return what;
}

bool is_processing_sop_class(const std::string& uid) {
  return uid == UID_DigitalMammographyXRayImageStorageForProcessing || uid == UID_DigitalXRayImageStorageForProcessing ||
         uid == UID_DigitalIntraOralXRayImageStorageForProcessing;
}
bool is_presentation_sop_class(const std::string& uid) {
  return uid == UID_DigitalMammographyXRayImageStorageForPresentation || uid == UID_DigitalXRayImageStorageForPresentation ||
         uid == UID_DigitalIntraOralXRayImageStorageForPresentation;
}

/// Modalities that are certainly not a projection X-ray of the breast.
bool is_foreign_modality(const std::string& m) {
  static const char* const foreign[] = {"CT", "MR", "US", "PT", "NM", "XA", "RF", "ES", "OP", "XC", "SM", "IVUS",
                                        "OCT", "RTIMAGE", "RTDOSE", "RTSTRUCT", "RTPLAN", "ECG", "SEG", "IO", "PX"};
  return std::any_of(std::begin(foreign), std::end(foreign), [&](const char* f) { return m == f; });
}

struct PixelSize {
  double mm = 0.0;
  std::string source;
};

bool plausible_spacing(double mm) { return std::isfinite(mm) && mm >= 0.005 && mm <= 2.0; }

PixelSize find_pixel_size(DcmDataset& ds, const ReadOptions& options, ImageInfo& info, const std::string& name) {
  if (options.pixel_size_mm) {
    if (!(*options.pixel_size_mm > 0.0) || !std::isfinite(*options.pixel_size_mm))
      throw Error(ErrorCode::Usage, "--pixel-size must be a positive number of millimetres (e.g. 0.07)", name);
    return {*options.pixel_size_mm, "command line"};
  }
  auto spacing_of = [&](const DcmTagKey& key, const char* label, std::optional<double>& out) {
    const auto row = get_double(ds, key, 0);
    if (!row) return;
    const auto col = get_double(ds, key, 1);
    if (!plausible_spacing(*row)) {
      info.warnings.push_back(std::string(label) + " " + get_all(ds, key) +
                              " mm is implausible for a mammogram and was ignored");
      return;
    }
    if (col && std::abs(*col - *row) > 0.01 * *row)
      info.warnings.push_back(std::string(label) + " has non-square pixels (" + get_all(ds, key) +
                              "): the row spacing " + fmt(*row) + " mm is used");
    out = *row;
  };
  std::optional<double> imager, pixel, scanned;
  spacing_of(DCM_ImagerPixelSpacing, "ImagerPixelSpacing (0018,1164)", imager);
  if (imager) {
    const auto mag = get_double(ds, DCM_EstimatedRadiographicMagnificationFactor);
    if (mag && *mag > 0.0 && *mag <= 10.0) {
      return {*imager / *mag,
              "ImagerPixelSpacing / EstimatedRadiographicMagnificationFactor " + fmt(*mag)};
    }
    if (mag)
      info.warnings.push_back("EstimatedRadiographicMagnificationFactor " + fmt(*mag) +
                              " is implausible and was ignored");
    return {*imager, "ImagerPixelSpacing"};
  }
  spacing_of(DCM_PixelSpacing, "PixelSpacing (0028,0030)", pixel);
  if (pixel) {
    info.warnings.push_back(
        "ImagerPixelSpacing (0018,1164) is absent: PixelSpacing (0028,0030) = " + fmt(*pixel) +
        " mm was used instead; check it, or pass --pixel-size MM if it is wrong");
    return {*pixel, "PixelSpacing"};
  }
  spacing_of(DCM_NominalScannedPixelSpacing, "NominalScannedPixelSpacing (0018,2010)", scanned);
  if (scanned) {
    info.warnings.push_back("pixel size taken from NominalScannedPixelSpacing (0018,2010) of a digitised film");
    return {*scanned, "NominalScannedPixelSpacing"};
  }
  throw Error(ErrorCode::MissingPixelSize,
              "no usable pixel size in the file (ImagerPixelSpacing (0018,1164) and PixelSpacing (0028,0030) "
              "are absent or implausible): pass --pixel-size MM (the detector pixel size in millimetres, "
              "e.g. 0.07 for Hologic, 0.1 for GE)",
              name);
}

/// Stored integer values of the single frame, after masking to BitsStored and sign extension.
struct StoredPlane {
  int width = 0, height = 0;
  std::vector<std::int32_t> values;
};

std::int32_t extract(std::uint32_t raw, int shift, std::uint32_t mask, bool is_signed, int bits_stored) {
  std::uint32_t v = (raw >> shift) & mask;
  if (is_signed && bits_stored < 32 && (v & (1u << (bits_stored - 1)))) v |= ~mask;
  return static_cast<std::int32_t>(v);
}

void decode_jpeg2000(DcmDataset& ds, E_TransferSyntax xfer, int rows, int cols, StoredPlane& plane,
                     const std::string& name) {
  DcmElement* element = nullptr;
  ds.findAndGetElement(DCM_PixelData, element, OFFalse);
  auto* pixel_data = dynamic_cast<DcmPixelData*>(element);
  DcmPixelSequence* sequence = nullptr;
  if (!pixel_data || pixel_data->getEncapsulatedRepresentation(xfer, nullptr, sequence).bad() || !sequence)
    throw Error(ErrorCode::DecodeFailed,
                "the JPEG 2000 pixel data is not encapsulated as expected; the file is damaged: re-export it "
                "(or convert it to uncompressed with gdcmconv --raw) and retry",
                name);
  std::vector<std::uint8_t> stream;
  for (unsigned long i = 1; i < sequence->card(); ++i) {  // item 0 is the Basic Offset Table
    DcmPixelItem* item = nullptr;
    if (sequence->getItem(item, i).bad() || !item) continue;
    Uint8* bytes = nullptr;
    const Uint32 len = item->getLength();
    if (len == 0) continue;
    if (item->getUint8Array(bytes).bad() || !bytes) continue;
    stream.insert(stream.end(), bytes, bytes + len);
  }
  if (stream.empty())
    throw Error(ErrorCode::DecodeFailed,
                "the JPEG 2000 pixel data has no fragments: the file is damaged; re-export it from the archive", name);
  io_detail::J2kPlane j2k;
  std::string why;
  if (!io_detail::j2k_decode(stream.data(), stream.size(), j2k, why))
    throw Error(ErrorCode::DecodeFailed,
                "JPEG 2000 pixel data could not be decoded (" + why +
                    "): the file is damaged or uses an unsupported variant; convert it to uncompressed "
                    "(gdcmconv --raw) and retry",
                name);
  if (j2k.width != cols || j2k.height != rows)
    throw Error(ErrorCode::DecodeFailed,
                "the JPEG 2000 stream is " + std::to_string(j2k.width) + " x " + std::to_string(j2k.height) +
                    " pixels but the header says Columns " + std::to_string(cols) + ", Rows " + std::to_string(rows) +
                    ": the file is inconsistent; re-export it",
                name);
  if (j2k.precision > 16)
    throw Error(ErrorCode::NotAMammogram,
                "JPEG 2000 samples have " + std::to_string(j2k.precision) + " bits; at most 16 are supported", name);
  plane.width = cols;
  plane.height = rows;
  plane.values = std::move(j2k.samples);
}

void decode_native(DcmDataset& ds, int rows, int cols, int bits_allocated, int bits_stored, int high_bit,
                   bool is_signed, StoredPlane& plane, const std::string& name) {
  DcmElement* element = nullptr;
  if (ds.findAndGetElement(DCM_PixelData, element, OFFalse).bad() || !element)
    throw Error(ErrorCode::DecodeFailed, "the pixel data could not be accessed after decoding", name);
  const std::size_t n = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
  const std::size_t bytes_per = static_cast<std::size_t>(bits_allocated / 8);
  const std::size_t need = n * bytes_per;
  const std::size_t have = element->getLength();
  if (have < need)
    throw Error(ErrorCode::InvalidImage,
                "PixelData holds " + std::to_string(have) + " bytes but Rows x Columns x BitsAllocated/8 = " +
                    std::to_string(rows) + " x " + std::to_string(cols) + " x " + std::to_string(bytes_per) + " = " +
                    std::to_string(need) + " bytes: the file is truncated; copy it again from the archive",
                name);
  int shift = high_bit + 1 - bits_stored;
  if (shift < 0 || high_bit >= bits_allocated) shift = 0;
  const std::uint32_t mask = bits_stored >= 32 ? 0xFFFFFFFFu : ((1u << bits_stored) - 1u);
  plane.width = cols;
  plane.height = rows;
  plane.values.resize(n);
  if (bits_allocated == 16) {
    Uint16* data = nullptr;
    if (element->getUint16Array(data).bad() || !data)
      throw Error(ErrorCode::DecodeFailed, "16-bit pixel data could not be read", name);
    for (std::size_t i = 0; i < n; ++i) plane.values[i] = extract(data[i], shift, mask, is_signed, bits_stored);
  } else {
    Uint8* data = nullptr;
    if (element->getUint8Array(data).bad() || !data) {
      Uint16* words = nullptr;  // 8-bit samples in an OW element (little-endian host)
      if (element->getUint16Array(words).bad() || !words)
        throw Error(ErrorCode::DecodeFailed, "8-bit pixel data could not be read", name);
      data = reinterpret_cast<Uint8*>(words);
    }
    for (std::size_t i = 0; i < n; ++i) plane.values[i] = extract(data[i], shift, mask, is_signed, bits_stored);
  }
}

/// How stored values become "attenuation" (bright = dense) before normalisation.
struct Transfer {
  double slope = 1.0, intercept = 0.0;
  bool log_transform = false;   ///< For Processing, linear in exposure: -log(exposure)
  bool exposure_falls = false;  ///< PixelIntensityRelationshipSign -1 with a linear relationship
  bool invert = false;          ///< MONOCHROME1 For Presentation: high values are dark
  double full_scale = 0.0;      ///< largest representable stored value (for exposure_falls)
  /// Logarithmic (For Presentation) data, unsigned, no rescale: the window is the data's own full
  /// scale, as for PNG/TIFF, instead of the robust percentile stretch (session 17).
  bool full_scale_window = false;
};

/// Robust normalisation through a lookup table over the stored values
/// (all transforms are monotonic, so percentiles can be taken on the histogram).
void normalise(const StoredPlane& plane, const Transfer& tf, std::optional<long> padding, Image& image,
               const std::string& name) {
  const auto [mn_it, mx_it] = std::minmax_element(plane.values.begin(), plane.values.end());
  const std::int64_t vmin = *mn_it, vmax = *mx_it;
  const std::size_t range = static_cast<std::size_t>(vmax - vmin + 1);
  if (range > (1u << 20))
    throw Error(ErrorCode::NotAMammogram, "pixel values span more than 20 bits; at most 16 bits are supported", name);
  std::vector<std::uint64_t> hist(range, 0);
  for (const auto v : plane.values) ++hist[static_cast<std::size_t>(v - vmin)];
  const bool has_padding = padding && *padding >= vmin && *padding <= vmax;
  const std::size_t pad_index = has_padding ? static_cast<std::size_t>(*padding - vmin) : range;

  // modality LUT, then the exposure/log step
  std::vector<double> a(range);
  double m_max = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < range; ++i) {
    a[i] = (static_cast<double>(vmin) + static_cast<double>(i)) * tf.slope + tf.intercept;
    if (hist[i] && i != pad_index) m_max = std::max(m_max, a[i]);
  }
  if (tf.log_transform) {
    // values that fall with exposure: exposure ~ (largest representable value - value)
    const double top = std::max(tf.full_scale * tf.slope + tf.intercept, m_max);
    double e_max = 0.0;
    for (std::size_t i = 0; i < range; ++i) {
      if (tf.exposure_falls) a[i] = top - a[i];
      if (hist[i] && i != pad_index) e_max = std::max(e_max, a[i]);
    }
    const double floor_value = std::max(e_max * 1e-4, 1e-12);
    for (auto& v : a) v = -std::log(std::max(v, floor_value));
  } else if (tf.invert) {
    for (auto& v : a) v = -v;
  }

  // percentiles over the non-padding pixels
  std::vector<std::pair<double, std::uint64_t>> order;
  order.reserve(range);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < range; ++i)
    if (hist[i] && i != pad_index) {
      order.emplace_back(a[i], hist[i]);
      total += hist[i];
    }
  std::sort(order.begin(), order.end());
  auto value_at_rank = [&](std::uint64_t rank) {
    std::uint64_t cum = 0;
    for (const auto& [value, count] : order) {
      cum += count;
      if (cum > rank) return value;
    }
    return order.back().first;
  };
  double lo = 0.0, hi = 0.0;
  if (total > 0) {
    // 0.01 % darkest and 0.001 % brightest pixels are treated as outliers (dead/hot pixels);
    // the bright tail is kept small so calcifications are not clipped.
    lo = value_at_rank(static_cast<std::uint64_t>(1e-4 * static_cast<double>(total - 1)));
    hi = value_at_rank(total - 1 - static_cast<std::uint64_t>(1e-5 * static_cast<double>(total - 1)));
    if (tf.full_scale_window && hi > lo) {
      // value / (2^BitsStored - 1): the same grey levels as the image's PNG export and as the
      // phantoms the models were trained on (the percentile stretch raised a phantom's contrasts by
      // about 9 % and doubled its false clusters, docs/input-formats.md). When the data
      // use less than a quarter of the declared range (14-bit data declared as 16 bits), the bits the
      // data use decide instead (at least 8; the 99.999th percentile, so a hot pixel does not).
      const double top = tf.invert ? -lo : hi;  // largest stored value in the window
      double fs = tf.full_scale;
      if (!(fs > 0) || top < fs / 4) {
        int k = 8;
        while (k < 31 && std::ldexp(1.0, k) - 1.0 < top) ++k;
        fs = std::ldexp(1.0, k) - 1.0;
      }
      lo = tf.invert ? -fs : 0.0;
      hi = tf.invert ? 0.0 : fs;
    }
  }
  std::vector<float> lut(range, 0.f);
  if (hi > lo) {
    for (std::size_t i = 0; i < range; ++i)
      lut[i] = i == pad_index ? 0.f : static_cast<float>(std::clamp((a[i] - lo) / (hi - lo), 0.0, 1.0));
  } else {
    image.info.warnings.push_back("the image is uniform (all pixels have the same value): there is nothing to analyse");
  }
  image.pixels.resize(plane.values.size());
  for (std::size_t i = 0; i < plane.values.size(); ++i)
    image.pixels[i] = lut[static_cast<std::size_t>(plane.values[i] - vmin)];
}

}  // namespace

bool looks_like_dicom(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  char buf[132] = {};
  in.read(buf, sizeof(buf));
  return in.gcount() == 132 && std::memcmp(buf + 128, "DICM", 4) == 0;
}

Image read_dicom(const std::filesystem::path& path, const ReadOptions& options) {
  const std::string name = display_name(path);
  io_detail::check_input_file(path);
  io_detail::ensure_dicom_decoders();

  DcmFileFormat file;
  const OFCondition loaded = file.loadFile(path.c_str(), EXS_Unknown, EGL_noChange, DCM_MaxReadLength, ERM_autoDetect);
  DcmDataset* ds = file.getDataset();
  DcmMetaInfo* meta = file.getMetaInfo();
  const bool has_meta = meta && meta->card() > 0;
  if (loaded.bad() && (!ds || ds->card() == 0) && !has_meta)
    throw Error(ErrorCode::UnsupportedFormat,
                std::string("not a readable DICOM file (") + loaded.text() +
                    "): pass a DICOM mammogram, or a PNG/PGM/TIFF image with --pixel-size",
                name);
  std::string sop_class = get_string(*ds, DCM_SOPClassUID);
  if (sop_class.empty() && has_meta) sop_class = get_string(*meta, DCM_MediaStorageSOPClassUID);
  const std::string modality = upper(get_string(*ds, DCM_Modality));
  DcmElement* pixel_element = nullptr;
  const bool has_pixels = ds->findAndGetElement(DCM_PixelData, pixel_element, OFFalse).good() && pixel_element;

  std::string damage_warning;
  if (loaded.bad() && has_pixels && !DcmXfer(ds->getOriginalXfer()).isEncapsulated()) {
    // Native pixel data read completely, damage after it (e.g. trailing garbage): keep going.
    const auto r = get_long(*ds, DCM_Rows), c = get_long(*ds, DCM_Columns), b = get_long(*ds, DCM_BitsAllocated);
    const std::uint64_t need = (r && c && b && *r > 0 && *c > 0 && *b > 0)
                                   ? static_cast<std::uint64_t>(*r) * static_cast<std::uint64_t>(*c) *
                                         static_cast<std::uint64_t>((*b + 7) / 8)
                                   : 0;
    // the declared length may exceed what the file holds (values are loaded lazily): load them now
    if (need > 0 && pixel_element->getLength() >= need && pixel_element->loadAllDataIntoMemory().good())
      damage_warning = std::string("the file is damaged after its pixel data (") + loaded.text() +
                       "): the image was read, but check the file";
  }
  if (loaded.bad() && damage_warning.empty()) {
    if (has_pixels || file_contains_pixel_data_tag(path))
      throw Error(ErrorCode::InvalidImage,
                  std::string("the DICOM file is truncated or damaged: its pixel data cannot be read (") +
                      loaded.text() + "); copy it again from the archive or re-export it",
                  name);
    if (sop_class.empty() && modality.empty())
      throw Error(ErrorCode::UnsupportedFormat,
                  std::string("not a readable DICOM file (") + loaded.text() +
                      "): pass a DICOM mammogram, or a PNG/PGM/TIFF image with --pixel-size",
                  name);
  }
  if (!has_pixels) {
    if (sop_class.empty() && modality.empty() && !has_meta)
      throw Error(ErrorCode::UnsupportedFormat,
                  "not a DICOM file (no SOP Class, Modality or Pixel Data found): pass a DICOM mammogram, or a "
                  "PNG/PGM/TIFF image with --pixel-size",
                  name);
    DcmElement* other = nullptr;
    if (ds->findAndGetElement(DCM_FloatPixelData, other, OFFalse).good() ||
        ds->findAndGetElement(DCM_DoubleFloatPixelData, other, OFFalse).good())
      throw Error(ErrorCode::NotAMammogram,
                  "floating-point pixel data (parametric map) is not a mammogram: pass the MG image files", name);
    std::string msg = "this is " + describe_non_image(sop_class, modality) +
                      ", not an image (it has no Pixel Data (7FE0,0010)): pass the mammogram image files "
                      "(Digital Mammography X-Ray Image, Modality MG) instead";
    if (loaded.bad()) msg += std::string(" (the file is also damaged: ") + loaded.text() + ")";
    throw Error(ErrorCode::NotAnImage, msg, name);
  }

  Image image;
  ImageInfo& info = image.info;
  info.source_path = path.string();
  info.format = "dicom";
  if (!damage_warning.empty()) info.warnings.push_back(damage_warning);
  (void)file.convertToUTF8();  // names in UTF-8 when the character set is known; harmless otherwise

  // --- is it a greyscale 2D image we can analyse? ---
  const long samples = get_long(*ds, DCM_SamplesPerPixel).value_or(1);
  const std::string photometric = upper(get_string(*ds, DCM_PhotometricInterpretation));
  if (samples != 1 || (!photometric.empty() && photometric != "MONOCHROME1" && photometric != "MONOCHROME2"))
    throw Error(ErrorCode::NotAMammogram,
                "colour image (PhotometricInterpretation " + (photometric.empty() ? std::string("?") : photometric) +
                    ", " + std::to_string(samples) +
                    " samples per pixel): a mammogram is greyscale; pass the original MG image, not a screenshot "
                    "or colour export",
                name);
  const long frames = get_long(*ds, DCM_NumberOfFrames).value_or(1);
  if (frames > 1)
    throw Error(ErrorCode::NotAMammogram,
                "multi-frame object with " + std::to_string(frames) +
                    " frames (e.g. breast tomosynthesis or a cine loop): calcscope analyses single 2D mammograms; "
                    "pass the 2D (or synthesized 2D) views",
                name);
  if (is_foreign_modality(modality))
    throw Error(ErrorCode::NotAMammogram,
                "Modality " + modality + " is not mammography: pass MG (or DX) projection images of the breast", name);

  const auto rows_opt = get_long(*ds, DCM_Rows);
  const auto cols_opt = get_long(*ds, DCM_Columns);
  if (!rows_opt || !cols_opt)
    throw Error(ErrorCode::InvalidImage,
                "Rows (0028,0010) or Columns (0028,0011) is missing: the header is corrupt; re-export the image",
                name);
  const long rows = *rows_opt, cols = *cols_opt;
  if (rows <= 0 || cols <= 0)
    throw Error(ErrorCode::InvalidImage,
                "the header gives an empty image (Rows " + std::to_string(rows) + ", Columns " + std::to_string(cols) +
                    "): the file is corrupt; re-export it",
                name);
  if (rows > options.max_side_px || cols > options.max_side_px)
    throw Error(ErrorCode::InvalidImage,
                "absurd image size (Rows " + std::to_string(rows) + ", Columns " + std::to_string(cols) +
                    "): more than " + std::to_string(options.max_side_px) +
                    " pixels per side; the header is corrupt or this is not a mammogram",
                name);
  const long bits_allocated = get_long(*ds, DCM_BitsAllocated).value_or(0);
  const long bits_stored = get_long(*ds, DCM_BitsStored).value_or(bits_allocated);
  const bool is_signed = get_long(*ds, DCM_PixelRepresentation).value_or(0) == 1;
  if (bits_allocated != 8 && bits_allocated != 16)
    throw Error(ErrorCode::NotAMammogram,
                "BitsAllocated " + std::to_string(bits_allocated) +
                    " is not supported (mammograms use 8 or 16): convert the image to 16-bit greyscale",
                name);
  if (bits_stored <= 0 || bits_stored > bits_allocated)
    throw Error(ErrorCode::InvalidImage,
                "BitsStored " + std::to_string(bits_stored) + " is inconsistent with BitsAllocated " +
                    std::to_string(bits_allocated) + ": the header is corrupt; re-export the image",
                name);

  // --- identity ---
  const E_TransferSyntax xfer = ds->getOriginalXfer();
  const DcmXfer xfer_info(xfer);
  info.transfer_syntax = xfer_info.getXferID();
  if (info.transfer_syntax.empty() && has_meta) info.transfer_syntax = get_string(*meta, DCM_TransferSyntaxUID);
  info.photometric = photometric.empty() ? "MONOCHROME2" : photometric;
  info.bits_stored = static_cast<int>(bits_stored);
  info.sop_class_uid = sop_class;
  info.sop_instance_uid = get_string(*ds, DCM_SOPInstanceUID);
  info.study_instance_uid = get_string(*ds, DCM_StudyInstanceUID);
  info.series_instance_uid = get_string(*ds, DCM_SeriesInstanceUID);
  info.patient_id = get_string(*ds, DCM_PatientID);
  info.patient_name = get_all(*ds, DCM_PatientName);
  info.study_date = get_string(*ds, DCM_StudyDate);
  info.study_time = get_string(*ds, DCM_StudyTime);
  info.accession_number = get_string(*ds, DCM_AccessionNumber);
  info.manufacturer = get_string(*ds, DCM_Manufacturer);
  info.detector_type = upper(get_string(*ds, DCM_DetectorType));
  info.conversion_type = upper(get_string(*ds, DCM_ConversionType));
  std::string laterality = upper(get_string(*ds, DCM_ImageLaterality));
  if (laterality != "L" && laterality != "R") laterality = upper(get_string(*ds, DCM_Laterality));
  info.laterality = (laterality == "L" || laterality == "R") ? laterality : "";
  info.view = upper(get_string(*ds, DCM_ViewPosition));
  if (!modality.empty() && modality != "MG")
    info.warnings.push_back("Modality is " + modality + ", not MG: results assume a mammogram");

  std::string intent = upper(get_string(*ds, DCM_PresentationIntentType));
  if (intent.empty()) {
    if (is_processing_sop_class(sop_class)) intent = "FOR PROCESSING";
    else if (is_presentation_sop_class(sop_class)) intent = "FOR PRESENTATION";
    else if (upper(get_all(*ds, DCM_ImageType)).find("FOR PROCESSING") != std::string::npos) intent = "FOR PROCESSING";
  }
  info.presentation_intent = intent;

  // --- pixel size (before the expensive decode) ---
  const PixelSize px = find_pixel_size(*ds, options, info, name);
  image.pixel_size_mm = px.mm;
  info.pixel_size_source = px.source;

  // --- decode ---
  StoredPlane plane;
  const bool is_j2k = xfer == EXS_JPEG2000LosslessOnly || xfer == EXS_JPEG2000 ||
                      xfer == EXS_JPEG2000MulticomponentLosslessOnly || xfer == EXS_JPEG2000Multicomponent;
  if (is_j2k) {
    decode_jpeg2000(*ds, xfer, static_cast<int>(rows), static_cast<int>(cols), plane, name);
  } else {
    if (xfer_info.isEncapsulated()) {
      const OFCondition dec = ds->chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
      if (dec.bad() || !ds->canWriteXfer(EXS_LittleEndianExplicit))
        throw Error(ErrorCode::DecodeFailed,
                    std::string("the compressed pixel data (") + xfer_info.getXferName() + ") could not be decoded (" +
                        (dec.bad() ? dec.text() : "no decoder for this transfer syntax") +
                        "): if the file is intact, convert it to uncompressed (dcmdjpeg, dcmdjpls, dcmdrle or "
                        "gdcmconv --raw) and retry",
                    name);
      // Decoders may rewrite the image pixel module (e.g. BitsStored); re-read what matters.
    }
    const long ba = get_long(*ds, DCM_BitsAllocated).value_or(bits_allocated);
    const long bs = get_long(*ds, DCM_BitsStored).value_or(bits_stored);
    const long hb = get_long(*ds, DCM_HighBit).value_or(bs - 1);
    const bool sg = get_long(*ds, DCM_PixelRepresentation).value_or(is_signed ? 1 : 0) == 1;
    if (ba != 8 && ba != 16)
      throw Error(ErrorCode::DecodeFailed, "decoded pixel data has BitsAllocated " + std::to_string(ba), name);
    decode_native(*ds, static_cast<int>(rows), static_cast<int>(cols), static_cast<int>(ba), static_cast<int>(bs),
                  static_cast<int>(hb), sg, plane, name);
  }
  image.width = static_cast<int>(cols);
  image.height = static_cast<int>(rows);

  // --- values: modality LUT, log for raw data, orientation ---
  Transfer tf;
  tf.slope = get_double(*ds, DCM_RescaleSlope).value_or(1.0);
  tf.intercept = get_double(*ds, DCM_RescaleIntercept).value_or(0.0);
  {
    const long bs = get_long(*ds, DCM_BitsStored).value_or(bits_stored);
    const bool sg = get_long(*ds, DCM_PixelRepresentation).value_or(0) == 1;
    const int b = static_cast<int>(std::clamp<long>(bs, 1, 31));
    tf.full_scale = sg ? std::ldexp(1.0, b - 1) - 1.0 : std::ldexp(1.0, b) - 1.0;
  }
  if (tf.slope == 0.0) {
    info.warnings.push_back("RescaleSlope is 0 (invalid): 1 was used");
    tf.slope = 1.0;
  }
  const std::string relationship = upper(get_string(*ds, DCM_PixelIntensityRelationship));
  const long relationship_sign = get_long(*ds, DCM_PixelIntensityRelationshipSign).value_or(0);
  if (intent == "FOR PROCESSING" && relationship != "LOG") {
    // Raw detector data: values proportional to exposure (bright background). Attenuation is
    // -log(exposure); the photometric interpretation only says how a viewer would display it.
    tf.log_transform = true;
    tf.exposure_falls = relationship_sign == -1;
    info.warnings.push_back("For Processing (raw) image: log transform applied so that dense tissue is bright");
  } else if (intent == "FOR PROCESSING") {
    // Already logarithmic: the sign tells whether high values mean more (+1) or less (-1) exposure.
    tf.invert = relationship_sign == 1 || (relationship_sign == 0 && info.photometric == "MONOCHROME1");
  } else {
    tf.invert = info.photometric == "MONOCHROME1";
  }
  tf.full_scale_window = intent != "FOR PROCESSING" && tf.slope == 1.0 && tf.intercept == 0.0 &&
                         get_long(*ds, DCM_PixelRepresentation).value_or(0) == 0;
  std::optional<long> padding = get_long(*ds, DCM_PixelPaddingValue);
  normalise(plane, tf, padding, image, name);
  if (intent == "FOR PROCESSING") {
    // The file fixes no grey scale (the log of raw data is linear in attenuation with a slope it does
    // not state), so the percentile window above would put the tissue wherever the brightest
    // pixels fall. Put the breast's own tissue range where the models learnt it instead.
    if (const auto t = window_to_trained_tissue_range(image))
      info.warnings.push_back("For Processing image: grey scale set from the breast's tissue range");
    else
      info.warnings.push_back(
          "For Processing image: no breast tissue range found (image too small or uniform); the grey scale "
          "is a percentile window and the scores may be off");
  }

  const std::string lossy = get_string(*ds, DCM_LossyImageCompression);
  if (lossy == "01" || xfer == EXS_JPEGProcess1 || xfer == EXS_JPEGProcess2_4 || xfer == EXS_JPEG2000 ||
      xfer == EXS_JPEGLSLossy)
    info.warnings.push_back("lossy compressed image: the smallest calcifications may be altered");
  if (image.width < 64 || image.height < 64)
    info.warnings.push_back("very small image (" + std::to_string(image.width) + " x " +
                            std::to_string(image.height) + " pixels): probably a thumbnail or a test object");
  return image;
}

}  // namespace calcscope
