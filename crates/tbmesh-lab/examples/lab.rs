//! `cargo run -p tbmesh-lab --example lab -- up`: the lab's command line on
//! its own, the same code `tbmesh lab` runs.

use clap::Parser;

#[derive(Parser)]
struct Args {
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    cmd: tbmesh_lab::cli::LabCommand,
}

fn main() {
    let args = Args::parse();
    let code = match tbmesh_lab::cli::run(args.cmd, args.json) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            1
        }
    };
    std::process::exit(code);
}
