#include "io/io_common.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace calcscope::io_detail {

std::uintmax_t check_input_file(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  const std::string name = display_name(path);
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory)
      throw Error(ErrorCode::Unreadable, "cannot access the file (" + ec.message() + "): check its permissions", name);
    throw Error(ErrorCode::FileNotFound,
                "file not found: check the path and the spelling (relative paths start from the current directory)",
                name);
  }
  if (fs::is_directory(st))
    throw Error(ErrorCode::Unreadable, "is a directory, not a file: pass the image files inside it", name);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    throw Error(ErrorCode::Unreadable,
                std::string("cannot open the file for reading (") + std::strerror(err) +
                    "): check its permissions and that the disk is readable",
                name);
  }
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec)
    throw Error(ErrorCode::Unreadable, "cannot determine the file size (" + ec.message() + ")", name);
  if (size == 0)
    throw Error(ErrorCode::Unreadable,
                "the file is empty (0 bytes): the copy or download was probably interrupted; copy it again",
                name);
  return size;
}

std::vector<std::uint8_t> read_head(const std::filesystem::path& path, std::size_t n) {
  std::vector<std::uint8_t> buf(n);
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(ErrorCode::Unreadable, "cannot open the file for reading: check its permissions",
                display_name(path));
  in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(n));
  buf.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return buf;
}

std::string lower_extension(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

}  // namespace calcscope::io_detail
