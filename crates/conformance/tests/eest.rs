//! The bundled execution-spec-tests state tests, every case, through Mosaic's STF. Not a libtest harness:
//! it prints `state tests: N passed, N failed, N skipped (reasons)` on every run (CI's log keeps it) and
//! fails on any failed case, or if the bundled release is not complete.
use mosaic_conformance::Suite;
use std::process::ExitCode;

fn main() -> ExitCode {
    let suite = match Suite::bundled() {
        Ok(suite) => suite,
        Err(e) => {
            eprintln!("state tests: cannot read the bundled fixtures: {e}");
            return ExitCode::FAILURE;
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let report = suite.run("", threads);
    for (name, why) in report.failures() {
        eprintln!("FAILED {name}: {why}");
    }
    println!("state tests (EEST v4.1.0, {} files, {} cases): {}", suite.len(), report.cases.len(), report.summary());
    let complete = suite.len() == 189 && report.cases.len() == 4856;
    if !complete {
        eprintln!("the bundled release should have 189 files and 4,856 cases");
    }
    if report.failures().next().is_some() || !complete {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
