// Private to src/io: small helpers shared by the readers and writers.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "calcscope/core/error.h"

namespace calcscope::io_detail {

/// Throws FileNotFound / Unreadable when `path` does not exist, is a directory, cannot be
/// opened or is empty. Returns the file size in bytes.
std::uintmax_t check_input_file(const std::filesystem::path& path);

/// Reads up to `n` bytes from the start of the file (fewer if the file is shorter).
std::vector<std::uint8_t> read_head(const std::filesystem::path& path, std::size_t n);

/// Lower-case extension with the dot (".png"), or "".
std::string lower_extension(const std::filesystem::path& path);

/// The file name as the user passed it, for messages.
inline std::string display_name(const std::filesystem::path& path) { return path.string(); }

}  // namespace calcscope::io_detail
