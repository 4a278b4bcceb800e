// Temporary: replaced by the assessment/report implementation (issue 4).
#include "calcscope/core/error.h"
#include "calcscope/report/reports.h"

namespace calcscope {

ReportRequest parse_report_request(const std::string& list) {
  ReportRequest r;
  std::size_t start = 0;
  while (start <= list.size()) {
    const auto end = list.find(',', start);
    const std::string word = list.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (word == "html") r.html = true;
    else if (word == "patient") r.patient = true;
    else if (word == "sr") r.sr = true;
    else if (!word.empty()) throw Error(ErrorCode::Usage, "unknown report '" + word + "': use html, patient, sr");
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return r;
}

nlohmann::json write_image_reports(const Image&, const AnalysisResult&, const ReportRequest&,
                                   const std::filesystem::path&, const std::string&) {
  return nlohmann::json::object();
}

nlohmann::json describe_and_assess(const Image&, const AnalysisResult&) { return nlohmann::json::object(); }

}  // namespace calcscope
