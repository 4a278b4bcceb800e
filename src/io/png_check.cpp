// PNG structure check before decoding (src/io/png_check.h).
#include "io/png_check.h"

#include <algorithm>
#include <array>

namespace calcscope::io_detail {

std::uint32_t crc32(const std::uint8_t* data, std::size_t n, std::uint32_t crc) {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (std::size_t i = 0; i < n; ++i) crc = table[(crc ^ data[i]) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

namespace {

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
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
    if (critical && crc32(type, 4 + static_cast<std::size_t>(length)) != be32(&b[at + 8 + length]))
      return "it is damaged: chunk '" + name + "'" + where + " fails its checksum (CRC)";
    at += 12 + static_cast<std::size_t>(length);
    if (name == "IEND") return "";
  }
}

}  // namespace calcscope::io_detail
