// The prior comparison as a Mammography CAD SR: the current image's findings plus one temporal
// Composite Feature per compared cluster (docs/sr.md, "Prior comparison").
//
//   const calcscope::CompareRun run = calcscope::compare_exams(current, priors);
//   calcscope::write_compare_sr(run, dir / (stem + ".compare.sr.dcm"));
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "calcscope/compare/compare.h"
#include "calcscope/sr/mammo_cad_sr.h"

namespace calcscope {

/// The temporal links of a comparison: one per ClusterChange (against the most recent prior, the
/// one its label refers to). `current_uid` / `prior_uid` are the SOP Instance UIDs of the current
/// image and of the most recent prior.
std::vector<SrTemporalLink> temporal_links_from_changes(const ChangeResult& change, const std::string& current_uid,
                                                        const std::string& prior_sop_class_uid,
                                                        const std::string& prior_uid);

/// Writes DIR/<stem>.compare.sr.dcm for a comparison: the current image's reported clusters (score at
/// or above run.report_min_cluster_score, plus any cluster a change entry names), described, and the
/// temporal links to the most recent prior (listed in the Image Library with its Study Date). Older
/// priors are not referenced (their history stays in the JSON). Raster input (no DICOM identity)
/// needs options.allow_missing_uids; then consistent UIDs are invented for the current and prior
/// images. The dates the comparison used (run.current.date, run.priors[i].date: the command line's,
/// else the DICOM StudyDate) are written as the Study Dates. Throws what write_mammo_cad_sr throws, and Error(Usage) when
/// the run has no prior or its images are missing.
SrWriteSummary write_compare_sr(const CompareRun& run, const std::filesystem::path& out, SrWriteOptions options = {});

}  // namespace calcscope
