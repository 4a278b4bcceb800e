// Trained models compiled into the binary (generated from models/*.json by CMake).
#pragma once
#include <string>

namespace calcscope {
const std::string& embedded_model_calcification();  ///< empty when models/calcification.json is absent
const std::string& embedded_model_cluster();        ///< empty when models/cluster.json is absent
const std::string& embedded_model_calcification_digital();  ///< models/calcification-digital.json or empty
const std::string& embedded_model_cluster_digital();        ///< models/cluster-digital.json or empty
const std::string& embedded_model_calcification_patch();    ///< models/calcification-patch.json or empty
const std::string& embedded_model_speck_net();              ///< models/speck-net.json or empty
}  // namespace calcscope
