//! The bundled execution-spec-tests state tests, every case, through Mosaic's STF.
use mosaic_conformance::Suite;

#[test]
fn ethereum_state_tests_pass_through_the_stf() {
    let suite = Suite::bundled().expect("bundled fixtures");
    assert_eq!(suite.len(), 189, "the bundled release has 189 files");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let report = suite.run("", threads);
    for (name, why) in report.failures() {
        eprintln!("FAILED {name}: {why}");
    }
    eprintln!("state tests: {}", report.summary());
    assert_eq!(report.cases.len(), 4856, "every case of the release is accounted for");
    assert_eq!(report.failures().count(), 0, "{}", report.summary());
}
