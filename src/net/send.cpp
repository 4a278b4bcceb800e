// Storage SCU on DCMTK's DcmSCU: one association, C-ECHO, one C-STORE per file, per-file status.
#include "calcscope/net/send.h"

#include "calcscope/core/text.h"
#include "calcscope/io/image_reader.h"

#include "net_common.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dccodec.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmnet/diutil.h>
#include <dcmtk/dcmnet/scu.h>

namespace calcscope {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

/// DICOM allows 128 presentation contexts per association; keep a margin.
constexpr std::size_t kMaxContextsPerAssociation = 120;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

bool is_uncompressed(const std::string& ts) {
  const DcmXfer x(ts.c_str());
  return x.getXfer() != EXS_Unknown && !x.isEncapsulated() && x.getStreamCompression() == ESC_none;
}

/// Can DCMTK decode this syntax to Explicit VR Little Endian (JPEG, JPEG-LS, RLE; deflate)? JPEG 2000
/// has no DCMTK codec in 3.6.7 (calcscope decodes it with OpenJPEG when reading, not for sending).
bool can_decompress(const std::string& ts) {
  const DcmXfer x(ts.c_str());
  if (x.getXfer() == EXS_Unknown) return false;
  if (!x.isEncapsulated()) return x.getStreamCompression() != ESC_unsupported;
  return DcmCodecList::canChangeCoding(x.getXfer(), EXS_LittleEndianExplicit);
}

std::string get(DcmItem* item, const DcmTagKey& key) {
  OFString v;
  if (item && item->findAndGetOFString(key, v).good()) return valid_utf8(v.c_str());
  return {};
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

/// Checks one file before connecting; fills the UIDs, or the error.
bool inspect(const fs::path& file, SentFile& out) {
  std::error_code ec;
  const std::string name = file.string();
  if (!fs::exists(file, ec)) {
    out.error = ErrorCode::FileNotFound;
    out.message = name + ": the file does not exist: check the path";
    return false;
  }
  if (fs::is_directory(file, ec)) {
    out.error = ErrorCode::Unreadable;
    out.message = name + ": is a directory: pass the DICOM files in it (e.g. DIR/*.dcm)";
    return false;
  }
  if (!std::ifstream(file, std::ios::binary)) {
    out.error = ErrorCode::Unreadable;
    out.message = name + ": cannot be read: check its permissions";
    return false;
  }
  DcmFileFormat ff;
  // 4 KB: long values (pixel data) stay on disk; only the UIDs are needed here.
  const OFCondition cond = ff.loadFile(file.c_str(), EXS_Unknown, EGL_noChange, 4096, ERM_autoDetect);
  DcmMetaInfo* meta = ff.getMetaInfo();
  DcmDataset* ds = ff.getDataset();
  out.sop_class_uid = trim(get(meta, DCM_MediaStorageSOPClassUID));
  if (out.sop_class_uid.empty()) out.sop_class_uid = trim(get(ds, DCM_SOPClassUID));
  out.sop_instance_uid = trim(get(meta, DCM_MediaStorageSOPInstanceUID));
  if (out.sop_instance_uid.empty()) out.sop_instance_uid = trim(get(ds, DCM_SOPInstanceUID));
  out.transfer_syntax_uid = trim(get(meta, DCM_TransferSyntaxUID));
  if (out.transfer_syntax_uid.empty() && ds && ds->getOriginalXfer() != EXS_Unknown)
    out.transfer_syntax_uid = DcmXfer(ds->getOriginalXfer()).getXferID();
  if (cond.bad() || out.sop_class_uid.empty() || out.sop_instance_uid.empty() || out.transfer_syntax_uid.empty()) {
    out.error = ErrorCode::UnsupportedFormat;
    // DCMTK's reason ("premature end of stream") only helps for a file that claims to be DICOM.
    const std::string why = !looks_like_dicom(file)
                                ? "no DICM preamble and no readable data set"
                                : cond.bad() ? std::string("damaged: ") + cond.text()
                                             : std::string("no SOP Class UID / SOP Instance UID / transfer syntax");
    out.message = name + ": not a DICOM file (" + why +
                  "): send takes DICOM objects, e.g. the <stem>.sr.dcm that `analyze --report sr` writes";
    out.sop_class_uid.clear();
    out.sop_instance_uid.clear();
    out.transfer_syntax_uid.clear();
    return false;
  }
  out.modality = trim(get(ds, DCM_Modality));
  if (out.modality.empty()) out.modality = net_detail::modality_of(out.sop_class_uid);
  return true;
}

/// The presentation contexts a set of files needs: per SOP class one uncompressed context
/// (Explicit then Implicit VR Little Endian) and one per compressed transfer syntax in use.
struct ContextKey {
  std::string sop_class, ts;  ///< ts "" = the uncompressed context
  bool operator<(const ContextKey& o) const { return std::tie(sop_class, ts) < std::tie(o.sop_class, o.ts); }
};

std::set<ContextKey> contexts_for(const SentFile& f) {
  std::set<ContextKey> k{{f.sop_class_uid, ""}};
  if (!is_uncompressed(f.transfer_syntax_uid)) k.insert({f.sop_class_uid, f.transfer_syntax_uid});
  return k;
}

std::string status_hex(int status) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%04X", static_cast<unsigned>(status));
  return b;
}

void fail(SentFile& f, ErrorCode code, const std::string& message) {
  f.ok = false;
  f.error = code;
  f.message = f.file.string() + ": " + message;
}

/// The accepted presentation context to send `f` on (0: none), and whether it needs decompressing.
T_ASC_PresentationContextID choose_context(DcmSCU& scu, const SentFile& f) {
  const OFString cls = f.sop_class_uid.c_str();
  if (auto id = scu.findPresentationContextID(cls, f.transfer_syntax_uid.c_str())) return id;
  if (is_uncompressed(f.transfer_syntax_uid) || can_decompress(f.transfer_syntax_uid)) {
    for (const char* ts : {UID_LittleEndianExplicitTransferSyntax, UID_LittleEndianImplicitTransferSyntax,
                           UID_BigEndianExplicitTransferSyntax})
      if (auto id = scu.findPresentationContextID(cls, ts)) return id;
  }
  return 0;
}

/// Sends `todo` (indices into report.files) on one association. Returns the indices not attempted
/// because the association was lost (to be retried on a new one); empty when done.
std::vector<std::size_t> send_on_one_association(SendReport& report, const std::vector<std::size_t>& todo,
                                                 const SendOptions& options, bool& echo_pending) {
  const DicomPeer& peer = report.peer;
  DcmSCU scu;
  scu.setAETitle(options.calling_aet.c_str());
  scu.setPeerHostName(peer.host.c_str());
  scu.setPeerPort(static_cast<Uint16>(peer.port));
  scu.setPeerAETitle(peer.aet.c_str());
  const int timeout = std::max(1, options.timeout_seconds);
  scu.setConnectionTimeout(timeout);
  scu.setACSETimeout(static_cast<Uint32>(timeout));
  scu.setDIMSETimeout(static_cast<Uint32>(timeout));
  scu.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
  scu.setMaxReceivePDULength(65536);
  scu.setDatasetConversionMode(OFTrue);  // decompress when the peer accepts only an uncompressed syntax

  OFList<OFString> uncompressed;
  uncompressed.push_back(UID_LittleEndianExplicitTransferSyntax);
  uncompressed.push_back(UID_LittleEndianImplicitTransferSyntax);
  // Verification is proposed even without C-ECHO: a peer refusing every storage context but accepting
  // Verification then accepts the association, and each file gets its own "does not accept" answer
  // (DCMTK-based SCPs reject an association with no acceptable context outright, without a reason
  // DcmSCU would let us read).
  {
    OFList<OFString> implicit;
    implicit.push_back(UID_LittleEndianImplicitTransferSyntax);
    scu.addPresentationContext(UID_VerificationSOPClass, implicit);
  }
  std::set<ContextKey> keys;  // (the Verification context above counts against kMaxContextsPerAssociation)
  for (std::size_t i : todo)
    for (const auto& k : contexts_for(report.files[i])) keys.insert(k);
  std::string classes;
  std::set<std::string> class_names;
  for (const auto& k : keys) {
    if (k.ts.empty()) {
      scu.addPresentationContext(k.sop_class.c_str(), uncompressed);
      class_names.insert(net_detail::sop_class_name(k.sop_class));
    } else {
      OFList<OFString> one;
      one.push_back(k.ts.c_str());
      scu.addPresentationContext(k.sop_class.c_str(), one);
    }
  }
  for (const auto& n : class_names) classes += (classes.empty() ? "" : ", ") + n;

  auto fail_all = [&](ErrorCode code, const std::string& message) {
    report.connection_error = code;
    report.connection_message = message;
    for (std::size_t i : todo) fail(report.files[i], code, message);
  };

  OFCondition cond = scu.initNetwork();
  if (cond.bad()) {
    fail_all(ErrorCode::PeerUnreachable, std::string("cannot initialise the network: ") + cond.text());
    return {};
  }
  cond = scu.negotiateAssociation();
  if (cond.bad()) {
    if (cond == NET_EC_NoAcceptablePresentationContexts && !todo.empty()) {
      // The peer is there but stores none of these objects: a per-file refusal, as when an
      // association with C-ECHO only accepts Verification (below).
      for (std::size_t i : todo)
        fail(report.files[i], ErrorCode::StoreFailed,
             peer.to_string() + " does not accept " + net_detail::sop_class_name(report.files[i].sop_class_uid) +
                 " objects (it accepted none of the proposed SOP classes: " + classes + ")");
      if (echo_pending) report.echo_message = "not tried: the association was refused before it";
      echo_pending = false;
      return {};
    }
    const ErrorCode code = net_detail::association_failure_code(cond);
    std::string msg;
    if (cond == NET_EC_NoAcceptablePresentationContexts)
      msg = peer.to_string() + " accepted none of the proposed presentation contexts (Verification)";
    else if (code == ErrorCode::AssociationRejected)
      msg = peer.to_string() + " rejected the association: check that '" + peer.aet +
            "' is the peer's AE title and that it accepts calling AE title '" + options.calling_aet +
            "' from this host (--calling-aet)";
    else
      msg = "cannot reach the DICOM peer " + peer.to_string() + " (" + cond.text() +
            "): check the host and port and that the PACS is running (--timeout S waits longer)";
    fail_all(code, msg);
    return {};
  }
  report.connection_error = ErrorCode::Ok;
  report.connection_message.clear();

  if (echo_pending) {
    echo_pending = false;
    const auto t0 = Clock::now();
    const T_ASC_PresentationContextID echo_id = scu.findPresentationContextID(UID_VerificationSOPClass, "");
    if (echo_id == 0) {
      report.echo_message = "the peer does not accept C-ECHO (Verification SOP class); storing anyway";
    } else {
      cond = scu.sendECHORequest(echo_id);
      report.echo_ms = 1000.0 * seconds_since(t0);
      if (cond.good()) {
        report.echo_ok = true;
      } else {
        report.echo_message = std::string("C-ECHO failed: ") + cond.text();
        if (!scu.isConnected()) {
          fail_all(ErrorCode::PeerUnreachable, peer.to_string() + " dropped the association during C-ECHO (" +
                                                   cond.text() + "): check the PACS's log");
          return {};
        }
      }
    }
  }

  for (std::size_t n = 0; n < todo.size(); ++n) {
    SentFile& f = report.files[todo[n]];
    const auto t0 = Clock::now();
    const T_ASC_PresentationContextID pc = choose_context(scu, f);
    if (pc == 0) {
      if (scu.findPresentationContextID(f.sop_class_uid.c_str(), "") == 0)
        fail(f, ErrorCode::StoreFailed,
             peer.to_string() + " does not accept " + net_detail::sop_class_name(f.sop_class_uid) +
                 " objects (it refused that SOP class)");
      else
        fail(f, ErrorCode::StoreFailed,
             peer.to_string() + " does not accept " + net_detail::transfer_syntax_name(f.transfer_syntax_uid) +
                 " for " + net_detail::sop_class_name(f.sop_class_uid) +
                 (can_decompress(f.transfer_syntax_uid) || is_uncompressed(f.transfer_syntax_uid)
                      ? std::string(", nor an uncompressed syntax")
                      : std::string(", and this file cannot be decompressed for sending: re-export it uncompressed")));
      f.seconds = seconds_since(t0);
      continue;
    }
    Uint16 status = 0;
    cond = scu.sendSTORERequest(pc, f.file.c_str(), nullptr, status);
    f.seconds = seconds_since(t0);
    if (cond.bad()) {
      if (!scu.isConnected()) {
        fail(f, ErrorCode::PeerUnreachable,
             std::string("the association with ") + peer.to_string() + " was lost while sending (" + cond.text() + ")");
        return {todo.begin() + static_cast<std::ptrdiff_t>(n) + 1, todo.end()};
      }
      fail(f, ErrorCode::StoreFailed, std::string("C-STORE could not be sent (") + cond.text() + ")");
      continue;
    }
    f.dimse_status = status;
    const bool warning = status == STATUS_STORE_Warning_CoercionOfDataElements ||
                         status == STATUS_STORE_Warning_DataSetDoesNotMatchSOPClass ||
                         status == STATUS_STORE_Warning_ElementsDiscarded || (status & 0xF000) == 0xB000;
    if (status == STATUS_Success || warning) {
      f.ok = true;
      f.error = ErrorCode::Ok;
      if (warning)
        f.message = "stored with warning " + status_hex(status) + " (" + DU_cstoreStatusString(status) + ")";
    } else {
      fail(f, ErrorCode::StoreFailed,
           peer.to_string() + " refused to store it: status " + status_hex(status) + " (" +
               DU_cstoreStatusString(status) + "): see the PACS's log");
    }
  }
  scu.releaseAssociation();
  return {};
}

}  // namespace

int SendReport::failed() const {
  return static_cast<int>(std::count_if(files.begin(), files.end(), [](const SentFile& f) { return !f.ok; }));
}

int SendReport::exit_code() const {
  if (failed() == 0) return 0;
  const bool none_sent = std::none_of(files.begin(), files.end(), [](const SentFile& f) { return f.ok; });
  if (connection_error != ErrorCode::Ok && none_sent) return error_info(connection_error).exit_code;
  if (files.size() == 1) return error_info(files.front().error).exit_code;
  return 1;
}

SendReport send_dicom_files(const std::vector<fs::path>& files, const DicomPeer& peer, const SendOptions& options) {
  net_detail::ensure_network_setup();
  const auto t0 = Clock::now();
  SendReport report;
  report.peer = peer;
  report.calling_aet = options.calling_aet;
  report.files.resize(files.size());
  std::vector<std::size_t> good;
  for (std::size_t i = 0; i < files.size(); ++i) {
    report.files[i].file = files[i];
    if (inspect(files[i], report.files[i])) good.push_back(i);
  }
  // Group into associations of at most kMaxContextsPerAssociation presentation contexts.
  std::vector<std::vector<std::size_t>> groups;
  std::set<ContextKey> in_group;
  for (std::size_t i : good) {
    auto need = contexts_for(report.files[i]);
    std::set<ContextKey> merged = in_group;
    merged.insert(need.begin(), need.end());
    if (groups.empty() || merged.size() + 1 > kMaxContextsPerAssociation) {
      groups.emplace_back();
      in_group = need;
    } else {
      in_group = std::move(merged);
    }
    groups.back().push_back(i);
  }
  bool echo_pending = options.echo;
  if (groups.empty() && options.echo) groups.emplace_back();  // nothing to store: still check the peer
  for (std::size_t g = 0; g < groups.size(); ++g) {
    std::vector<std::size_t> todo = groups[g];
    // An association lost mid-way is re-established once per lost file (each retry consumes one).
    while (true) {
      todo = send_on_one_association(report, todo, options, echo_pending);
      if (todo.empty()) break;
    }
    if (report.connection_error != ErrorCode::Ok) {
      // The peer cannot be reached: the remaining groups would fail the same way.
      for (std::size_t h = g + 1; h < groups.size(); ++h)
        for (std::size_t i : groups[h]) fail(report.files[i], report.connection_error, report.connection_message);
      break;
    }
  }
  if (!options.echo) report.echo_message = "not asked";
  report.seconds = seconds_since(t0);
  return report;
}

std::string format_send_report(const SendReport& r) {
  std::string out;
  char line[512];
  if (r.connection_error != ErrorCode::Ok) {
    std::snprintf(line, sizeof line, "echo %s (calling %s): FAILED [%s] %s\n", r.peer.to_string().c_str(),
                  r.calling_aet.c_str(), std::string(error_info(r.connection_error).name).c_str(),
                  r.connection_message.c_str());
    out += line;
  } else if (r.echo_ok) {
    std::snprintf(line, sizeof line, "echo %s (calling %s): ok, %.1f ms\n", r.peer.to_string().c_str(),
                  r.calling_aet.c_str(), r.echo_ms);
    out += line;
  } else if (r.echo_message != "not asked") {
    out += "echo " + r.peer.to_string() + " (calling " + r.calling_aet + "): " + r.echo_message + "\n";
  }
  if (r.files.empty()) return out;
  std::snprintf(line, sizeof line, "%-32s %-7s %-4s %7s  %s\n", "file", "status", "type", "sec",
                "sop instance uid / error");
  out += line;
  for (const auto& f : r.files) {
    const std::string name = f.file.filename().string();
    if (f.ok) {
      std::snprintf(line, sizeof line, "%-32s %-7s %-4s %7.2f  %s\n", name.c_str(), "sent",
                    f.modality.empty() ? "-" : f.modality.c_str(), f.seconds, f.sop_instance_uid.c_str());
      out += line;
      if (!f.message.empty()) out += std::string(32, ' ') + " warning: " + f.message + "\n";
    } else {
      std::snprintf(line, sizeof line, "%-32s %-7s %-4s %7.2f  ", name.c_str(), "FAILED",
                    f.modality.empty() ? "-" : f.modality.c_str(), f.seconds);
      out += line + std::string("[") + std::string(error_info(f.error).name) + "] " + f.message + "\n";
    }
  }
  std::snprintf(line, sizeof line, "%zu file(s): %zu sent, %d failed, %.2f s\n", r.files.size(),
                r.files.size() - static_cast<std::size_t>(r.failed()), r.failed(), r.seconds);
  out += line;
  return out;
}

}  // namespace calcscope
