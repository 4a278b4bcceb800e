// Effect of the comparison with priors on the assessment (docs/compare.md, "Assessment").
#include "calcscope/compare/assess_change.h"

#include <cmath>
#include <cstdio>

#include "calcscope/assess/assess.h"
#include "calcscope/core/error.h"

namespace calcscope {
namespace {

std::string fmt_years(double months) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f years", months / 12.0);
  return buf;
}

bool suspicious_morphology(const std::string& m) {
  return m == "fine_pleomorphic" || m == "fine_linear_branching";
}

std::string since(const std::string& date) { return date.empty() ? "the prior" : "the prior of " + date; }

}  // namespace

int category_rank(const std::string& c) {
  if (c.empty()) return -1;
  return category_info(c).severity;  // the one BI-RADS table (assess.h); throws for unknown categories
}

std::string worse_category(const std::string& a, const std::string& b) {
  return category_rank(b) > category_rank(a) ? b : a;
}

AssessmentChange assess_changes(const ChangeResult& changes, const std::vector<ClusterDescription>& current,
                                const AssessChangeParams& p) {
  AssessmentChange out;
  const std::string prior_date = changes.prior_dates.empty() ? std::string() : changes.prior_dates.front();
  for (const auto& c : changes.clusters) {
    ClusterAssessmentChange a;
    a.change = c.change;
    a.current_cluster_id = c.current_cluster_id;
    a.prior_cluster_id = c.prior_cluster_id;
    const ClusterDescription* d = nullptr;
    for (const auto& x : current)
      if (c.current_cluster_id != 0 && x.cluster_id == c.current_cluster_id) d = &x;
    a.category_before = d ? d->category : std::string();
    a.category_after = a.category_before;
    const std::string morphology = d ? d->morphology : c.morphology_now;
    const std::string distribution = d ? d->distribution : c.distribution_now;
    const std::string where = "cluster " + std::to_string(c.current_cluster_id);
    char pos[64];
    std::snprintf(pos, sizeof pos, " at (%.0f, %.0f) mm", c.x_mm, c.y_mm);

    if (c.change == "resolved") {
      a.reason = "cluster of " + std::to_string(c.count_then) + " calcifications seen on " + since(prior_date) +
                 pos + " is no longer seen";
      out.changes.push_back(a.reason);
      out.clusters.push_back(std::move(a));
      continue;
    }
    if (c.change == "new") {
      if (morphology == "typically_benign") {
        a.reason = "new since " + since(prior_date) + " but typically benign" +
                   (d && !d->benign_type.empty() ? " (" + d->benign_type + ")" : std::string());
      } else {
        a.category_after = worse_category(a.category_before, p.min_category_new);
        a.reason = "new cluster of " + std::to_string(c.count_now) + " calcifications since " + since(prior_date) +
                   ": new calcifications are suspicious (at least " + p.min_category_new + ")";
      }
      out.changes.push_back(where + pos + ": " + a.reason);
    } else if (c.change == "increased") {
      a.category_after = worse_category(a.category_before, p.min_category_increased);
      a.reason = "increased since " + since(prior_date) + " (" + std::to_string(c.count_then) + " -> " +
                 std::to_string(c.count_now) + " calcifications, extent " +
                 std::to_string(static_cast<int>(std::lround(c.extent_mm_then))) + " -> " +
                 std::to_string(static_cast<int>(std::lround(c.extent_mm_now))) +
                 " mm): increasing calcifications are suspicious (at least " + p.min_category_increased + ")";
      out.changes.push_back(where + pos + ": " + a.reason);
    } else if (c.change == "decreased") {
      a.reason = "decreased since " + since(prior_date) + " (" + std::to_string(c.count_then) + " -> " +
                 std::to_string(c.count_now) + " calcifications)";
      out.changes.push_back(where + pos + ": " + a.reason);
    }

    // a change of pattern towards a ductal one or a suspicious morphology
    if (c.distribution_changed && (distribution == "linear" || distribution == "segmental")) {
      a.category_after = worse_category(a.category_after, p.min_category_suspicious_change);
      const std::string r = "distribution changed from " + c.distribution_then + " to " + distribution +
                            " (ductal pattern, at least " + p.min_category_suspicious_change + ")";
      a.reason += (a.reason.empty() ? "" : "; ") + r;
      out.changes.push_back(where + pos + ": " + r);
    }
    if (c.morphology_changed && suspicious_morphology(morphology) && !suspicious_morphology(c.morphology_then)) {
      a.category_after = worse_category(a.category_after, p.min_category_suspicious_change);
      const std::string r = "morphology changed from " + c.morphology_then + " to " + morphology + " (at least " +
                            p.min_category_suspicious_change + ")";
      a.reason += (a.reason.empty() ? "" : "; ") + r;
      out.changes.push_back(where + pos + ": " + r);
    }

    if (c.change == "stable" && !c.morphology_changed && !c.distribution_changed) {
      if (!c.stable_since.empty() && !changes.current_date.empty())
        a.stable_months = months_between(c.stable_since, changes.current_date);
      if (a.stable_months >= p.stable_benign_months - p.follow_up_slack_months) {
        if (category_rank(a.category_before) <= category_rank("3")) {
          a.category_after = "2";
          a.reason = "unchanged for " + fmt_years(a.stable_months) + " (since " + c.stable_since +
                     "): stable for 2 years or more, benign";
        } else {
          a.reason = "unchanged for " + fmt_years(a.stable_months) + " (since " + c.stable_since +
                     "), but stability does not exclude malignancy for this morphology: category kept";
        }
      } else if (a.stable_months >= 0) {
        a.reason = "unchanged since " + c.stable_since + " (" + fmt_years(a.stable_months) + ")";
      } else {
        a.reason = "unchanged since " + since(prior_date) +
                   (changes.current_date.empty() || c.stable_since.empty()
                        ? std::string("; exam dates unknown, so the duration of stability is not known")
                        : std::string());
      }
    }

    // category 3 surveillance: 6 -> 12 -> 24 months from the baseline exam
    if (a.category_after == "3") {
      a.baseline_date = c.change == "new" ? changes.current_date : (c.stable_since.empty() ? c.first_seen : c.stable_since);
      if (c.change != "new" && c.change != "stable") a.baseline_date = changes.current_date;  // surveillance restarts
      const double elapsed =
          (!a.baseline_date.empty() && !changes.current_date.empty()) ? months_between(a.baseline_date, changes.current_date) : 0.0;
      for (int m : p.follow_up_months) {
        if (elapsed >= m - p.follow_up_slack_months) continue;  // that milestone is this exam or behind us
        a.follow_up.push_back({m, a.baseline_date.empty() ? std::string() : add_months(a.baseline_date, m)});
      }
      if (!a.follow_up.empty()) {
        a.next_follow_up_date = a.follow_up.front().date;
        a.reason += std::string(a.reason.empty() ? "" : "; ") + "probably benign: next follow-up at " +
                    std::to_string(a.follow_up.front().months_from_baseline) + " months" +
                    (a.next_follow_up_date.empty() ? std::string(" from the baseline exam")
                                                   : " (" + a.next_follow_up_date + ")");
        if (out.next_follow_up_date.empty() ||
            (!a.next_follow_up_date.empty() && a.next_follow_up_date < out.next_follow_up_date))
          out.next_follow_up_date = a.next_follow_up_date;
      }
    }
    out.category_before = worse_category(out.category_before, a.category_before);
    out.category_after = worse_category(out.category_after, a.category_after);
    out.clusters.push_back(std::move(a));
  }

  const int r = category_rank(out.category_after);
  if (r >= category_rank("4A")) {
    out.recommendation = "biopsy";
    out.recommendation_text = "tissue diagnosis (stereotactic biopsy) of the suspicious calcifications";
  } else if (out.category_after == "3") {
    out.recommendation = "short_interval_follow_up";
    out.recommendation_text = "short-interval follow-up mammogram" +
                              (out.next_follow_up_date.empty() ? std::string() : " on " + out.next_follow_up_date);
  } else if (out.category_after == "1" || out.category_after == "2") {
    out.recommendation = "routine_screening";
    out.recommendation_text = "routine screening";
  }
  return out;
}

nlohmann::json to_json(const AssessmentChange& a) {
  nlohmann::json clusters = nlohmann::json::array();
  for (const auto& c : a.clusters) {
    nlohmann::json f = nlohmann::json::array();
    for (const auto& x : c.follow_up) f.push_back({{"months_from_baseline", x.months_from_baseline}, {"date", x.date}});
    clusters.push_back({{"change", c.change},
                        {"current_cluster_id", c.current_cluster_id},
                        {"prior_cluster_id", c.prior_cluster_id},
                        {"category_before", c.category_before},
                        {"category_after", c.category_after},
                        {"reason", c.reason},
                        {"baseline_date", c.baseline_date},
                        {"follow_up", f},
                        {"next_follow_up_date", c.next_follow_up_date},
                        {"stable_months", c.stable_months}});
  }
  return {{"category_before", a.category_before},
          {"category_after", a.category_after},
          {"recommendation", a.recommendation},
          {"recommendation_text", a.recommendation_text},
          {"next_follow_up_date", a.next_follow_up_date},
          {"changes", a.changes},
          {"clusters", clusters}};
}

}  // namespace calcscope
