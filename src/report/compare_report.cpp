// The radiologist's comparison report (<stem>.compare.html) and the file writer of the comparison
// reports. Pictures and text helpers are shared with the image report (html_images.h, html_common.h).
#include "calcscope/report/compare_report.h"

#include <algorithm>
#include <sstream>

#include "calcscope/assess/assess.h"
#include "calcscope/core/error.h"
#include "calcscope/sr/compare_sr.h"
#include "html_common.h"
#include "html_images.h"

namespace calcscope {
namespace {

using report_detail::cat_span;
using report_detail::fixed;
using report_detail::words;

constexpr const char* kCompareCss = R"css(
.pair{display:flex;gap:12px;align-items:flex-start} .pair figure{flex:1 1 0;min-width:0}
.pair img.overview{width:100%}
.chg{font-weight:700;color:#fff;border-radius:4px;padding:1px 6px;white-space:nowrap}
.cmp{display:flex;gap:10px;align-items:flex-start;margin:10px 0;padding:8px;border:1px solid #ddd;border-radius:6px}
.cmp figure figcaption{max-width:260px} .arrow{font-size:1.6em;align-self:center;color:#555}
ul.changes{margin:4px 0 0 0;padding-left:20px}
)css";

const Cluster* find_cluster(const AnalysisResult& a, int id) {
  if (id == 0) return nullptr;
  for (const auto& c : a.clusters)
    if (c.id == id) return &c;
  return nullptr;
}

const Calcification* find_calc(const AnalysisResult& a, int id) {
  for (const auto& k : a.calcifications)
    if (k.id == id) return &k;
  return nullptr;
}

std::string date_or_unknown(const std::string& d) { return d.empty() ? std::string("date unknown") : d; }

std::string change_span(const std::string& change) {
  return "<span class=\"chg\" style=\"background:" + change_colour(change) + "\">" + html_escape(change) + "</span>";
}

/// The prior an entry of run.change.clusters refers to (index into run.priors; 0 = most recent).
std::size_t prior_of(const CompareRun& run, const ClusterChange& c) {
  return c.prior_index >= 0 && static_cast<std::size_t>(c.prior_index) < run.priors.size()
             ? static_cast<std::size_t>(c.prior_index) : 0;
}

/// Members of the reported clusters (what the overview marks as calcifications).
std::vector<PointPx> reported_members(const AnalysisResult& a, double cut) {
  std::vector<PointPx> out;
  for (const auto& cl : a.clusters) {
    if (cl.score < cut) continue;
    for (int id : cl.calcification_ids)
      if (const Calcification* k = find_calc(a, id)) out.push_back({k->x, k->y});
  }
  return out;
}

std::vector<report_detail::ImageSpot> member_spots(const Image& image, const AnalysisResult& a, const Cluster* cl) {
  std::vector<report_detail::ImageSpot> out;
  if (!cl) return out;
  for (int id : cl->calcification_ids)
    if (const Calcification* k = find_calc(a, id)) out.push_back({{k->x, k->y}, image.mm_to_px(k->diameter_mm)});
  return out;
}

/// Where a finding lies in the prior image `pi` (pixels): its matched position, or the current
/// position mapped back by the registration.
PointPx prior_position(const CompareRun& run, const ClusterChange& c, std::size_t pi) {
  if (c.has_prior_position && pi == prior_of(run, c)) return c.prior_px;
  return run.registrations[pi].current_px_to_prior_px(c.current_px);
}

/// The finding's radius in mm now / then (cluster radius, else half its extent, else 3 mm).
double radius_mm(const Cluster* cl, double extent_mm) {
  if (cl && cl->radius_mm > 0) return cl->radius_mm;
  return extent_mm > 0 ? extent_mm / 2 : 3.0;
}

std::string assessment_section(const CompareRun& run) {
  const AssessmentChange& a = run.assessment;
  const std::string before = a.category_before.empty() ? run.current_description.assessment.category : a.category_before;
  const std::string after = a.category_after.empty() ? before : a.category_after;
  std::ostringstream h;
  h << "<div class=\"assess\" id=\"assessment\"><div class=\"badge\" style=\"background:"
    << report_detail::category_colour(before) << "\" title=\"before the comparison\">" << html_escape(before.empty() ? "-" : before)
    << "</div><div class=\"arrow\">&rarr;</div><div class=\"badge\" style=\"background:"
    << report_detail::category_colour(after) << "\" title=\"after the comparison\">" << html_escape(after.empty() ? "-" : after)
    << "</div><div><b>Assessment with the priors: BI-RADS <span id=\"category-after\">" << html_escape(after)
    << "</span>";
  if (!after.empty()) h << " &mdash; " << html_escape(category_info(after).name);
  h << "</b><br>This image alone: BI-RADS <span id=\"category-before\">" << html_escape(before) << "</span>";
  if (!run.current_description.assessment.reason.empty())
    h << " <span class=\"meta\">(" << html_escape(run.current_description.assessment.reason) << ")</span>";
  h << "<br><b>Recommendation:</b> "
    << html_escape(a.recommendation_text.empty() ? run.current_description.assessment.recommendation.text
                                                 : a.recommendation_text);
  if (!a.next_follow_up_date.empty())
    h << "<br><b>Next follow-up:</b> <span id=\"next-follow-up\">" << html_escape(a.next_follow_up_date) << "</span>";
  if (!a.changes.empty()) {
    h << "<ul class=\"changes\">";
    for (const auto& c : a.changes) h << "<li>" << html_escape(c) << "</li>";
    h << "</ul>";
  }
  h << "</div></div>\n";
  return h.str();
}

std::string priors_table(const CompareRun& run) {
  std::ostringstream h;
  h << "<h2>Priors</h2><table id=\"priors\"><thead><tr><th>Prior</th><th>Date</th><th>Months before</th><th>File</th>"
       "<th>Registration (prior &rarr; current)</th><th>Quality</th><th>Warnings</th></tr></thead><tbody>\n";
  for (std::size_t i = 0; i < run.priors.size(); ++i) {
    const auto& p = run.priors[i];
    const auto& r = run.registrations[i];
    h << "<tr><td>" << (i == 0 ? "most recent" : std::to_string(i + 1)) << "</td><td>" << html_escape(date_or_unknown(p.date))
      << "</td><td>";
    if (!p.date.empty() && !run.current.date.empty()) h << fixed(months_between(p.date, run.current.date), 0);
    else h << "-";
    h << "</td><td>" << html_escape(p.file) << "</td><td>rotation " << fixed(r.transform.rotation_deg, 1)
      << "&deg;, scale " << fixed(r.transform.scale, 3) << ", shift (" << fixed(r.transform.shift_x_mm, 1) << ", "
      << fixed(r.transform.shift_y_mm, 1) << ") mm, " << html_escape(r.method) << "</td><td>" << fixed(r.quality, 2)
      << " (mask overlap " << fixed(r.mask_overlap, 2) << ")</td><td>";
    for (const auto& w : r.warnings) h << html_escape(w) << "; ";
    h << "</td></tr>\n";
  }
  h << "</tbody></table>\n";
  return h.str();
}

std::string side_by_side(const CompareRun& run) {
  std::ostringstream h;
  const Image* now = run.current.image;
  const Image* then = run.priors.empty() ? nullptr : run.priors.front().image;
  if (!now || !then || now->empty() || then->empty()) {
    h << "<p class=\"meta\">(image pixels not available for display)</p>\n";
    return h.str();
  }
  std::vector<report_detail::ImageMark> marks_now, marks_then;
  int n = 0;
  for (const auto& c : run.change.clusters) {
    ++n;
    const std::string col = change_colour(c.change);
    const std::string label = std::to_string(n);
    if (c.change != "resolved") {
      const Cluster* cl = find_cluster(run.current_analysis, c.current_cluster_id);
      marks_now.push_back({c.current_px, now->mm_to_px(radius_mm(cl, c.extent_mm_now) + 2),
                           cl ? cl->outline : std::vector<PointPx>{}, label, col});
    }
    // the most recent prior: matched findings and resolved ones at their prior position
    if (c.change != "new" && prior_of(run, c) == 0) {
      const Cluster* pl = find_cluster(run.prior_analyses[0], c.prior_cluster_id);
      marks_then.push_back({prior_position(run, c, 0), then->mm_to_px(radius_mm(pl, c.extent_mm_then) + 2),
                            pl ? pl->outline : std::vector<PointPx>{}, label, col});
    }
  }
  const std::string uri_now = report_detail::marked_overview_png_data_uri(
      *now, run.current_analysis.region.skin_line, reported_members(run.current_analysis, run.report_min_cluster_score),
      marks_now, 900);
  const std::string uri_then = report_detail::marked_overview_png_data_uri(
      *then, run.prior_analyses[0].region.skin_line,
      reported_members(run.prior_analyses[0], run.report_min_cluster_score), marks_then, 900);
  h << "<h2>Current and prior</h2>\n<div class=\"pair\" id=\"side-by-side\">"
    << "<figure><img class=\"overview current\" alt=\"current image with marks\" src=\"" << uri_now
    << "\"><figcaption><b>Current</b> (" << html_escape(date_or_unknown(run.current.date)) << "): "
    << html_escape(run.current.file) << "</figcaption></figure>"
    << "<figure><img class=\"overview prior\" alt=\"prior image with marks\" src=\"" << uri_then
    << "\"><figcaption><b>Prior</b> (" << html_escape(date_or_unknown(run.priors.front().date)) << "): "
    << html_escape(run.priors.front().file) << "</figcaption></figure></div>\n"
    << "<p class=\"meta\">The same number and colour mark the same finding in both images. Colours: "
    << change_span("new") << " (current image only) " << change_span("increased") << " " << change_span("stable") << " "
    << change_span("decreased") << " " << change_span("resolved")
    << " (prior image only, at its prior position). Yellow circles: calcifications of the reported clusters; green: "
       "breast outline.</p>\n";
  return h.str();
}

/// An extent, "-" when there was no cluster to measure (counts from pixel evidence only).
std::string extent_text(double mm) { return mm > 0 ? fixed(mm, 1) : std::string("-"); }
std::string over_mm(double mm) { return mm > 0 ? " over " + fixed(mm, 1) + " mm" : std::string(); }

std::string count_pair(int then, int now) { return std::to_string(then) + " &rarr; " + std::to_string(now); }

std::string text_pair(const std::string& then, const std::string& now, bool changed) {
  if (then.empty() && now.empty()) return "-";
  if (then.empty() || then == now) return html_escape(words(now));
  return (changed ? "<b>" : "") + html_escape(words(then.empty() ? "?" : then)) + " &rarr; " +
         html_escape(words(now.empty() ? "?" : now)) + (changed ? "</b>" : "");
}

const ClusterAssessmentChange* assessment_of(const CompareRun& run, std::size_t i, const ClusterChange& c) {
  // assess_changes keeps the order of the comparison's clusters; check the ids anyway
  if (i < run.assessment.clusters.size() && run.assessment.clusters[i].current_cluster_id == c.current_cluster_id &&
      run.assessment.clusters[i].prior_cluster_id == c.prior_cluster_id && run.assessment.clusters[i].change == c.change)
    return &run.assessment.clusters[i];
  for (const auto& a : run.assessment.clusters)
    if (a.current_cluster_id == c.current_cluster_id && a.prior_cluster_id == c.prior_cluster_id && a.change == c.change)
      return &a;
  return nullptr;
}

std::string findings_table(const CompareRun& run) {
  std::ostringstream h;
  h << "<h2>Compared clusters</h2>\n<table class=\"findings\" id=\"compare-findings\"><thead><tr><th>#</th><th>Change</th>"
       "<th>Position now</th><th>Count then &rarr; now</th><th>Extent then &rarr; now (mm)</th>"
       "<th>Calcifications new / persisting / gone</th><th>Stable since</th><th>First seen</th>"
       "<th>Morphology</th><th>Distribution</th><th>Category before &rarr; after</th><th>Next follow-up</th></tr>"
       "</thead><tbody>\n";
  if (run.change.clusters.empty())
    h << "<tr><td colspan=\"12\">No calcification cluster in the current image or the priors.</td></tr>\n";
  int n = 0;
  for (std::size_t i = 0; i < run.change.clusters.size(); ++i) {
    const auto& c = run.change.clusters[i];
    const ClusterAssessmentChange* a = assessment_of(run, i, c);
    ++n;
    h << "<tr class=\"finding\" data-change=\"" << html_escape(c.change) << "\"><td>" << n << "</td><td class=\"change\">"
      << change_span(c.change) << "</td><td>x " << fixed(c.x_mm, 1) << " mm, y " << fixed(c.y_mm, 1) << " mm<br>"
      << "<span class=\"meta\">(" << fixed(c.current_px.x, 0) << ", " << fixed(c.current_px.y, 0) << ") px";
    if (c.current_cluster_id) h << ", cluster " << c.current_cluster_id;
    if (c.prior_cluster_id) h << "; prior cluster " << c.prior_cluster_id;
    h << "</span></td><td>" << count_pair(c.count_then, c.count_now) << "</td><td>" << extent_text(c.extent_mm_then)
      << " &rarr; " << extent_text(c.extent_mm_now) << "</td><td>" << c.calcifications_new << " / "
      << c.calcifications_persisting << " / " << c.calcifications_gone << "</td><td>"
      << html_escape(c.stable_since.empty() ? std::string("-") : c.stable_since) << "</td><td>"
      << html_escape(c.first_seen.empty() ? std::string("-") : c.first_seen) << "</td><td>"
      << text_pair(c.morphology_then, c.morphology_now, c.morphology_changed) << "</td><td>"
      << text_pair(c.distribution_then, c.distribution_now, c.distribution_changed) << "</td><td>";
    if (a && (!a->category_before.empty() || !a->category_after.empty())) {
      if (!a->category_before.empty()) h << cat_span(a->category_before);
      if (a->category_after != a->category_before && !a->category_after.empty())
        h << " &rarr; " << cat_span(a->category_after);
    } else {
      h << "-";
    }
    h << "</td><td>";
    if (a && !a->follow_up.empty()) {
      for (std::size_t k = 0; k < a->follow_up.size(); ++k)
        h << (k ? ", " : "") << a->follow_up[k].months_from_baseline << " mo"
          << (a->follow_up[k].date.empty() ? std::string() : " (" + html_escape(a->follow_up[k].date) + ")");
    } else {
      h << "-";
    }
    h << "</td></tr>\n<tr><td></td><td class=\"reason\" colspan=\"11\"><b>Change:</b> " << html_escape(c.reason);
    if (a && !a->reason.empty()) h << ". <b>Assessment:</b> " << html_escape(a->reason);
    if (c.match_distance_mm >= 0) h << ". <b>Match distance:</b> " << fixed(c.match_distance_mm, 1) << " mm";
    if (c.group_clusters_now > 1 || c.group_clusters_then > 1)
      h << ". <b>Grouped:</b> " << c.group_clusters_now << " cluster(s) now, " << c.group_clusters_then << " then";
    if (c.history.size() > 1) {
      h << ". <b>History:</b>";
      for (const auto& p : c.history)
        h << " " << html_escape(date_or_unknown(p.date)) << " " << html_escape(p.change) << " (" << p.count_then << ");";
    }
    h << "</td></tr>\n";
  }
  h << "</tbody></table>\n";
  return h.str();
}

std::string crops_section(const CompareRun& run) {
  const Image* now = run.current.image;
  if (!now || now->empty() || run.change.clusters.empty()) return {};
  std::ostringstream h;
  h << "<h2>Clusters now and then, magnified</h2>\n";
  int n = 0;
  for (const auto& c : run.change.clusters) {
    ++n;
    const std::size_t pi = prior_of(run, c);
    const Image* then = run.priors[pi].image;
    const Cluster* cl = c.change == "resolved" ? nullptr : find_cluster(run.current_analysis, c.current_cluster_id);
    const Cluster* pl = c.change == "new" ? nullptr : find_cluster(run.prior_analyses[pi], c.prior_cluster_id);
    const double r_now = radius_mm(cl, c.extent_mm_now), r_then = radius_mm(pl, c.extent_mm_then);
    // the same field of view in both, so sizes compare directly
    const double half_mm = std::max(report_detail::cluster_crop_half_mm(r_now), report_detail::cluster_crop_half_mm(r_then));
    const std::string col = change_colour(c.change);
    const std::string uri_now = report_detail::crop_png_data_uri(
        *now, c.current_px, half_mm, member_spots(*now, run.current_analysis, cl),
        {{c.current_px, now->mm_to_px(r_now + 1), {}, "", col}}, 300);
    h << "<div class=\"cmp\" id=\"cmp-" << n << "\"><div><b>#" << n << "</b><br>" << change_span(c.change) << "</div>";
    if (then && !then->empty()) {
      const PointPx at_then = prior_position(run, c, pi);
      const std::string uri_then = report_detail::crop_png_data_uri(
          *then, at_then, half_mm, member_spots(*then, run.prior_analyses[pi], pl),
          {{at_then, then->mm_to_px(r_then + 1), {}, "", col}}, 300);
      h << "<figure><img class=\"crop prior\" alt=\"finding " << n << " then\" src=\"" << uri_then
        << "\"><figcaption>Then (" << html_escape(date_or_unknown(run.priors[pi].date)) << "): ";
      if (c.change == "new") h << "no reported cluster here (position mapped from the current image)";
      else h << c.count_then << " calcifications" << over_mm(c.extent_mm_then);
      h << "</figcaption></figure><div class=\"arrow\">&rarr;</div>";
    }
    h << "<figure><img class=\"crop current\" alt=\"finding " << n << " now\" src=\"" << uri_now
      << "\"><figcaption>Now (" << html_escape(date_or_unknown(run.current.date)) << "): ";
    if (c.change == "resolved") h << "no longer seen (position mapped from the prior)";
    else h << c.count_now << " calcifications" << over_mm(c.extent_mm_now);
    h << "</figcaption></figure></div>\n";
  }
  return h.str();
}

std::string method_section(const CompareRun& run) {
  std::ostringstream h;
  h << "<h2>Method</h2><p class=\"meta\">Algorithm: calcscope " << CALCSCOPE_VERSION
    << " (registration by a similarity transform, clusters grouped and compared by counts and pixel evidence; "
       "docs/compare.md). Scoring models: "
    << html_escape(run.current_analysis.models.empty() ? std::string("n/a") : run.current_analysis.models)
    << ". Reported clusters score at least " << fixed(run.report_min_cluster_score, 2)
    << ". Change labels refer to the most recent prior; the positions of the prior are mapped into the current "
       "image by the registration (residual misalignment of a few mm is normal: tissue deforms between exams).</p>\n";
  return h.str();
}

void check_run(const CompareRun& run) {
  if (run.priors.empty() || run.registrations.size() != run.priors.size() || run.prior_analyses.size() != run.priors.size())
    throw Error(ErrorCode::Usage, "the comparison report needs a comparison with at least one prior (compare_exams)");
}

}  // namespace

std::string change_colour(const std::string& change) {
  if (change == "new") return "#d62728";
  if (change == "increased") return "#e8710a";
  if (change == "stable") return "#2e8b57";
  if (change == "decreased") return "#1f6fd1";
  return "#7a7a7a";  // resolved
}

std::string compare_report_html(const CompareRun& run) {
  check_run(run);
  ImageInfo info = run.current_analysis.image_meta_only.info;
  if (!run.current.date.empty()) {  // the exam date the comparison used (--current-date or StudyDate)
    info.study_date = run.current.date;
    info.study_date.erase(std::remove(info.study_date.begin(), info.study_date.end(), '-'), info.study_date.end());
  }
  std::ostringstream h;
  h << report_detail::page_head("calcscope comparison report", kCompareCss)
    << "<h1>Calcifications: comparison with prior mammograms (computer second reading)</h1>\n"
    << report_detail::identity(info) << "<p class=\"meta\">Current exam: " << html_escape(date_or_unknown(run.current.date))
    << " &middot; compared with " << run.priors.size() << (run.priors.size() == 1 ? " prior" : " priors") << ":";
  for (const auto& p : run.priors) h << " " << html_escape(date_or_unknown(p.date)) << ";";
  h << "</p>\n"
    << report_detail::second_reading_note() << assessment_section(run) << side_by_side(run) << findings_table(run)
    << crops_section(run) << priors_table(run) << method_section(run) << "</body></html>\n";
  return h.str();
}

CompareReportRequest parse_compare_report_request(const std::string& list) {
  CompareReportRequest r;
  std::size_t start = 0;
  while (start <= list.size() && !list.empty()) {
    const auto end = list.find(',', start);
    std::string word = list.substr(start, end == std::string::npos ? std::string::npos : end - start);
    word.erase(0, word.find_first_not_of(' '));
    word.erase(word.find_last_not_of(' ') + 1);
    if (word == "html") r.html = true;
    else if (word == "patient") r.patient = true;
    else if (word == "sr") r.sr = true;
    else
      throw Error(ErrorCode::Usage, "unknown report '" + word +
                                        "': calcscope compare --report takes a comma-separated list of html, patient, sr");
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return r;
}

CompareReportFiles write_compare_reports(const CompareRun& run, const CompareReportRequest& request,
                                         const std::filesystem::path& dir, const std::string& stem) {
  check_run(run);
  CompareReportFiles out;
  if (!request.html && !request.patient && !request.sr) return out;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(ErrorCode::OutputFailed, "cannot create the output directory: " + ec.message(), dir.string());
  if (request.html) {
    const auto p = dir / (stem + ".compare.html");
    report_detail::write_text(p, compare_report_html(run));
    out.written.push_back(p);
  }
  if (request.patient) {
    const auto ph = dir / (stem + ".compare.patient.html");
    report_detail::write_text(ph, compare_patient_html(run));
    out.written.push_back(ph);
    const auto pt = dir / (stem + ".compare.patient.txt");
    report_detail::write_text(pt, compare_patient_text(run));
    out.written.push_back(pt);
  }
  if (request.sr) {
    SrWriteOptions so;
    // raster and phantom input have no DICOM identity: the SR then invents UIDs (demo/test use only)
    const auto not_dicom = [](const CompareImage& e) { return !e.image || e.image->info.format != "dicom"; };
    so.allow_missing_uids = not_dicom(run.current) || std::any_of(run.priors.begin(), run.priors.end(), not_dicom);
    const auto p = dir / (stem + ".compare.sr.dcm");
    const SrWriteSummary sum = write_compare_sr(run, p, so);
    out.warnings = sum.warnings;
    out.sr_clusters = sum.clusters;
    out.sr_temporal_links = sum.temporal_links;
    out.written.push_back(p);
  }
  return out;
}

}  // namespace calcscope
