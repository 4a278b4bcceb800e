// Portable hashes: the same values with every compiler, standard library and CPU, so that seeds and
// data splits made from them never change (phantoms, training samples, the INFN case halves).
#pragma once
#include <cstdint>
#include <string_view>

namespace calcscope {

/// splitmix64 (Steele, Lea and Flood 2014): mixes a 64-bit value into a well-spread one. Phantom
/// seeds, sub-sampling of training samples.
constexpr std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/// The value libstdc++'s std::hash<std::string> gives on a 64-bit machine (session 28 split the INFN
/// cases with it), computed portably: the same with any compiler, standard library or byte order.
std::uint64_t stable_string_hash(std::string_view s);

}  // namespace calcscope
