// DicomPeer parsing and the process set-up shared by the SCU and the SCP.
#include "calcscope/net/peer.h"

#include "net_common.h"

#include <cstdlib>
#include <csignal>
#include <mutex>

#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmnet/cond.h>
#include <dcmtk/oflog/oflog.h>

#include "calcscope/core/error.h"
#include "io/dicom_codecs.h"

namespace calcscope {

namespace {
std::mutex g_log_mutex;
int g_verbose = -1;  // -1: never set (quiet), 0 quiet, 1 verbose

void apply_log_level(bool verbose) {
  const auto level = verbose ? OFLogger::INFO_LOG_LEVEL : OFLogger::FATAL_LOG_LEVEL;
  OFLog::getLogger("dcmtk.dcmnet").setLogLevel(level);
}
}  // namespace

std::string DicomPeer::to_string() const { return aet + "@" + host + ":" + std::to_string(port); }

void check_ae_title(const std::string& aet, const std::string& what) {
  if (aet.empty() || aet.size() > 16)
    throw Error(ErrorCode::Usage, what + " '" + aet + "' must have 1 to 16 characters");
  bool only_spaces = true;
  for (const unsigned char c : aet) {
    if (c < 0x20 || c == 0x7f || c == '\\' || c > 0x7e)
      throw Error(ErrorCode::Usage, what + " '" + aet +
                                        "' may only hold printable ASCII characters without backslash");
    if (c != ' ') only_spaces = false;
  }
  if (only_spaces) throw Error(ErrorCode::Usage, what + " must not be blank");
}

DicomPeer parse_dicom_peer(const std::string& text) {
  const std::string help = "'" + text + "': give the peer as AET@HOST:PORT, e.g. ORTHANC@127.0.0.1:4242";
  const auto at = text.rfind('@');
  if (at == std::string::npos || at == 0) throw Error(ErrorCode::Usage, "no AE title in " + help);
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon < at) throw Error(ErrorCode::Usage, "no port in " + help);
  DicomPeer p;
  p.aet = text.substr(0, at);
  p.host = text.substr(at + 1, colon - at - 1);
  const std::string port = text.substr(colon + 1);
  if (p.host.size() >= 2 && p.host.front() == '[' && p.host.back() == ']') p.host = p.host.substr(1, p.host.size() - 2);
  if (p.host.empty()) throw Error(ErrorCode::Usage, "no host in " + help);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    throw Error(ErrorCode::Usage, "bad port in " + help);
  p.port = std::stoi(port);
  if (p.port < 1 || p.port > 65535) throw Error(ErrorCode::Usage, "port out of range 1-65535 in " + help);
  try {
    check_ae_title(p.aet, "the peer's AE title");
  } catch (const Error& e) {
    throw Error(ErrorCode::Usage, e.message() + ": " + help);
  }
  return p;
}

void set_dicom_network_verbose(bool verbose) {
  std::lock_guard<std::mutex> lock(g_log_mutex);
  g_verbose = verbose ? 1 : 0;
  apply_log_level(verbose);
}

void init_dicom_network() { net_detail::ensure_network_setup(); }

namespace net_detail {

void ensure_network_setup() {
  static std::once_flag once;
  std::call_once(once, [] {
    // A write to a socket the peer has closed raises SIGPIPE, whose default action ends the process.
    struct sigaction old {};
    if (sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL) std::signal(SIGPIPE, SIG_IGN);
    // Debian's DCMTK 3.6.7 leaves Nagle's algorithm on unless TCP_NODELAY=1 is in the environment
    // (read when each socket is made): every request/answer then waits for a delayed ACK, ~40 ms
    // per message on loopback (C-ECHO 86 ms instead of 1 ms, measured). A value the user set wins.
    setenv("TCP_NODELAY", "1", 0);
    io_detail::ensure_dicom_decoders();
  });
  std::lock_guard<std::mutex> lock(g_log_mutex);
  if (g_verbose < 0) {
    g_verbose = 0;
    apply_log_level(false);
  }
}

std::string modality_of(const std::string& sop_class_uid) {
  const char* m = dcmSOPClassUIDToModality(sop_class_uid.c_str(), nullptr);
  std::string s = m ? m : "";
  // DCMTK marks variants with lower-case letters ("DXm" for mammography, "SRm" for the CAD SR).
  while (!s.empty() && s.back() >= 'a' && s.back() <= 'z') s.pop_back();
  if (s == "DX" && sop_class_uid.rfind("1.2.840.10008.5.1.4.1.1.1.2", 0) == 0) s = "MG";
  return s;
}

std::string sop_class_name(const std::string& sop_class_uid) {
  const char* n = dcmFindNameOfUID(sop_class_uid.c_str(), nullptr);
  return n ? n : sop_class_uid;
}

std::string transfer_syntax_name(const std::string& ts_uid) {
  DcmXfer x(ts_uid.c_str());
  return x.getXfer() == EXS_Unknown ? ts_uid : std::string(x.getXferName());
}

ErrorCode association_failure_code(const OFCondition& cond) {
  if (cond == DUL_ASSOCIATIONREJECTED || cond == NET_EC_NoAcceptablePresentationContexts)
    return ErrorCode::AssociationRejected;
  return ErrorCode::PeerUnreachable;
}

}  // namespace net_detail
}  // namespace calcscope
