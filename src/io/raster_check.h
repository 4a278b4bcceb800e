// Private to src/io: the structure of a PNG, PGM/PPM or TIFF file checked before OpenCV decodes it.
// A damaged or truncated file makes the decoders print on stderr ("libpng error: ...", OpenCV's
// "imread_(...): can't read data: ..."), where a batch run's own messages go, and OpenCV then returns
// an empty image without saying what was wrong. Checking the structure first lets the reader say it
// (which part, at which byte) and keeps stderr to our one message per file. Damage inside compressed
// data that keeps the structure intact is found for TIFF by decoding it with libtiff first
// (tiff_decode_problem()); for PNG the chunk checksums find it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace calcscope::io_detail {

/// Walks a PNG file's chunks from the signature to IEND. Returns "" when the structure holds, else
/// what is wrong, for a message: not a PNG signature, the first chunk is not IHDR, a chunk header or
/// body runs past the end of the file (truncated), an invalid chunk type or length, a critical chunk
/// (IHDR, PLTE, IDAT, IEND) whose CRC does not match, or no IEND. Ancillary chunks (text, colour
/// profile, ...) with a bad CRC are not a problem here: drop_damaged_ancillary_png_chunks() removes them. Pure.
std::string png_structure_problem(const std::vector<std::uint8_t>& bytes);

/// Removes from a PNG that passed png_structure_problem() every ancillary chunk whose CRC does not match
/// (libpng would skip it with a warning on stderr) and returns one description per chunk removed
/// ("tEXt at byte 33"), for the image's warnings.
std::vector<std::string> drop_damaged_ancillary_png_chunks(std::vector<std::uint8_t>& bytes);

/// Binary PGM/PPM (P5, P6): the header's width, height and maxval must parse, and the file must hold
/// the pixel bytes they announce. `head` holds at least the file's first 1024 bytes (or all of it).
/// ASCII variants (P2, P3) are left to the decoder. Returns "" or what is wrong. Pure.
std::string pnm_structure_problem(const std::vector<std::uint8_t>& head, std::uintmax_t file_size);

/// Baseline TIFF (II / MM; BigTIFF is left to the decoder): the first image directory must lie in the
/// file, and every strip or tile it lists (StripOffsets + StripByteCounts, TileOffsets +
/// TileByteCounts) must end inside the file. Returns "" or what is wrong. Pure.
std::string tiff_structure_problem(const std::vector<std::uint8_t>& bytes);

/// Decodes every strip or tile of a TIFF's first image with libtiff (src/io/tiff_decode_check.cpp),
/// its errors kept from stderr. Returns "" when they decode (or when the image is too large to be worth
/// decoding twice: over 65535 pixels a side or a 1 GB strip, which the reader's size check reports),
/// else which strip or tile failed and libtiff's first error, for a message.
std::string tiff_decode_problem(const std::vector<std::uint8_t>& bytes);

}  // namespace calcscope::io_detail
