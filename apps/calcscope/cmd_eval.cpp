#include "commands.h"

namespace calcscope::cli {

// Placeholder registration; the real command is filled in by its issue.
void register_eval(CLI::App& app, Runner& run) {
  (void)app;
  (void)run;
}

}  // namespace calcscope::cli
