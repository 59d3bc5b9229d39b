//! The e2e client scripts (Foundry's forge/cast, then viem; a cast deposit on the embedded L1) against a
//! spawned devnet. They need the pinned tools in `.tools/`: without them this test fails (it never passes
//! silently).
mod common;

use common::*;
use std::{
    io::Read,
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

/// Runs a command in the repository root with a deadline; returns (success, stdout, stderr).
fn run(program: &str, args: &[&str], limit: Duration) -> (bool, String, String) {
    let mut child = Command::new(program)
        .args(args)
        .current_dir(repo_root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = pipe.read_to_string(&mut s);
            s
        })
    };
    let out = read(Box::new(child.stdout.take().unwrap()));
    let err = read(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    let Some(status) = status else {
        panic!("{program} {args:?} did not finish within {limit:?}\nstdout:\n{out}\nstderr:\n{err}");
    };
    (status.success(), out, err)
}

fn require_tools() {
    let root = repo_root();
    let forge = root.join(".tools/node_modules/.bin/forge");
    assert!(
        forge.exists(),
        "{} is missing: run scripts/setup-tools.sh to install the pinned e2e tools (forge, cast, viem)",
        forge.display()
    );
    assert!(
        Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success()),
        "`node` (>= 20) is not on PATH; it is needed by the e2e tools (see scripts/setup-tools.sh)"
    );
    assert!(Path::new(&root.join("e2e/foundry-erc20.sh")).exists());
}

#[test]
fn foundry_and_viem_erc20_scripts_pass() {
    require_tools();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let node = DevNode::start(&["--block-time", "0"]);
    let url = node.http_url();
    let limit = Duration::from_secs(300);

    // Foundry: forge build + create, cast send/call/logs. Also builds the artifact viem reads.
    let (ok, out, err) = run("bash", &["e2e/foundry-erc20.sh", &url], limit);
    assert!(ok, "e2e/foundry-erc20.sh failed\nstdout:\n{out}\nstderr:\n{err}");
    assert!(out.lines().any(|l| l.trim() == "foundry-erc20: OK"), "no OK line\nstdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("foundry-erc20: deployed Token at"), "{out}");

    let (ok, out, err) = run("node", &["e2e/viem-erc20.mjs", &url], limit);
    assert!(ok, "e2e/viem-erc20.mjs failed\nstdout:\n{out}\nstderr:\n{err}");
    assert!(out.lines().any(|l| l.trim() == "viem-erc20: OK"), "no OK line\nstdout:\n{out}\nstderr:\n{err}");

    // The node is still healthy and the scripts really used it: dev account 0 sent transactions.
    rt.block_on(async {
        let rpc = node.rpc();
        // foundry: deploy, transfer, approve, reverted transfer; viem: deploy, transfer, approve.
        let nonce = rpc.nonce(dev(0).address(), "latest").await;
        assert!(nonce >= 7, "the scripts' 7 transactions landed here, nonce is {nonce}");
        assert!(rpc.block_number().await >= 7);
    });
}

#[test]
fn cast_deposits_on_the_embedded_l1_reach_l2() {
    require_tools();
    let node = DevNode::start(&["--block-time", "300ms", "--l1-block-time", "300ms"]);
    let (ok, out, err) = run("bash", &["e2e/cast-deposit.sh", &node.http_url()], Duration::from_secs(180));
    assert!(ok, "e2e/cast-deposit.sh failed\nstdout:\n{out}\nstderr:\n{err}");
    assert!(out.lines().any(|l| l.trim() == "cast-deposit: OK"), "no OK line\nstdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("L2 consumed the queue up to 2"), "{out}");
}
