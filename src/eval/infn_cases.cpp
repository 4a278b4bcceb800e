// The INFN case halves (include/calcscope/eval/infn_cases.h).
#include "calcscope/eval/infn_cases.h"

#include "calcscope/core/hash.h"

namespace calcscope {

int speck_net_infn_case_half(const std::string& file_name) {
  return static_cast<int>(splitmix64(stable_string_hash(file_name.substr(0, 4))) % 2);
}

}  // namespace calcscope
