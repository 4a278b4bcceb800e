// Double reading: reader findings vs calcscope clusters (docs/compare.md, "Double reading").
#include "calcscope/compare/double_reading.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "calcscope/core/error.h"
#include "calcscope/sr/mammo_cad_sr.h"

namespace calcscope {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n\"");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n\"");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) out.push_back(trim(cell));
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

bool parse_number(const std::string& s, double& v) {
  if (s.empty()) return false;
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return end && *end == '\0' && std::isfinite(v);
}

std::string category_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int>());
  return {};
}

std::vector<ReaderFinding> read_json_findings(const std::filesystem::path& path, const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::InvalidData, std::string("reader findings are not valid JSON: ") + e.what(), path.string());
  }
  const nlohmann::json* list = j.is_array() ? &j : (j.contains("findings") ? &j["findings"] : nullptr);
  if (!list || !list->is_array())
    throw Error(ErrorCode::InvalidData, "reader findings JSON needs {\"findings\": [{\"x\", \"y\"} ...]}", path.string());
  std::vector<ReaderFinding> out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto& e = (*list)[i];
    ReaderFinding f;
    f.index = static_cast<int>(i) + 1;
    const std::string where = "reader finding " + std::to_string(f.index);
    if (!e.is_object()) throw Error(ErrorCode::InvalidData, where + " is not an object", path.string());
    auto num = [&](const char* key, double& v) {
      if (!e.contains(key)) return false;
      if (!e[key].is_number()) throw Error(ErrorCode::InvalidData, where + ": \"" + key + "\" must be a number", path.string());
      v = e[key].get<double>();
      return true;
    };
    const bool px = num("x", f.x) & num("y", f.y);
    const bool mm = num("x_mm", f.x_mm) & num("y_mm", f.y_mm);
    f.has_px = px, f.has_mm = mm;
    if (!px && !mm)
      throw Error(ErrorCode::InvalidData, where + " needs \"x\" and \"y\" (pixels) or \"x_mm\" and \"y_mm\"", path.string());
    num("radius_mm", f.radius_mm);
    if (e.contains("category")) f.category = category_text(e["category"]);
    if (e.contains("image") && e["image"].is_string()) f.image = e["image"].get<std::string>();
    if (e.contains("description") && e["description"].is_string()) f.description = e["description"].get<std::string>();
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<ReaderFinding> read_csv_findings(const std::filesystem::path& path, const std::string& text) {
  std::istringstream in(text);
  std::string line;
  std::map<std::string, std::size_t> column{{"x", 0}, {"y", 1}, {"radius_mm", 2}, {"category", 3}};
  bool header_done = false;
  int line_no = 0;
  std::vector<ReaderFinding> out;
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty() || trim(line)[0] == '#') continue;
    const auto cells = split_csv(line);
    double v = 0;
    if (!header_done && !parse_number(cells.empty() ? "" : cells[0], v)) {
      column.clear();
      for (std::size_t i = 0; i < cells.size(); ++i) {
        std::string name = cells[i];
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        if (name == "radius") name = "radius_mm";
        column[name] = i;
      }
      header_done = true;
      if (!(column.count("x") && column.count("y")) && !(column.count("x_mm") && column.count("y_mm")))
        throw Error(ErrorCode::InvalidData, "reader CSV header needs columns x,y or x_mm,y_mm", path.string());
      continue;
    }
    header_done = true;
    ReaderFinding f;
    f.index = static_cast<int>(out.size()) + 1;
    const std::string where = "line " + std::to_string(line_no);
    auto cell = [&](const std::string& name) -> std::string {
      const auto it = column.find(name);
      return it != column.end() && it->second < cells.size() ? cells[it->second] : std::string();
    };
    auto number = [&](const std::string& name, double& value) {
      const std::string c = cell(name);
      if (c.empty()) return false;
      if (!parse_number(c, value))
        throw Error(ErrorCode::InvalidData, where + ": '" + c + "' in column " + name + " is not a number", path.string());
      return true;
    };
    f.has_px = number("x", f.x) & number("y", f.y);
    f.has_mm = number("x_mm", f.x_mm) & number("y_mm", f.y_mm);
    if (!f.has_px && !f.has_mm)
      throw Error(ErrorCode::InvalidData, where + ": a finding needs x,y (pixels) or x_mm,y_mm", path.string());
    number("radius_mm", f.radius_mm);
    f.category = cell("category");
    f.image = cell("image");
    f.description = cell("description");
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<ReaderFinding> read_sr_findings(const std::filesystem::path& path) {
  const SrContent sr = read_mammo_cad_sr(path);
  std::vector<ReaderFinding> out;
  for (const auto& c : sr.clusters) {
    if (!c.has_centre) continue;
    ReaderFinding f;
    f.index = static_cast<int>(out.size()) + 1;
    f.has_px = true;
    f.x = c.centre.x, f.y = c.centre.y;
    f.image = c.image_sop_instance_uid;
    double spacing = 0;
    for (const auto& im : sr.images)
      if (im.sop_instance_uid == c.image_sop_instance_uid) spacing = im.pixel_spacing_mm;
    double r_px = 0;
    for (const auto& q : c.outline) r_px = std::max(r_px, std::hypot(q.x - c.centre.x, q.y - c.centre.y));
    if (spacing > 0) f.radius_mm = r_px * spacing;
    std::string words = c.type;
    if (!c.distribution.empty()) words += (words.empty() ? "" : ", ") + c.distribution;
    if (c.number_of_calcifications >= 0)
      words += (words.empty() ? "" : ", ") + std::to_string(c.number_of_calcifications) + " calcifications";
    if (c.probability_of_cancer_percent)
      words += (words.empty() ? "" : ", ") + std::string("probability of cancer ") +
               std::to_string(static_cast<int>(std::lround(*c.probability_of_cancer_percent))) + " %";
    if (!c.algorithm_name.empty()) words += " (" + c.algorithm_name + ")";
    f.description = words;
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace

std::vector<ReaderFinding> read_reader_findings(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path))
    throw Error(ErrorCode::FileNotFound, "reader findings file not found", path.string());
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::Unreadable, "cannot open the reader findings file", path.string());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() >= 132 && text.compare(128, 4, "DICM") == 0) return read_sr_findings(path);
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos)
    throw Error(ErrorCode::InvalidData, "the reader findings file is empty", path.string());
  if (text[first] == '{' || text[first] == '[') return read_json_findings(path, text);
  return read_csv_findings(path, text);
}

bool finding_on_image(const ReaderFinding& f, const std::string& file_name, const std::string& sop_instance_uid) {
  if (f.image.empty()) return true;
  if (!sop_instance_uid.empty() && f.image == sop_instance_uid) return true;
  const std::filesystem::path p(file_name);
  return f.image == file_name || f.image == p.filename().string() || f.image == p.stem().string();
}

ReadingComparison compare_readings(const std::vector<ReaderFinding>& reader, const std::vector<Cluster>& cad,
                                   double pixel_size_mm, const std::vector<ClusterDescription>& descriptions,
                                   const DoubleReadingParams& p) {
  if (pixel_size_mm <= 0) throw Error(ErrorCode::InvalidData, "double reading needs the image's pixel size");
  auto reader_mm = [&](const ReaderFinding& f) {
    return f.has_mm ? PointPx{f.x_mm, f.y_mm} : PointPx{f.x * pixel_size_mm, f.y * pixel_size_mm};
  };
  auto describe = [&](const Cluster& c, ReadingEntry& e) {
    e.cad_cluster_id = c.id;
    e.cad_score = c.score;
    e.cad_count = c.count;
    for (const auto& d : descriptions)
      if (d.cluster_id == c.id) {
        e.cad_category = d.category;
        e.cad_description = d.morphology;
        if (!d.distribution.empty()) e.cad_description += (e.cad_description.empty() ? "" : ", ") + d.distribution;
        if (!d.reason.empty()) e.cad_description += (e.cad_description.empty() ? "" : ": ") + d.reason;
      }
  };
  const auto marks = [&] {
    std::vector<std::size_t> m;
    for (std::size_t i = 0; i < cad.size(); ++i)
      if (p.cad_min_score < 0 || cad[i].score >= p.cad_min_score) m.push_back(i);
    return m;
  }();
  auto distance = [&](const ReaderFinding& f, const Cluster& c) {
    const PointPx a = reader_mm(f);
    return std::hypot(a.x - c.x * pixel_size_mm, a.y - c.y * pixel_size_mm);
  };
  auto tolerance = [&](const ReaderFinding& f, const Cluster& c) {
    return std::max({p.match_distance_mm, f.radius_mm, c.radius_mm}) + p.match_margin_mm;
  };
  // greedy one-to-one by distance
  struct Cand {
    double d;
    std::size_t r, m;
  };
  std::vector<Cand> cands;
  for (std::size_t r = 0; r < reader.size(); ++r)
    for (std::size_t m = 0; m < marks.size(); ++m) {
      const double d = distance(reader[r], cad[marks[m]]);
      if (d <= tolerance(reader[r], cad[marks[m]])) cands.push_back({d, r, m});
    }
  std::sort(cands.begin(), cands.end(), [](const Cand& a, const Cand& b) {
    return a.d != b.d ? a.d < b.d : (a.r != b.r ? a.r < b.r : a.m < b.m);
  });
  std::vector<int> reader_match(reader.size(), -1), mark_match(marks.size(), -1);
  for (const auto& c : cands)
    if (reader_match[c.r] < 0 && mark_match[c.m] < 0)
      reader_match[c.r] = static_cast<int>(c.m), mark_match[c.m] = static_cast<int>(c.r);

  ReadingComparison out;
  auto reader_entry = [&](std::size_t r, const char* agreement) {
    ReadingEntry e;
    e.agreement = agreement;
    e.reader_index = reader[r].index;
    const PointPx mm = reader_mm(reader[r]);
    e.x_mm = mm.x, e.y_mm = mm.y, e.x = mm.x / pixel_size_mm, e.y = mm.y / pixel_size_mm;
    e.reader_category = reader[r].category;
    return e;
  };
  for (std::size_t r = 0; r < reader.size(); ++r) {
    if (reader_match[r] < 0) continue;
    ReadingEntry e = reader_entry(r, "concordant");
    const Cluster& c = cad[marks[static_cast<std::size_t>(reader_match[r])]];
    describe(c, e);
    e.distance_mm = distance(reader[r], c);
    out.entries.push_back(std::move(e));
    ++out.concordant;
  }
  for (std::size_t r = 0; r < reader.size(); ++r) {
    if (reader_match[r] >= 0) continue;
    ReadingEntry e = reader_entry(r, "reader_only");
    // the CAD's own view of that place: the best cluster below the mark threshold nearby, if any
    const Cluster* best = nullptr;
    for (const auto& c : cad)
      if (distance(reader[r], c) <= tolerance(reader[r], c) && (!best || c.score > best->score)) best = &c;
    if (best) {
      describe(*best, e);
      e.distance_mm = distance(reader[r], *best);
    }
    out.entries.push_back(std::move(e));
    ++out.reader_only;
  }
  for (std::size_t m = 0; m < marks.size(); ++m) {
    if (mark_match[m] >= 0) continue;
    const Cluster& c = cad[marks[m]];
    ReadingEntry e;
    e.agreement = "cad_only";
    e.x = c.x, e.y = c.y, e.x_mm = c.x * pixel_size_mm, e.y_mm = c.y * pixel_size_mm;
    describe(c, e);
    out.entries.push_back(std::move(e));
    ++out.cad_only;
  }
  return out;
}

nlohmann::json to_json(const ReadingComparison& r) {
  nlohmann::json entries = nlohmann::json::array(), arbitration = nlohmann::json::array();
  for (const auto& e : r.entries) {
    nlohmann::json j{{"agreement", e.agreement},
                     {"reader_index", e.reader_index},
                     {"cad_cluster_id", e.cad_cluster_id},
                     {"x", e.x},
                     {"y", e.y},
                     {"x_mm", e.x_mm},
                     {"y_mm", e.y_mm},
                     {"reader_category", e.reader_category},
                     {"cad_score", e.cad_score},
                     {"cad_count", e.cad_count},
                     {"cad_category", e.cad_category},
                     {"cad_description", e.cad_description}};
    if (e.distance_mm >= 0) j["distance_mm"] = e.distance_mm;
    if (e.agreement != "concordant") arbitration.push_back(j);
    entries.push_back(std::move(j));
  }
  return {{"summary", {{"concordant", r.concordant}, {"reader_only", r.reader_only}, {"cad_only", r.cad_only}}},
          {"findings", entries},
          {"arbitration", arbitration}};
}

std::string reading_table(const ReadingComparison& r) {
  std::string out = "agreement    reader  cad  x_mm    y_mm    reader_cat  cad_score  cad_cat  cad_description\n";
  char buf[512];
  for (const auto& e : r.entries) {
    std::snprintf(buf, sizeof buf, "%-12s %-7s %-4s %-7.1f %-7.1f %-11s %-10s %-8s %s\n", e.agreement.c_str(),
                  e.reader_index ? std::to_string(e.reader_index).c_str() : "-",
                  e.cad_cluster_id ? std::to_string(e.cad_cluster_id).c_str() : "-", e.x_mm, e.y_mm,
                  e.reader_category.empty() ? "-" : e.reader_category.c_str(),
                  e.cad_score >= 0 ? std::to_string(e.cad_score).substr(0, 4).c_str() : "-",
                  e.cad_category.empty() ? "-" : e.cad_category.c_str(), e.cad_description.c_str());
    out += buf;
  }
  std::snprintf(buf, sizeof buf, "%d concordant, %d reader-only, %d CAD-only\n", r.concordant, r.reader_only, r.cad_only);
  return out + buf;
}

}  // namespace calcscope
