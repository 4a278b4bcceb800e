// Temporal comparison in the Mammography CAD SR: Composite Features "related temporally" written,
// validated (dciodvfy, dsrdump), read back; and `calcscope compare --report sr` on a phantom series.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcstack.h"

#include "calcscope/core/error.h"
#include "calcscope/sr/codes.h"
#include "calcscope/sr/compare_sr.h"
#include "calcscope/sr/mammo_cad_sr.h"
#include "sr_validation.h"
#include "test_support.h"

namespace calcscope {
namespace {

using test::TempDir;

std::string expect_valid_dicom(const std::filesystem::path& sr) { return test::expect_valid_sr(sr); }

ImageInfo make_info(const std::string& instance, const std::string& study, const std::string& date) {
  ImageInfo info;
  info.format = "dicom";
  info.laterality = "R";
  info.view = "CC";
  info.sop_class_uid = "1.2.840.10008.5.1.4.1.1.1.2";
  info.sop_instance_uid = instance;
  info.study_instance_uid = study;
  info.series_instance_uid = study + ".1";
  info.patient_id = "CS-0002";
  info.patient_name = "Temporal^Test";
  info.study_date = date;
  info.study_time = "100000";
  return info;
}

void add_cluster(AnalysisResult& result, int cluster_id, double cx, double cy, int n) {
  Cluster c;
  c.id = cluster_id;
  c.score = 0.7;
  for (int i = 0; i < n; ++i) {
    Calcification k;
    k.id = cluster_id * 100 + i + 1;
    const double angle = 2.0 * M_PI * i / n;
    k.x = cx + 12.0 * std::cos(angle);
    k.y = cy + 9.0 * std::sin(angle);
    k.diameter_mm = 0.25;
    k.score = 0.7;
    result.calcifications.push_back(k);
    c.calcification_ids.push_back(k.id);
    c.outline.push_back({k.x, k.y});
    c.x += k.x / n;
    c.y += k.y / n;
  }
  c.count = n;
  result.clusters.push_back(c);
}

constexpr const char* kCurrent = "1.2.826.0.1.3680043.8.498.300.1";
constexpr const char* kPrior = "1.2.826.0.1.3680043.8.498.200.1";
constexpr const char* kMg = "1.2.840.10008.5.1.4.1.1.1.2";

/// Current image: cluster 1 (grown from prior cluster 11) and 2 (new); the prior also had cluster 12 (gone).
struct Pair {
  AnalysisResult now, then;
  ImageDescription described;
  std::vector<SrTemporalLink> links;
  Pair() {
    add_cluster(now, 1, 800, 900, 7);
    add_cluster(now, 2, 1500, 400, 5);
    add_cluster(then, 11, 790, 880, 5);
    add_cluster(then, 12, 300, 300, 4);
    ClusterDescription d;
    d.cluster_id = 1;
    d.morphology = "amorphous";
    d.distribution = "grouped";
    d.likelihood_of_malignancy = 0.2;
    described.clusters.push_back(d);
    SrTemporalLink grown{{kCurrent, 1}, kMg, kPrior, 11, 2, 1.5, "increased"};
    SrTemporalLink fresh{{kCurrent, 2}, kMg, kPrior, 0, 5, std::nullopt, "new"};
    SrTemporalLink gone{{kCurrent, 0}, kMg, kPrior, 12, -4, std::nullopt, "resolved"};
    links = {grown, fresh, gone};
  }
};

SrWriteOptions options_for(const Pair& p) {
  SrWriteOptions o;
  o.content_date = "20240501";
  o.content_time = "120000";
  o.temporal_links = p.links;
  o.prior_images = {SrImageInput{make_info(kPrior, "1.2.826.0.1.3680043.8.498.200", "20220415"), 2000, 2500, 0.1,
                                 &p.then, nullptr}};
  return o;
}

TEST(TemporalSr, LinksAreWrittenValidatedAndReadBack) {
  for (const sr::CodeStyle style : {sr::CodeStyle::Sct, sr::CodeStyle::Srt}) {
    TempDir dir("calcscope-sr-temporal");
    const Pair p;
    SrWriteOptions o = options_for(p);
    o.code_style = style;
    const SrImageInput in{make_info(kCurrent, "1.2.826.0.1.3680043.8.498.300", "20240501"), 2000, 2500, 0.1,
                          &p.now, &p.described};
    const auto path = dir / (style == sr::CodeStyle::Sct ? "temporal.sr.dcm" : "temporal-srt.sr.dcm");
    const SrWriteSummary s = write_mammo_cad_sr({in}, {}, path, o);
    EXPECT_EQ(s.temporal_links, 3);
    EXPECT_EQ(s.clusters, 2);
    EXPECT_EQ(s.prior_images, 1);
    for (const auto& w : s.warnings) ADD_FAILURE() << "unexpected warning: " << w;
    const std::string dump = expect_valid_dicom(path);
    const std::string number_code = style == sr::CodeStyle::Sct ? "129810007" : "F-017B5";
    EXPECT_NE(dump.find(number_code), std::string::npos) << dump;
    EXPECT_NE(dump.find("Difference in number of calcifications"), std::string::npos);
    EXPECT_NE(dump.find("111153"), std::string::npos);  // related temporally
    EXPECT_NE(dump.find("111157"), std::string::npos);  // new / resolved: only one of the images
    EXPECT_NE(dump.find("133886009"), std::string::npos);  // Temporal correlation analysis

    const SrContent sr = read_mammo_cad_sr(path);
    ASSERT_EQ(sr.temporal_links.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(sr.temporal_links[i], p.links[i]) << "link " << i;
    // the prior findings are not current findings (double reading reads sr.clusters)
    ASSERT_EQ(sr.clusters.size(), 2u);
    for (const SrCluster& c : sr.clusters) EXPECT_EQ(c.image_sop_instance_uid, kCurrent);
    EXPECT_EQ(sr.clusters[0].cluster_id, 1);
    EXPECT_EQ(sr.clusters[0].number_of_calcifications, 7);
    EXPECT_EQ(sr.clusters[0].type, "amorphous");
    ASSERT_EQ(sr.prior_clusters.size(), 2u);
    EXPECT_EQ(sr.prior_clusters[0].cluster_id, 11);
    EXPECT_EQ(sr.prior_clusters[0].image_sop_instance_uid, kPrior);
    EXPECT_EQ(sr.prior_clusters[0].number_of_calcifications, 5);
    EXPECT_EQ(sr.prior_clusters[0].rendering_intent, "Not for Presentation");
    EXPECT_NEAR(sr.prior_clusters[0].centre.x, p.then.clusters[0].x, 1e-3);
    EXPECT_EQ(sr.prior_clusters[1].cluster_id, 12);
    ASSERT_EQ(sr.images.size(), 2u);
    EXPECT_FALSE(sr.images[0].prior);
    EXPECT_TRUE(sr.images[1].prior);
    EXPECT_EQ(sr.images[1].sop_instance_uid, kPrior);
    EXPECT_EQ(sr.images[1].study_date, "20220415");
    bool temporal_analysis = false;
    for (const SrAlgorithmRun& a : sr.algorithms) temporal_analysis |= a.what.value == "133886009";
    EXPECT_TRUE(temporal_analysis);
    for (const auto& w : sr.warnings) ADD_FAILURE() << "reader warning: " << w;
  }
}

TEST(TemporalSr, PriorFindingsAreToldApartByStudyDateWithoutOurParameters) {
  // Another system's SR has no calcscope Algorithm Parameters in its temporal Composite Features:
  // the reader then tells the prior findings by the older Study Date of their image.
  TempDir dir("calcscope-sr-temporal");
  const Pair p;
  const SrImageInput in{make_info(kCurrent, "1.2.826.0.1.3680043.8.498.300", "20240501"), 2000, 2500, 0.1, &p.now,
                        nullptr};
  const auto path = dir / "ours.sr.dcm";
  write_mammo_cad_sr({in}, {}, path, options_for(p));
  DcmFileFormat file;
  ASSERT_TRUE(file.loadFile(path.string().c_str()).good());
  DcmStack stack;
  int replaced = 0;
  while (file.getDataset()->search(DCM_TextValue, stack, ESM_afterStackTop, OFTrue).good()) {
    auto* element = static_cast<DcmElement*>(stack.top());
    OFString value;
    element->getOFStringArray(value);
    if (value.find("temporal_link") == 0) {
      ASSERT_TRUE(element->putString("vendor parameters").good());
      ++replaced;
    }
  }
  EXPECT_EQ(replaced, 3);
  const auto foreign = dir / "foreign.sr.dcm";
  ASSERT_TRUE(file.saveFile(foreign.string().c_str(), EXS_LittleEndianExplicit).good());

  const SrContent sr = read_mammo_cad_sr(foreign);
  ASSERT_EQ(sr.temporal_links.size(), 3u);
  EXPECT_EQ(sr.temporal_links[0].current, (SrClusterRef{kCurrent, 1}));
  EXPECT_EQ(sr.temporal_links[0].prior_sop_instance_uid, kPrior);
  EXPECT_EQ(sr.temporal_links[0].prior_cluster_id, 11);
  EXPECT_EQ(sr.temporal_links[0].difference_in_number_of_calcifications, 2);
  EXPECT_EQ(sr.temporal_links[1].current, (SrClusterRef{kCurrent, 2}));  // new: nothing in the prior
  EXPECT_EQ(sr.temporal_links[1].prior_cluster_id, 0);
  EXPECT_EQ(sr.temporal_links[2].current.cluster_id, 0);  // resolved: only on the older image
  EXPECT_EQ(sr.temporal_links[2].prior_cluster_id, 12);
  EXPECT_TRUE(sr.temporal_links[2].change.empty());  // calcscope's label is in the parameters only
  EXPECT_EQ(sr.clusters.size(), 2u);
  EXPECT_EQ(sr.prior_clusters.size(), 2u);
}

TEST(TemporalSr, BadLinksAreRefused) {
  TempDir dir("calcscope-sr-temporal");
  const Pair p;
  const SrImageInput in{make_info(kCurrent, "1.2.826.0.1.3680043.8.498.300", "20240501"), 2000, 2500, 0.1, &p.now,
                        nullptr};
  SrWriteOptions o = options_for(p);
  o.temporal_links = {SrTemporalLink{{kCurrent, 1}, kMg, "1.2.3.4.5", 11, 2, std::nullopt, "stable"}};
  try {
    write_mammo_cad_sr({in}, {}, dir / "bad.sr.dcm", o);
    ADD_FAILURE() << "a link to a prior image that is not given was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Usage);
    EXPECT_NE(e.message().find("prior_images"), std::string::npos) << e.message();
  }
  o = options_for(p);
  o.temporal_links = {SrTemporalLink{{kCurrent, 1}, kMg, kPrior, 99, 2, std::nullopt, "stable"}};
  EXPECT_THROW(write_mammo_cad_sr({in}, {}, dir / "bad2.sr.dcm", o), Error);
  o.temporal_links = {SrTemporalLink{{kCurrent, 42}, kMg, kPrior, 11, 2, std::nullopt, "stable"}};
  EXPECT_THROW(write_mammo_cad_sr({in}, {}, dir / "bad3.sr.dcm", o), Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "bad.sr.dcm"));
  // two links for one cluster: the second is skipped with a warning, not silently
  o = options_for(p);
  o.temporal_links = {p.links[0], p.links[0]};
  const SrWriteSummary s = write_mammo_cad_sr({in}, {}, dir / "twice.sr.dcm", o);
  EXPECT_EQ(s.temporal_links, 1);
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].find("several temporal links"), std::string::npos);
}

TEST(TemporalSr, CompareCommandWritesTheSrForAPhantomSeries) {
  TempDir dir("calcscope-sr-compare");
  const auto gen = test::run_cli("phantom --output '" + (dir / "cur.dcm").string() + "' --prior '" +
                                 (dir / "pri.dcm").string() +
                                 "' --seed 5 --width-mm 110 --height-mm 140 --pixel-size 0.1 --clusters 2 --add 1"
                                 " --grow 1 --rotation 2 --shift-x-mm 4");
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  const auto out = dir / "out";
  const auto r = test::run_cli("compare --current '" + (dir / "cur.dcm").string() + "' --prior '" +
                               (dir / "pri.dcm").string() +
                               "' --current-date 2024-05-01 --prior-date 2022-04-20 --report sr -o '" + out.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto sr_path = out / "cur.compare.sr.dcm";
  ASSERT_TRUE(std::filesystem::exists(sr_path)) << r.output;
  expect_valid_dicom(sr_path);

  std::ifstream jf(out / "cur.compare.json");
  const nlohmann::json j = nlohmann::json::parse(jf);
  const SrContent sr = read_mammo_cad_sr(sr_path);
  ASSERT_EQ(sr.temporal_links.size(), j["clusters"].size()) << r.output;
  ASSERT_FALSE(sr.temporal_links.empty()) << "the phantom series should give at least one compared cluster";
  for (std::size_t i = 0; i < sr.temporal_links.size(); ++i) {
    const auto& c = j["clusters"][i];
    const SrTemporalLink& l = sr.temporal_links[i];
    EXPECT_EQ(l.change, c["change"].get<std::string>()) << i;
    ASSERT_TRUE(l.difference_in_number_of_calcifications.has_value()) << i;
    EXPECT_EQ(*l.difference_in_number_of_calcifications, c["count_now"].get<int>() - c["count_then"].get<int>()) << i;
    EXPECT_FALSE(l.prior_sop_instance_uid.empty());
    EXPECT_NE(l.prior_sop_instance_uid, l.current.sop_instance_uid);
  }
  ASSERT_EQ(sr.images.size(), 2u);
  EXPECT_EQ(sr.images[0].study_date, "20240501");
  EXPECT_EQ(sr.images[1].study_date, "20220420");
  EXPECT_TRUE(sr.images[1].prior);

  // without --report the comparison writes no SR, as before
  const auto out2 = dir / "plain";
  const auto r2 = test::run_cli("compare --current '" + (dir / "cur.dcm").string() + "' --prior '" +
                                (dir / "pri.dcm").string() + "' -o '" + out2.string() + "'");
  ASSERT_EQ(r2.exit_code, 0) << r2.output;
  EXPECT_TRUE(std::filesystem::exists(out2 / "cur.compare.json"));
  EXPECT_FALSE(std::filesystem::exists(out2 / "cur.compare.sr.dcm"));
  const auto bad = test::run_cli("compare --current '" + (dir / "cur.dcm").string() + "' --prior '" +
                                 (dir / "pri.dcm").string() + "' --report pdf -o '" + out2.string() + "'");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("pdf"), std::string::npos) << bad.output;
}

}  // namespace
}  // namespace calcscope
