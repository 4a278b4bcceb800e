// Decodes a TIFF's first image with libtiff before OpenCV does (declared in raster_check.h): damage
// inside compressed strips or tiles that leaves the file's structure whole (an LZW or Deflate stream
// with wrong bytes) made OpenCV print its own warning and "imdecode_(...): can't read data" on
// stderr before our message. libtiff's errors go to a handler of this one file instead, and the
// first of them becomes the message.
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <limits>

#include <tiffio.h>

#include "raster_check.h"

namespace calcscope::io_detail {

namespace {

struct Memory {
  const std::vector<std::uint8_t>* bytes;
  toff_t at = 0;
};

tmsize_t read_proc(thandle_t h, void* buf, tmsize_t size) {
  auto* m = static_cast<Memory*>(h);
  const auto total = static_cast<toff_t>(m->bytes->size());
  if (size <= 0 || m->at >= total) return 0;
  const toff_t n = std::min<toff_t>(static_cast<toff_t>(size), total - m->at);
  std::memcpy(buf, m->bytes->data() + m->at, static_cast<std::size_t>(n));
  m->at += n;
  return static_cast<tmsize_t>(n);
}
tmsize_t write_proc(thandle_t, void*, tmsize_t) { return 0; }
toff_t seek_proc(thandle_t h, toff_t off, int whence) {
  auto* m = static_cast<Memory*>(h);
  const auto total = static_cast<toff_t>(m->bytes->size());
  toff_t base = whence == SEEK_CUR ? m->at : whence == SEEK_END ? total : 0;
  if (off > std::numeric_limits<toff_t>::max() - base) return static_cast<toff_t>(-1);
  m->at = base + off;
  return m->at;
}
int close_proc(thandle_t) { return 0; }
toff_t size_proc(thandle_t h) { return static_cast<toff_t>(static_cast<Memory*>(h)->bytes->size()); }
int map_proc(thandle_t, void**, toff_t*) { return 0; }
void unmap_proc(thandle_t, void*, toff_t) {}

/// Keeps libtiff's first error text for the message (and never lets it reach stderr).
int keep_first_error(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
  auto& first = *static_cast<std::string*>(user);
  if (first.empty()) {
    char text[400];
    std::vsnprintf(text, sizeof text, fmt, ap);
    first = (module && *module ? std::string(module) + ": " : std::string()) + text;
  }
  return 1;  // handled: the global handler (stderr) is not called
}
int ignore_warning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

}  // namespace

std::string tiff_decode_problem(const std::vector<std::uint8_t>& bytes) {
  std::string first;
  TIFFOpenOptions* opts = TIFFOpenOptionsAlloc();
  TIFFOpenOptionsSetErrorHandlerExtR(opts, keep_first_error, &first);
  TIFFOpenOptionsSetWarningHandlerExtR(opts, ignore_warning, nullptr);
  TIFFOpenOptionsSetMaxSingleMemAlloc(opts, tmsize_t{1} << 30);
  Memory mem{&bytes};
  // "m": no memory mapping (the procs above serve the bytes)
  TIFF* tif = TIFFClientOpenExt("libtiff", "rm", &mem, read_proc, write_proc, seek_proc, close_proc, size_proc,
                                map_proc, unmap_proc, opts);
  TIFFOpenOptionsFree(opts);
  if (!tif) return "its header or first image directory cannot be read (" + (first.empty() ? "libtiff" : first) + ")";
  first.clear();  // an error the open survived (a damaged tag it skipped) is not the pixels' problem
  std::uint32_t width = 0, height = 0;
  TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width);
  TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &height);
  std::string problem;
  // absurd sizes are the size check's to report (after decoding), not worth decoding twice here
  if (width > 0 && height > 0 && width <= 65535 && height <= 65535) {
    const bool tiled = TIFFIsTiled(tif) != 0;
    const std::uint32_t blocks = tiled ? TIFFNumberOfTiles(tif) : TIFFNumberOfStrips(tif);
    const tmsize_t size = tiled ? TIFFTileSize(tif) : TIFFStripSize(tif);
    if (size > 0 && size <= (tmsize_t{1} << 30)) {
      std::vector<std::uint8_t> buf(static_cast<std::size_t>(size));
      for (std::uint32_t i = 0; i < blocks && problem.empty(); ++i) {
        const tmsize_t got = tiled ? TIFFReadEncodedTile(tif, i, buf.data(), size)
                                   : TIFFReadEncodedStrip(tif, i, buf.data(), size);
        if (got < 0 || !first.empty())
          problem = "its image data is damaged: " + std::string(tiled ? "tile " : "strip ") + std::to_string(i + 1) +
                    " of " + std::to_string(blocks) + " cannot be decoded (" +
                    (first.empty() ? std::string("libtiff") : first) + ")";
      }
    }
  }
  TIFFClose(tif);
  return problem;
}

}  // namespace calcscope::io_detail
