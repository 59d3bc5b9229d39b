//! The page's pure logic (batch status, proofs, escaping, amounts), run in Node (`page-logic.cjs`).
use std::process::Command;

#[test]
fn the_pages_status_proof_and_escaping_logic() {
    // Where cargo runs the test from, not where it was compiled: a target directory shared between
    // checkouts may hold a test binary built in another one.
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let script = format!("{dir}/tests/page-logic.cjs");
    let out = Command::new("node").arg(&script).output().expect("node (>= 20) is needed: scripts/setup-tools.sh");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("page logic: ok"), "{stdout}");
}
