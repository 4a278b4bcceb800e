#include "io/dicom_codecs.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcrleerg.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpeg/djencode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/dcmjpls/djencode.h>
#include <dcmtk/oflog/oflog.h>
#include <openjpeg.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

namespace calcscope::io_detail {

namespace {
/// DCMTK logs parse problems to stderr; we report them through calcscope::Error instead.
void quiet_dcmtk_logs() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (const char* name : {"dcmtk.dcmdata", "dcmtk.dcmjpeg", "dcmtk.dcmjpls", "dcmtk.dcmimgle", "dcmtk.dcmsr"})
      OFLog::getLogger(name).setLogLevel(OFLogger::FATAL_LOG_LEVEL);
  });
}
}  // namespace

void ensure_dicom_decoders() {
  quiet_dcmtk_logs();
  static std::once_flag once;
  std::call_once(once, [] {
    DJDecoderRegistration::registerCodecs();     // JPEG baseline, extended, lossless
    DJLSDecoderRegistration::registerCodecs();   // JPEG-LS
    DcmRLEDecoderRegistration::registerCodecs(); // RLE
  });
}

void ensure_dicom_encoders() {
  quiet_dcmtk_logs();
  static std::once_flag once;
  std::call_once(once, [] {
    // Keep the SOP Instance UID we wrote: the writer decides identity, not the codec.
    // Lossy (baseline/extended) encoding rescales deeper data into 8/12 bits; useModalityRescale
    // records that mapping as Rescale Slope/Intercept so stored values keep their meaning (this
    // matters for For Processing data, where the reader takes a logarithm).
    DJEncoderRegistration::registerCodecs(ECC_lossyYCbCr, EUC_never, OFFalse, 0, 0, 0, OFTrue, ESS_422, OFTrue,
                                          OFFalse, 0, 0, 0.0, 0.0, 0, 0, 0, 0, OFFalse /*usePixelValues: full stored range, no shift*/,
                                          OFTrue /*useModalityRescale*/);
    DJLSEncoderRegistration::registerCodecs(0, 0, 0, 0, OFTrue, 0, OFTrue, EJLSUC_never);
    DcmRLEEncoderRegistration::registerCodecs();
  });
}

namespace {

/// In-memory stream for OpenJPEG (read from a buffer, or append/overwrite into a vector).
struct MemStream {
  const std::uint8_t* in = nullptr;
  std::size_t in_size = 0;
  std::vector<std::uint8_t>* out = nullptr;
  std::size_t pos = 0;
  std::size_t size() const { return out ? out->size() : in_size; }
};

OPJ_SIZE_T mem_read(void* buffer, OPJ_SIZE_T n, void* user) {
  auto* s = static_cast<MemStream*>(user);
  if (s->pos >= s->in_size) return static_cast<OPJ_SIZE_T>(-1);
  const std::size_t k = std::min<std::size_t>(n, s->in_size - s->pos);
  std::memcpy(buffer, s->in + s->pos, k);
  s->pos += k;
  return k;
}

OPJ_SIZE_T mem_write(void* buffer, OPJ_SIZE_T n, void* user) {
  auto* s = static_cast<MemStream*>(user);
  if (s->pos + n > s->out->size()) s->out->resize(s->pos + n);
  std::memcpy(s->out->data() + s->pos, buffer, n);
  s->pos += n;
  return n;
}

OPJ_OFF_T mem_skip(OPJ_OFF_T n, void* user) {
  auto* s = static_cast<MemStream*>(user);
  const auto target = static_cast<OPJ_OFF_T>(s->pos) + n;
  if (target < 0) return -1;
  if (!s->out && static_cast<std::size_t>(target) > s->in_size) {
    const OPJ_OFF_T skipped = static_cast<OPJ_OFF_T>(s->in_size - s->pos);
    s->pos = s->in_size;
    return skipped;
  }
  s->pos = static_cast<std::size_t>(target);
  return n;
}

OPJ_BOOL mem_seek(OPJ_OFF_T p, void* user) {
  auto* s = static_cast<MemStream*>(user);
  if (p < 0) return OPJ_FALSE;
  if (!s->out && static_cast<std::size_t>(p) > s->in_size) return OPJ_FALSE;
  s->pos = static_cast<std::size_t>(p);
  return OPJ_TRUE;
}

void collect_message(const char* msg, void* client) {
  auto* text = static_cast<std::string*>(client);
  if (!text->empty()) text->append("; ");
  std::string m(msg ? msg : "");
  while (!m.empty() && (m.back() == '\n' || m.back() == '\r')) m.pop_back();
  text->append(m);
}
void ignore_message(const char*, void*) {}

struct CodecDeleter { void operator()(opj_codec_t* c) const { opj_destroy_codec(c); } };
struct StreamDeleter { void operator()(opj_stream_t* s) const { opj_stream_destroy(s); } };
struct ImageDeleter { void operator()(opj_image_t* i) const { opj_image_destroy(i); } };
using CodecPtr = std::unique_ptr<opj_codec_t, CodecDeleter>;
using StreamPtr = std::unique_ptr<opj_stream_t, StreamDeleter>;
using ImagePtr = std::unique_ptr<opj_image_t, ImageDeleter>;

int codec_threads() {
  const unsigned hc = std::thread::hardware_concurrency();
  return static_cast<int>(std::clamp(hc == 0 ? 1u : hc, 1u, 4u));
}

}  // namespace

bool j2k_decode(const std::uint8_t* data, std::size_t size, J2kPlane& out, std::string& error) {
  if (size < 12) {
    error = "JPEG 2000 code stream is empty or too short (" + std::to_string(size) + " bytes)";
    return false;
  }
  // JP2 box format starts with the signature box; a raw code stream with SOC marker FF 4F.
  static const std::uint8_t jp2_sig[12] = {0, 0, 0, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A};
  const bool is_jp2 = std::memcmp(data, jp2_sig, 12) == 0;
  if (!is_jp2 && !(data[0] == 0xFF && data[1] == 0x4F)) {
    error = "fragment does not start with a JPEG 2000 marker (SOC FF4F or JP2 signature)";
    return false;
  }
  CodecPtr codec(opj_create_decompress(is_jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K));
  if (!codec) { error = "OpenJPEG could not create a decoder"; return false; }
  std::string messages;
  opj_set_error_handler(codec.get(), collect_message, &messages);
  opj_set_warning_handler(codec.get(), ignore_message, nullptr);
  opj_set_info_handler(codec.get(), ignore_message, nullptr);
  opj_dparameters_t params;
  opj_set_default_decoder_parameters(&params);
  if (!opj_setup_decoder(codec.get(), &params)) { error = "OpenJPEG decoder setup failed: " + messages; return false; }
  opj_codec_set_threads(codec.get(), codec_threads());

  MemStream ms;
  ms.in = data;
  ms.in_size = size;
  StreamPtr stream(opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, OPJ_TRUE));
  opj_stream_set_user_data(stream.get(), &ms, nullptr);
  opj_stream_set_user_data_length(stream.get(), size);
  opj_stream_set_read_function(stream.get(), mem_read);
  opj_stream_set_skip_function(stream.get(), mem_skip);
  opj_stream_set_seek_function(stream.get(), mem_seek);

  opj_image_t* raw_image = nullptr;
  if (!opj_read_header(stream.get(), codec.get(), &raw_image)) {
    error = "JPEG 2000 header could not be read: " + messages;
    if (raw_image) opj_image_destroy(raw_image);
    return false;
  }
  ImagePtr image(raw_image);
  if (!opj_decode(codec.get(), stream.get(), image.get()) || !opj_end_decompress(codec.get(), stream.get())) {
    error = "JPEG 2000 decoding failed: " + (messages.empty() ? std::string("corrupt or truncated code stream") : messages);
    return false;
  }
  if (image->numcomps < 1) { error = "JPEG 2000 image has no components"; return false; }
  const opj_image_comp_t& c = image->comps[0];
  if (image->numcomps > 1) {
    error = "JPEG 2000 image has " + std::to_string(image->numcomps) + " components (colour); a mammogram has one";
    return false;
  }
  if (!c.data || c.w == 0 || c.h == 0) { error = "JPEG 2000 image has no samples"; return false; }
  out.width = static_cast<int>(c.w);
  out.height = static_cast<int>(c.h);
  out.precision = static_cast<int>(c.prec);
  out.is_signed = c.sgnd != 0;
  out.samples.assign(c.data, c.data + static_cast<std::size_t>(c.w) * c.h);
  return true;
}

bool j2k_encode_lossless(const std::uint16_t* samples, int width, int height, int precision,
                         std::vector<std::uint8_t>& out, std::string& error) {
  opj_cparameters_t params;
  opj_set_default_encoder_parameters(&params);
  params.tcp_numlayers = 1;
  params.tcp_rates[0] = 0;  // 0 = lossless
  params.cp_disto_alloc = 1;
  params.irreversible = 0;  // reversible 5/3 wavelet
  int levels = 1;
  while (levels < 6 && (std::min(width, height) >> levels) >= 1) ++levels;
  params.numresolution = levels;

  opj_image_cmptparm_t cmpt;
  std::memset(&cmpt, 0, sizeof(cmpt));
  cmpt.dx = 1;
  cmpt.dy = 1;
  cmpt.w = static_cast<OPJ_UINT32>(width);
  cmpt.h = static_cast<OPJ_UINT32>(height);
  cmpt.prec = static_cast<OPJ_UINT32>(precision);
  cmpt.sgnd = 0;
  ImagePtr image(opj_image_create(1, &cmpt, OPJ_CLRSPC_GRAY));
  if (!image) { error = "OpenJPEG could not allocate the image"; return false; }
  image->x0 = 0;
  image->y0 = 0;
  image->x1 = static_cast<OPJ_UINT32>(width);
  image->y1 = static_cast<OPJ_UINT32>(height);
  const std::size_t n = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
  std::copy(samples, samples + n, image->comps[0].data);

  CodecPtr codec(opj_create_compress(OPJ_CODEC_J2K));
  std::string messages;
  opj_set_error_handler(codec.get(), collect_message, &messages);
  opj_set_warning_handler(codec.get(), ignore_message, nullptr);
  opj_set_info_handler(codec.get(), ignore_message, nullptr);
  if (!opj_setup_encoder(codec.get(), &params, image.get())) {
    error = "OpenJPEG encoder setup failed: " + messages;
    return false;
  }
  opj_codec_set_threads(codec.get(), codec_threads());
  out.clear();
  MemStream ms;
  ms.out = &out;
  StreamPtr stream(opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, OPJ_FALSE));
  opj_stream_set_user_data(stream.get(), &ms, nullptr);
  opj_stream_set_write_function(stream.get(), mem_write);
  opj_stream_set_skip_function(stream.get(), mem_skip);
  opj_stream_set_seek_function(stream.get(), mem_seek);
  if (!opj_start_compress(codec.get(), image.get(), stream.get()) || !opj_encode(codec.get(), stream.get()) ||
      !opj_end_compress(codec.get(), stream.get())) {
    error = "JPEG 2000 encoding failed: " + messages;
    return false;
  }
  return true;
}

}  // namespace calcscope::io_detail
