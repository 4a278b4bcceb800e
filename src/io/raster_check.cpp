// Raster structure checks before decoding (src/io/raster_check.h).
#include "io/raster_check.h"

#include <algorithm>
#include <utility>

#include <zlib.h>

namespace calcscope::io_detail {

namespace {

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

/// CRC-32 of a chunk's type and data (zlib's, as PNG's own)
std::uint32_t chunk_crc(const std::uint8_t* type_and_data, std::uint32_t length) {
  return static_cast<std::uint32_t>(::crc32(0L, type_and_data, 4u + length));
}

bool is_letter(std::uint8_t c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

}  // namespace

std::string png_structure_problem(const std::vector<std::uint8_t>& b) {
  static const std::uint8_t sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (b.size() < 8 || !std::equal(sig, sig + 8, b.begin())) return "it does not start with the PNG signature";
  std::size_t at = 8;
  bool first = true;
  while (true) {
    const std::string where = " at byte " + std::to_string(at);
    if (at + 8 > b.size())
      return "it is truncated: the file ends" + (at == b.size() ? where : " inside the chunk header" + where) +
             ", before the IEND chunk that closes a PNG";
    const std::uint32_t length = be32(&b[at]);
    const std::uint8_t* type = &b[at + 4];
    if (!is_letter(type[0]) || !is_letter(type[1]) || !is_letter(type[2]) || !is_letter(type[3]))
      return "it is damaged: the chunk" + where + " has no valid type";
    const std::string name(reinterpret_cast<const char*>(type), 4);
    if (length > 0x7FFFFFFFu) return "it is damaged: chunk '" + name + "'" + where + " has an invalid length";
    if (first && name != "IHDR") return "it is damaged: the first chunk is '" + name + "', not IHDR";
    first = false;
    if (static_cast<std::uint64_t>(at) + 12 + length > b.size())
      return "it is truncated: chunk '" + name + "'" + where + " needs " + std::to_string(length) +
             " bytes of data, the file ends " + std::to_string(b.size() - at - 8) + " bytes after its header";
    const bool critical = type[0] >= 'A' && type[0] <= 'Z';
    if (critical && chunk_crc(type, length) != be32(&b[at + 8 + length]))
      return "it is damaged: chunk '" + name + "'" + where + " fails its checksum (CRC)";
    at += 12 + static_cast<std::size_t>(length);
    if (name == "IEND") return "";
  }
}

std::vector<std::string> drop_damaged_ancillary_png_chunks(std::vector<std::uint8_t>& b) {
  std::vector<std::string> dropped;
  std::vector<std::pair<std::size_t, std::size_t>> ranges;  // [begin, end) of the chunks to remove
  for (std::size_t at = 8; at + 12 <= b.size();) {
    const std::uint32_t length = be32(&b[at]);
    const std::uint8_t* type = &b[at + 4];
    const std::size_t end = at + 12 + static_cast<std::size_t>(length);
    if (end > b.size()) return {};  // not a structurally sound PNG: leave it as it is
    const bool ancillary = type[0] >= 'a' && type[0] <= 'z';
    if (ancillary && chunk_crc(type, length) != be32(&b[at + 8 + length])) {
      dropped.push_back(std::string(reinterpret_cast<const char*>(type), 4) + " at byte " + std::to_string(at));
      ranges.emplace_back(at, end);
    }
    at = end;
  }
  for (auto r = ranges.rbegin(); r != ranges.rend(); ++r)  // from the back, so earlier offsets stay valid
    b.erase(b.begin() + static_cast<long>(r->first), b.begin() + static_cast<long>(r->second));
  return dropped;
}

std::string pnm_structure_problem(const std::vector<std::uint8_t>& b, std::uintmax_t file_size) {
  if (b.size() < 2 || b[0] != 'P' || (b[1] != '5' && b[1] != '6')) return "";  // ASCII or other: the decoder's
  std::size_t at = 2;
  long long v[3] = {0, 0, 0};
  for (long long& x : v) {
    while (at < b.size()) {  // white space and # comments
      if (b[at] == '#') {
        while (at < b.size() && b[at] != '\n') ++at;
      } else if (b[at] == ' ' || b[at] == '\t' || b[at] == '\r' || b[at] == '\n') {
        ++at;
      } else {
        break;
      }
    }
    if (at >= b.size() || b[at] < '0' || b[at] > '9')
      return "it is damaged: the header's width, height and maximum value do not parse";
    while (at < b.size() && b[at] >= '0' && b[at] <= '9' && x < 100000000) x = x * 10 + (b[at++] - '0');
  }
  if (v[0] <= 0 || v[1] <= 0 || v[2] <= 0 || v[2] > 65535)
    return "it is damaged: the header announces " + std::to_string(v[0]) + " x " + std::to_string(v[1]) +
           " pixels with maximum value " + std::to_string(v[2]);
  ++at;  // the single white-space byte before the pixels
  const std::uintmax_t need = static_cast<std::uintmax_t>(v[0]) * static_cast<std::uintmax_t>(v[1]) *
                              (v[2] > 255 ? 2u : 1u) * (b[1] == '6' ? 3u : 1u);
  if (at + need > file_size)
    return "it is truncated: the header announces " + std::to_string(v[0]) + " x " + std::to_string(v[1]) +
           " pixels (" + std::to_string(need) + " bytes), the file holds " +
           std::to_string(file_size > at ? file_size - at : 0) + " after its header";
  return "";
}

std::string tiff_structure_problem(const std::vector<std::uint8_t>& b) {
  if (b.size() < 8) return "it is truncated: the file ends inside the TIFF header";
  const bool le = b[0] == 'I' && b[1] == 'I', be = b[0] == 'M' && b[1] == 'M';
  if (!le && !be) return "";
  auto u16 = [&](std::size_t at) -> std::uint32_t {
    return le ? std::uint32_t{b[at]} | (std::uint32_t{b[at + 1]} << 8) : (std::uint32_t{b[at]} << 8) | b[at + 1];
  };
  auto u32 = [&](std::size_t at) -> std::uint32_t {
    return le ? u16(at) | (u16(at + 2) << 16) : (u16(at) << 16) | u16(at + 2);
  };
  if (u16(2) != 42) return "";  // BigTIFF (43) or something else: the decoder's
  const std::uint64_t ifd = u32(4);
  if (ifd + 2 > b.size())
    return "it is truncated or damaged: its first image directory (byte " + std::to_string(ifd) +
           ") lies beyond the end of the file (" + std::to_string(b.size()) + " bytes)";
  const std::uint32_t entries = u16(static_cast<std::size_t>(ifd));
  if (ifd + 2 + 12ull * entries > b.size())
    return "it is truncated: its first image directory runs past the end of the file";
  // the values of one entry (SHORT or LONG), inline or at their offset
  auto values = [&](std::size_t e, std::vector<std::uint64_t>& out) -> bool {
    const std::uint32_t type = u16(e + 2), count = u32(e + 4);
    const std::size_t size = type == 3 ? 2 : type == 4 ? 4 : 0;
    if (size == 0 || count > 1u << 24) return false;
    const std::uint64_t bytes = static_cast<std::uint64_t>(size) * count;
    const std::uint64_t at = bytes <= 4 ? e + 8 : u32(e + 8);
    if (at + bytes > b.size()) return false;
    out.resize(count);
    for (std::uint32_t i = 0; i < count; ++i)
      out[i] = size == 2 ? u16(static_cast<std::size_t>(at + 2ull * i)) : u32(static_cast<std::size_t>(at + 4ull * i));
    return true;
  };
  std::vector<std::uint64_t> offsets, counts;
  bool have_offsets = false, have_counts = false;
  for (std::uint32_t i = 0; i < entries; ++i) {
    const std::size_t e = static_cast<std::size_t>(ifd + 2 + 12ull * i);
    const std::uint32_t tag = u16(e);
    if (tag == 273 || tag == 324) {
      if (!values(e, offsets)) return "it is truncated or damaged: its list of image data offsets is unreadable";
      have_offsets = true;
    } else if (tag == 279 || tag == 325) {
      if (!values(e, counts)) return "it is truncated or damaged: its list of image data sizes is unreadable";
      have_counts = true;
    }
  }
  if (!have_offsets || !have_counts || offsets.size() != counts.size()) return "";  // the decoder's to judge
  for (std::size_t i = 0; i < offsets.size(); ++i)
    if (offsets[i] + counts[i] > b.size())
      return "it is truncated: image data block " + std::to_string(i + 1) + " of " + std::to_string(offsets.size()) +
             " (bytes " + std::to_string(offsets[i]) + "-" + std::to_string(offsets[i] + counts[i]) +
             ") runs past the end of the file (" + std::to_string(b.size()) + " bytes)";
  return "";
}

}  // namespace calcscope::io_detail
