#include "commands.h"

namespace calcscope::cli {
void register_analyze(CLI::App& app, Runner& run) {
  (void)app;
  (void)run;
}
}  // namespace calcscope::cli
