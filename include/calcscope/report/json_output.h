// The analysis JSON (schemas/analysis.schema.json): the contract outside tools rely on.
#pragma once
#include <filesystem>

#include <nlohmann/json.hpp>

#include "calcscope/pipeline/analyze.h"

namespace calcscope {

/// Version of the analysis JSON; bump on every change of fields (adding is a minor bump).
inline constexpr const char* kAnalysisSchemaVersion = "1.6.0";

nlohmann::json analysis_to_json(const AnalysisResult& result);

/// Writes `json` to `path` (pretty-printed). Throws Error(OutputFailed).
void write_json_file(const nlohmann::json& json, const std::filesystem::path& path);
/// Reads a JSON file. Throws Error(FileNotFound / InvalidData).
nlohmann::json read_json_file(const std::filesystem::path& path);

}  // namespace calcscope
