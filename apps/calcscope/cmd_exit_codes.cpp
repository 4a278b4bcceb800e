#include <iostream>

#include "calcscope/core/error.h"
#include "commands.h"

namespace calcscope::cli {

void register_exit_codes(CLI::App& app, Runner& run) {
  auto* sub = app.add_subcommand("exit-codes", "Print the table of exit codes and their meaning");
  sub->callback([&run] {
    run = [] {
      std::cout << "exit  name                 meaning\n";
      std::cout << "1     partial_failure      a batch finished but some inputs failed (see the summary)\n";
      for (const auto& e : error_table()) {
        std::printf("%-5d %-20s %s\n", e.exit_code, std::string(e.name).c_str(), std::string(e.meaning).c_str());
      }
      return 0;
    };
  });
}

}  // namespace calcscope::cli
