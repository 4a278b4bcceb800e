// Private to src/io: the structure of a PNG file checked before libpng sees it. libpng reports a damaged
// or truncated file by printing "libpng error: ..." on stderr, where a batch run's own messages go, and
// OpenCV then returns an empty image without saying what was wrong. Walking the chunks first lets the
// reader say it (which chunk, at which byte) and keeps stderr to our one message per file.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace calcscope::io_detail {

/// CRC-32 (ISO 3309 / ITU-T V.42, as PNG and zlib use): crc32("123456789") = 0xCBF43926. Pass the
/// previous value to continue over several buffers.
std::uint32_t crc32(const std::uint8_t* data, std::size_t n, std::uint32_t crc = 0);

/// Walks a PNG file's chunks from the signature to IEND. Returns "" when the structure holds, else
/// what is wrong, for a message: not a PNG signature, the first chunk is not IHDR, a chunk header or
/// body runs past the end of the file (truncated), an invalid chunk type or length, a critical chunk
/// (IHDR, PLTE, IDAT, IEND) whose CRC does not match, or no IEND. Ancillary chunks (text, colour
/// profile, ...) with a bad CRC are left to libpng, which skips them. Pure.
std::string png_structure_problem(const std::vector<std::uint8_t>& bytes);

}  // namespace calcscope::io_detail
