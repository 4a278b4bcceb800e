// Each subcommand lives in its own file and only parses arguments and calls the library.
#pragma once
#include <functional>

#include <CLI/CLI.hpp>

namespace calcscope::cli {

/// A registered subcommand sets `run`; main() calls it and maps errors to exit codes.
using Runner = std::function<int()>;

void register_analyze(CLI::App& app, Runner& run);
void register_phantom(CLI::App& app, Runner& run);
void register_cut_patches(CLI::App& app, Runner& run);
void register_eval(CLI::App& app, Runner& run);
void register_compare(CLI::App& app, Runner& run);
void register_train(CLI::App& app, Runner& run);
void register_exit_codes(CLI::App& app, Runner& run);
void register_schema(CLI::App& app, Runner& run);
void register_serve(CLI::App& app, Runner& run);
void register_send(CLI::App& app, Runner& run);
void register_listen(CLI::App& app, Runner& run);

}  // namespace calcscope::cli
