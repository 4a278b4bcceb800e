// Portable hashes (include/calcscope/core/hash.h).
#include "calcscope/core/hash.h"

#include <cstddef>

namespace calcscope {

std::uint64_t stable_string_hash(std::string_view s) {
  // libstdc++'s std::_Hash_bytes for 64-bit size_t (MurmurHash2-64A with its seed), written out with
  // explicit little-endian loads so the value is the same with every compiler, library and CPU.
  constexpr std::uint64_t mul = (std::uint64_t{0xc6a4a793} << 32) + 0x5bd1e995;
  const auto shift_mix = [](std::uint64_t v) { return v ^ (v >> 47); };
  const auto load = [&](std::size_t at, std::size_t n) {
    std::uint64_t r = 0;
    for (std::size_t k = n; k-- > 0;) r = (r << 8) + static_cast<unsigned char>(s[at + k]);
    return r;
  };
  const std::size_t len = s.size(), aligned = len & ~std::size_t{7};
  std::uint64_t hash = std::uint64_t{0xc70f6907} ^ (static_cast<std::uint64_t>(len) * mul);
  for (std::size_t p = 0; p < aligned; p += 8) {
    hash ^= shift_mix(load(p, 8) * mul) * mul;
    hash *= mul;
  }
  if (len & 7) {
    hash ^= load(aligned, len & 7);
    hash *= mul;
  }
  hash = shift_mix(hash) * mul;
  return shift_mix(hash);
}

}  // namespace calcscope
