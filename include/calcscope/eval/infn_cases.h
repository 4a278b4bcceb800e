// The two halves of the INFN cases: half 0 teaches the candidate-patch network real tissue
// (`calcscope train --speck-net-infn`), half 1 is kept out and scored alone (`calcscope eval
// --infn-case-half 1`).
#pragma once
#include <string>

namespace calcscope {

/// 0 or 1: the half of the INFN cases (the first 4 characters of a patch's file name or stem) a patch
/// belongs to. Half 0's normal patches are the candidate-patch network's real-tissue negatives
/// (TrainOptions::speck_net_infn_dir); half 1 is kept out, and `calcscope eval --infn-case-half 1`
/// scores it alone. splitmix64 of stable_string_hash() of the case string (core/hash.h).
int speck_net_infn_case_half(const std::string& file_name);

}  // namespace calcscope
