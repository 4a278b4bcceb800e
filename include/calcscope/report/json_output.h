// The analysis JSON (schemas/analysis.schema.json): the contract outside tools rely on.
#pragma once
#include <filesystem>

#include <nlohmann/json.hpp>

#include "calcscope/pipeline/analyze.h"

namespace calcscope {

/// Version of the analysis JSON; bump on every change of fields (adding is a minor bump).
inline constexpr const char* kAnalysisSchemaVersion = "1.6.0";

nlohmann::json analysis_to_json(const AnalysisResult& result);

/// The text of `json` for a file or a response: indented by `indent` (-1 = one line). Strings that are
/// not valid UTF-8 (a file name or header we did not sanitise) get U+FFFD for the bad bytes instead
/// of failing the whole output.
std::string json_text(const nlohmann::json& json, int indent = 1);

/// Writes json_text(json) to `path`. Throws Error(OutputFailed); nothing is created when the text
/// cannot be made.
void write_json_file(const nlohmann::json& json, const std::filesystem::path& path);
/// Reads a JSON file. Throws Error(FileNotFound / InvalidData).
nlohmann::json read_json_file(const std::filesystem::path& path);

}  // namespace calcscope
