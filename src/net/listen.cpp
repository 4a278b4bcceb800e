// Storage SCP on DCMTK's DcmStorageSCP: stores what it receives, analyses images on a worker thread
// with analyze_file() (the function `calcscope analyze` runs per file), forwards the SR.
#include "calcscope/net/listen.h"

#include "net_common.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/cond.h>
#include <dcmtk/dcmnet/dstorscp.h>

namespace calcscope {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const std::vector<std::string>& listen_image_sop_classes() {
  static const std::vector<std::string> v = {
      UID_DigitalMammographyXRayImageStorageForPresentation,
      UID_DigitalMammographyXRayImageStorageForProcessing,
      UID_DigitalXRayImageStorageForPresentation,
      UID_DigitalXRayImageStorageForProcessing,
      UID_ComputedRadiographyImageStorage,
      UID_SecondaryCaptureImageStorage,
  };
  return v;
}

const std::vector<std::string>& listen_stored_only_sop_classes() {
  static const std::vector<std::string> v = {
      UID_MammographyCADSRStorage,    UID_XRayRadiationDoseSRStorage,
      UID_BasicTextSRStorage,         UID_EnhancedSRStorage,
      UID_ComprehensiveSRStorage,     UID_Comprehensive3DSRStorage,
      UID_KeyObjectSelectionDocumentStorage, UID_GrayscaleSoftcopyPresentationStateStorage,
      UID_EncapsulatedPDFStorage,
  };
  return v;
}

const std::vector<std::string>& listen_image_transfer_syntaxes() {
  // Preference order when a sender proposes several in one presentation context: uncompressed
  // first, then the lossless compressions, then lossy. calcscope's reader decodes all of them.
  static const std::vector<std::string> v = {
      UID_LittleEndianExplicitTransferSyntax,
      UID_LittleEndianImplicitTransferSyntax,
      UID_DeflatedExplicitVRLittleEndianTransferSyntax,
      UID_BigEndianExplicitTransferSyntax,
      UID_JPEGProcess14SV1TransferSyntax,
      UID_JPEGProcess14TransferSyntax,
      UID_JPEGLSLosslessTransferSyntax,
      UID_RLELosslessTransferSyntax,
      UID_JPEG2000LosslessOnlyTransferSyntax,
      UID_JPEG2000TransferSyntax,
      UID_JPEGLSLossyTransferSyntax,
      UID_JPEGProcess1TransferSyntax,
      UID_JPEGProcess2_4TransferSyntax,
  };
  return v;
}

const std::vector<std::string>& listen_other_transfer_syntaxes() {
  static const std::vector<std::string> v = {
      UID_LittleEndianExplicitTransferSyntax,
      UID_LittleEndianImplicitTransferSyntax,
      UID_DeflatedExplicitVRLittleEndianTransferSyntax,
      UID_BigEndianExplicitTransferSyntax,
  };
  return v;
}

namespace {

/// "XRayRadiationDoseSRStorage" -> "X Ray Radiation Dose SR" (DCMTK's UID names, "Storage" dropped).
std::string readable_class(const std::string& uid) {
  static const std::pair<const char*, const char*> known[] = {
      {UID_MammographyCADSRStorage, "Mammography CAD SR"},
      {UID_XRayRadiationDoseSRStorage, "X-Ray Radiation Dose SR (dose report)"},
      {UID_BasicTextSRStorage, "Basic Text SR"},
      {UID_EnhancedSRStorage, "Enhanced SR"},
      {UID_ComprehensiveSRStorage, "Comprehensive SR"},
      {UID_Comprehensive3DSRStorage, "Comprehensive 3D SR"},
      {UID_KeyObjectSelectionDocumentStorage, "Key Object Selection Document"},
      {UID_GrayscaleSoftcopyPresentationStateStorage, "Grayscale Softcopy Presentation State"},
      {UID_EncapsulatedPDFStorage, "Encapsulated PDF"},
  };
  for (const auto& [k, v] : known)
    if (uid == k) return v;
  std::string name = net_detail::sop_class_name(uid);
  if (name == uid) return "object of SOP class " + uid;
  const std::string suffix = "Storage";
  if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
    name.resize(name.size() - suffix.size());
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool upper = c >= 'A' && c <= 'Z';
    const bool prev_lower = i > 0 && name[i - 1] >= 'a' && name[i - 1] <= 'z';
    const bool next_lower = i + 1 < name.size() && name[i + 1] >= 'a' && name[i + 1] <= 'z';
    const bool prev_upper = i > 0 && name[i - 1] >= 'A' && name[i - 1] <= 'Z';
    if (i > 0 && upper && (prev_lower || (prev_upper && next_lower))) out += ' ';
    out += c;
  }
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

/// The short name received files are named by: the object's Modality (0008,0060) when it is a
/// plain code string, else the SOP class's (net_detail::modality_of), else "UNKNOWN".
std::string file_prefix(DcmDataset* dataset, const std::string& sop_class_uid) {
  OFString m;
  std::string s;
  if (dataset && dataset->findAndGetOFString(DCM_Modality, m).good()) s = m.c_str();
  while (!s.empty() && s.back() == ' ') s.pop_back();
  const bool plain = !s.empty() && s.size() <= 16 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
  if (!plain) s = net_detail::modality_of(sop_class_uid);
  return s.empty() ? "UNKNOWN" : s;
}

/// A SOP Instance UID usable in a file name (a UID is digits and dots; anything else is replaced).
std::string uid_for_file(std::string uid) {
  for (char& c : uid)
    if (!((c >= '0' && c <= '9') || c == '.')) c = '_';
  return uid.empty() ? "no-uid" : uid;
}

struct Job {
  fs::path file;
  std::string modality;
  std::string sop_class_uid, sop_instance_uid, calling_aet, peer_ip;
  bool has_pixels = false;
  Clock::time_point stored;
};

}  // namespace

struct StorageListener::Impl {
  ListenOptions options;
  ReceivedFn on_received;
  fs::path received_dir;
  int port = 0;

  std::atomic<bool> stop_requested{false};
  std::atomic<bool> serving{false};
  std::thread serve_thread, work_thread;

  mutable std::mutex mutex;
  std::condition_variable cv;
  std::deque<Job> queue;
  bool serve_done = false;
  int in_progress = 0;
  Counts counts;

  class Scp;
  std::unique_ptr<Scp> scp;

  void enqueue(Job job) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      ++counts.received;
      queue.push_back(std::move(job));
    }
    cv.notify_all();
  }

  ReceivedInstance process(const Job& j) {
    ReceivedInstance r;
    r.file = j.file;
    r.sop_class_uid = j.sop_class_uid;
    r.sop_instance_uid = j.sop_instance_uid;
    r.modality = j.modality;
    r.calling_aet = j.calling_aet;
    r.peer_ip = j.peer_ip;
    if (!contains(listen_image_sop_classes(), j.sop_class_uid)) {
      r.not_analysed_because = "a " + readable_class(j.sop_class_uid) + " is not an image";
    } else if (!j.has_pixels) {
      r.not_analysed_because = "this " + readable_class(j.sop_class_uid) + " has no Pixel Data (7FE0,0010)";
    } else {
      r.analysed = true;
      const std::string stem = j.file.stem().string();  // <MODALITY>.<SOP Instance UID>
      try {
        r.analysis = analyze_file(j.file, stem, options.analysis);
      } catch (const Error& e) {
        r.analysis.input = j.file;
        r.analysis.stem = stem;
        r.analysis.error = e.code();
        r.analysis.message = e.file().empty() ? j.file.string() + ": " + e.message() : e.what();
      } catch (const std::exception& e) {
        r.analysis.input = j.file;
        r.analysis.stem = stem;
        r.analysis.error = ErrorCode::Internal;
        r.analysis.message = j.file.string() + ": internal error: " + e.what() + " (please report this)";
      }
      r.category = r.analysis.category;
      if (r.analysis.ok && options.forward_sr && !r.analysis.sr.empty()) {
        const SendReport sent = send_dicom_files({r.analysis.sr}, *options.forward_sr, options.forward);
        r.forwarded = sent.files.front();
        r.forwarded_to = options.forward_sr->to_string();
      }
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - j.stored).count();
    return r;
  }

  void work() {
    while (true) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mutex);
        cv.wait(lock, [&] { return !queue.empty() || serve_done; });
        if (queue.empty()) break;  // serve_done and nothing left
        job = std::move(queue.front());
        queue.pop_front();
        ++in_progress;
      }
      const ReceivedInstance r = process(job);
      {
        std::lock_guard<std::mutex> lock(mutex);
        --in_progress;
        if (!r.analysed) ++counts.not_analysed;
        else if (r.analysis.ok) ++counts.analysed_ok;
        else ++counts.analysis_failed;
        if (r.forwarded) ++(r.forwarded->ok ? counts.forwarded : counts.forward_failed);
      }
      if (on_received) on_received(r);
    }
  }
};

/// The DCMTK side: stores each object (DcmStorageSCP) and hands it to the worker queue.
class StorageListener::Impl::Scp : public DcmStorageSCP {
 public:
  explicit Scp(Impl& owner) : owner_(owner) {}

 protected:
  void notifyInstanceStored(const OFString& filename, const OFString& sopClassUID, const OFString& sopInstanceUID,
                            DcmDataset* dataset) const override {
    Job j;
    j.file = filename.c_str();
    j.sop_class_uid = sopClassUID.c_str();
    j.sop_instance_uid = sopInstanceUID.c_str();
    j.calling_aet = getPeerAETitle().c_str();
    j.peer_ip = getPeerIP().c_str();
    j.has_pixels = dataset != nullptr && dataset->tagExists(DCM_PixelData);
    j.modality = file_prefix(dataset, j.sop_class_uid);
    j.stored = Clock::now();
    owner_.enqueue(std::move(j));
  }
  /// <output>/received/<Modality>.<SOP Instance UID>.dcm (DcmStorageSCP's own scheme would call a
  /// mammogram "DXm.<uid>").
  OFCondition generateDirAndFilename(OFString& filename, OFString& directoryName, OFString& sopClassUID,
                                     OFString& sopInstanceUID, DcmDataset* dataset) override {
    if (dataset != nullptr) {
      if (sopClassUID.empty()) dataset->findAndGetOFString(DCM_SOPClassUID, sopClassUID);
      if (sopInstanceUID.empty()) dataset->findAndGetOFString(DCM_SOPInstanceUID, sopInstanceUID);
    }
    if (sopInstanceUID.empty()) return NET_EC_InvalidSOPInstanceUID;
    directoryName = getOutputDirectory();
    const std::string name =
        file_prefix(dataset, sopClassUID.c_str()) + "." + uid_for_file(sopInstanceUID.c_str()) + ".dcm";
    filename = (fs::path(directoryName.c_str()) / name).string().c_str();
    return EC_Normal;
  }
  OFBool stopAfterConnectionTimeout() override { return owner_.stop_requested.load(); }
  OFBool stopAfterCurrentAssociation() override { return owner_.stop_requested.load(); }

 private:
  Impl& owner_;
};

StorageListener::StorageListener(ListenOptions options, ReceivedFn on_received) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->on_received = std::move(on_received);
}

StorageListener::~StorageListener() { stop(); }

void StorageListener::start() {
  Impl& m = *impl_;
  if (m.serving) return;
  net_detail::ensure_network_setup();
  const ListenOptions& o = m.options;
  check_ae_title(o.aet, "--aet");
  if (o.port < 1 || o.port > 65535) throw Error(ErrorCode::Usage, "--port must be 1-65535");
  if (o.forward_sr) check_ae_title(o.forward.calling_aet, "--calling-aet");
  const fs::path out = o.analysis.output_dir.empty() ? fs::path(".") : o.analysis.output_dir;
  m.options.analysis.output_dir = out;
  m.received_dir = out / "received";
  std::error_code ec;
  fs::create_directories(m.received_dir, ec);
  if (!fs::is_directory(m.received_dir))
    throw Error(ErrorCode::OutputFailed, "cannot create the output directory (check the path and permissions)",
                m.received_dir.string());

  m.scp = std::make_unique<Impl::Scp>(m);
  Impl::Scp& scp = *m.scp;
  OFCondition cond = scp.setOutputDirectory(m.received_dir.c_str());
  if (cond.bad())
    throw Error(ErrorCode::OutputFailed, std::string("cannot store received objects there (") + cond.text() + ")",
                m.received_dir.string());
  scp.setDirectoryGenerationMode(DcmStorageSCP::DGM_NoSubdirectory);
  scp.setFilenameGenerationMode(DcmStorageSCP::FGM_SOPInstanceUID);  // named by generateDirAndFilename() above
  scp.setDatasetStorageMode(DcmStorageSCP::DGM_StoreToFile);
  scp.setPort(static_cast<Uint16>(o.port));
  scp.setAETitle(o.aet.c_str());
  scp.setConnectionBlockingMode(DUL_NOBLOCK);  // wake up every second to see whether to stop
  scp.setConnectionTimeout(1);
  const Uint32 timeout = static_cast<Uint32>(std::max(1, o.timeout_seconds));
  scp.setACSETimeout(timeout);
  scp.setDIMSETimeout(timeout);
  scp.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
  scp.setMaxReceivePDULength(65536);
  scp.setHostLookupEnabled(OFFalse);
  auto add = [&](const std::string& cls, const std::vector<std::string>& syntaxes) {
    OFList<OFString> ts;
    for (const auto& s : syntaxes) ts.push_back(s.c_str());
    const OFCondition c = scp.addPresentationContext(cls.c_str(), ts);
    if (c.bad()) throw Error(ErrorCode::Internal, std::string("DCMTK refused a presentation context: ") + c.text());
  };
  // Verification (C-ECHO, Implicit VR Little Endian) is already added by DcmStorageSCP's constructor.
  for (const auto& c : listen_image_sop_classes()) add(c, listen_image_transfer_syntaxes());
  for (const auto& c : listen_stored_only_sop_classes()) add(c, listen_other_transfer_syntaxes());
  cond = scp.setAndCheckAssociationProfile("DEFAULT");  // the profile the contexts above were added to
  if (cond.bad()) throw Error(ErrorCode::Internal, std::string("DCMTK refused the association profile: ") + cond.text());

  // openListenPort() switches dcmdata's automatic input correction off for the whole process (an
  // SCP stores what it receives as received). The analysis must read a received file exactly as
  // `calcscope analyze` reads the same file, so the setting is restored.
  const OFBool correction = dcmEnableAutomaticInputDataCorrection.get();
  cond = scp.openListenPort();
  dcmEnableAutomaticInputDataCorrection.set(correction);
  if (cond.bad())
    throw Error(ErrorCode::ListenFailed,
                "cannot listen on port " + std::to_string(o.port) + " (" + cond.text() +
                    "): another program uses it, or it is below 1024 and we are not root: choose another --port");
  m.port = o.port;
  m.stop_requested = false;
  m.serve_done = false;
  m.serving = true;
  m.serve_thread = std::thread([&m] {
    m.scp->acceptAssociations();
    {
      std::lock_guard<std::mutex> lock(m.mutex);
      m.serve_done = true;
    }
    m.serving = false;
    m.cv.notify_all();
  });
  m.work_thread = std::thread([&m] { m.work(); });
}

void StorageListener::request_stop() { impl_->stop_requested = true; }

void StorageListener::stop() {
  Impl& m = *impl_;
  m.stop_requested = true;
  if (m.serve_thread.joinable()) m.serve_thread.join();
  if (m.work_thread.joinable()) m.work_thread.join();
  m.scp.reset();
}

bool StorageListener::running() const { return impl_->serving.load(); }

StorageListener::Counts StorageListener::counts() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->counts;
}

int StorageListener::pending() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return static_cast<int>(impl_->queue.size()) + impl_->in_progress;
}

int StorageListener::port() const { return impl_->port; }

std::string format_received_line(const ReceivedInstance& r) {
  std::string s = (r.modality.empty() ? std::string("?") : r.modality) + " " + r.sop_instance_uid + " from " +
                  r.calling_aet + "@" + r.peer_ip + ": ";
  char buf[256];
  if (!r.analysed) {
    s += "stored as " + r.file.string() + ", not analysed: " + r.not_analysed_because;
    return s;
  }
  if (!r.analysis.ok) {
    s += "stored as " + r.file.string() + ", analysis FAILED [" + std::string(error_info(r.analysis.error).name) +
         "] " + r.analysis.message;
    return s;
  }
  std::snprintf(buf, sizeof buf, "analysed in %.2f s: %d calcifications, %d clusters", r.seconds,
                r.analysis.calcifications, r.analysis.clusters);
  s += buf;
  if (!r.category.empty()) s += ", BI-RADS " + r.category;
  if (!r.analysis.outputs.empty()) s += " -> " + r.analysis.outputs.front().string();
  for (const auto& w : r.analysis.warnings) s += "; warning: " + w;
  if (r.forwarded) {
    if (r.forwarded->ok)
      s += "; SR forwarded to " + r.forwarded_to + " (" + r.forwarded->sop_instance_uid + ")";
    else
      s += "; SR NOT forwarded to " + r.forwarded_to + " [" + std::string(error_info(r.forwarded->error).name) + "] " + r.forwarded->message;
  }
  return s;
}

}  // namespace calcscope
