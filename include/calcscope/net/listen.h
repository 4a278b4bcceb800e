// DICOM Storage SCP: receives mammograms, stores them, analyses each with the pipeline `analyze`
// uses (analyze_file) and optionally forwards the Mammography CAD SR (DCMTK dcmnet, DcmStorageSCP).
// Used by `calcscope listen`; docs/dicom-network.md lists the SOP classes and transfer syntaxes.
#pragma once
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "calcscope/net/peer.h"
#include "calcscope/net/send.h"
#include "calcscope/pipeline/batch.h"

namespace calcscope {

struct ListenOptions {
  int port = 11112;
  std::string aet = "CALCSCOPE";  ///< our AE title (any called AE title is accepted, as storescp and Orthanc do)
  int timeout_seconds = 30;       ///< association (ACSE) and DIMSE timeouts of incoming associations
  /// Analysis settings; analysis.output_dir is where the outputs go (<stem>.json, reports), and the
  /// received objects are stored in analysis.output_dir / "received" as <MODALITY>.<SOP Instance UID>.dcm.
  /// The output stem of a received image is that file name without ".dcm".
  BatchOptions analysis;
  /// Forward each SR written (analysis.reports.sr) to this peer (SendOptions: calling AE title, timeout).
  std::optional<DicomPeer> forward_sr;
  SendOptions forward;
};

/// One received instance, reported once it is done with (stored, analysed, forwarded).
struct ReceivedInstance {
  std::filesystem::path file;   ///< where the received object was stored
  std::string sop_class_uid, sop_instance_uid, modality;  ///< modality: short SOP class name (MG, SR, ...)
  std::string calling_aet, peer_ip;
  bool analysed = false;        ///< an analysis was attempted (an image SOP class with pixel data)
  std::string not_analysed_because;  ///< when !analysed: why (an SR, a dose report, no pixel data)
  FileOutcome analysis;         ///< when analysed: ok or the error (as in the analyze summary)
  std::string category;         ///< BI-RADS category of the image when analysed ok
  std::optional<SentFile> forwarded;  ///< when an SR was forwarded (or tried)
  std::string forwarded_to;     ///< the peer it was sent to ("AET@HOST:PORT")
  double seconds = 0;           ///< from stored to done
};

/// One line per received instance (no newline; the CLI prefixes the time), e.g.
/// "MG 1.2.3 from MODALITY@10.0.0.5: analysed in 1.20 s: 314 calcifications, 2 clusters, BI-RADS 4A ->
/// DIR/MG.1.2.3.json; SR forwarded to PACS@pacs:104 (1.2.9)", or "SR 1.2.4 from ...: stored as
/// DIR/received/SR.1.2.4.dcm, not analysed: a Mammography CAD SR is not an image".
std::string format_received_line(const ReceivedInstance& r);

using ReceivedFn = std::function<void(const ReceivedInstance&)>;

/// The SCP. start() opens the port and serves associations on a background thread (one association
/// at a time); received objects are analysed on a second thread, so the sender's C-STORE is answered
/// as soon as the object is on disk. stop() stops accepting (after the association in progress),
/// finishes the queued analyses and returns. Thread-safe: request_stop() may be called from anywhere
/// (not from a signal handler: set your own flag there and call it from a normal thread).
class StorageListener {
 public:
  /// `on_received` is called on the analysis thread, once per received instance.
  explicit StorageListener(ListenOptions options, ReceivedFn on_received = {});
  ~StorageListener();  ///< stop()
  StorageListener(const StorageListener&) = delete;
  StorageListener& operator=(const StorageListener&) = delete;

  /// Opens the port and starts serving. Throws Error(ListenFailed) when the port cannot be opened,
  /// Error(OutputFailed) when the output directory cannot be created, Error(Usage) for a bad AE title.
  void start();
  void request_stop();
  /// request_stop(), wait for the serving thread (at most ~1 s after the association in progress
  /// ends) and for the queued analyses. Idempotent.
  void stop();
  bool running() const;

  struct Counts {
    int received = 0, analysed_ok = 0, analysis_failed = 0, not_analysed = 0, forwarded = 0, forward_failed = 0;
  };
  Counts counts() const;
  /// Received objects not yet reported through on_received.
  int pending() const;
  int port() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/// The SOP classes `listen` accepts and analyses (MG For Presentation / For Processing, DX For
/// Presentation / For Processing, CR, Secondary Capture), and those it accepts and only stores (SRs
/// incl. the dose report, presentation states, encapsulated PDF). UIDs.
const std::vector<std::string>& listen_image_sop_classes();
const std::vector<std::string>& listen_stored_only_sop_classes();
/// The transfer syntaxes accepted for images (in order of preference) and for the other objects.
const std::vector<std::string>& listen_image_transfer_syntaxes();
const std::vector<std::string>& listen_other_transfer_syntaxes();

}  // namespace calcscope
