//! The `fleetsim` command line. Thin: parse arguments, call into the library, map errors to exit
//! codes (0 success, 1 a run failed, 2 bad input).

mod cli;

fn main() {
    std::process::exit(cli::main());
}
