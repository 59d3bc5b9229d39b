//! `mosaic devnet --sequencers N`: a sequencer set of N member processes on this machine, each a
//! `mosaic devnet --sequencer-set` with its own database, JSON-RPC port and p2p port, for running and
//! testing BFT ordering locally. Unless `--no-l1`, this parent process runs the L1 (embedded, or
//! reaches `--l1-rpc`), deploys the contracts for the set and funds the members, which then post and
//! attest the set's batches themselves. The set file is written on the first start and reused after (members
//! pin its hash), the members' keys are dev-mnemonic accounts 20…20+N−1, and a member that exits
//! stops the whole set.
use crate::config::DevnetArgs;
use alloy_primitives::hex;
use anyhow::{bail, Context as _};
use mosaic_consensus::SequencerSet;
use mosaic_node::dev;
use std::{
    ffi::OsString,
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

/// First dev-mnemonic index of a local set's member keys (the devnet's producer keys).
const FIRST_KEY: u32 = 20;
/// p2p port of member 0 of a local set on fixed ports; member i listens on this + i.
const P2P_BASE: u16 = 27000;
/// Set on a member of a local set: it exits once its parent's end of its stdin closes.
const EXIT_WITH_PARENT: &str = "MOSAIC_EXIT_WITH_PARENT";

/// In a member of a local set, exits the process once the parent is gone (its stdin pipe closed),
/// so a killed `mosaic devnet --sequencers N` leaves no members behind.
pub(crate) fn exit_with_parent() {
    if std::env::var_os(EXIT_WITH_PARENT).is_none() {
        return;
    }
    std::thread::spawn(|| {
        use std::io::Read;
        let mut buf = [0u8; 64];
        while matches!(std::io::stdin().read(&mut buf), Ok(n) if n > 0) {}
        eprintln!("the local sequencer set's parent process is gone; exiting");
        std::process::exit(1);
    });
}

/// Flags a member must not inherit from the command that started the set: it gets its own.
/// The L1 flags are the parent's: it runs (or reaches) the L1 and deploys, the members settle on it
/// from their own accounts.
const OWN_FLAGS: &[&str] = &[
    "--sequencers",
    "--data-dir",
    "--port",
    "-p",
    "--sequencer-set",
    "--validator-key",
    "--l1-rpc",
    "--l1-contracts",
    "--l1-confirmations",
    "--l1-private-key",
];

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The command line of a member: this command's own arguments without the flags in [`OWN_FLAGS`]
/// (and their values).
fn inherited_args(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut out = Vec::new();
    let mut skip_value = false;
    for arg in args {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        let text = arg.to_string_lossy();
        let flag = text.split('=').next().unwrap_or_default();
        if OWN_FLAGS.contains(&flag) {
            skip_value = !text.contains('=');
            continue;
        }
        out.push(arg);
    }
    out
}

/// The set file of a local set of `n` members: RPC on `rpc_ports`, p2p on fixed ports (or free ones
/// when the RPC ports were picked free, as tests do).
fn local_set(
    n: usize,
    host: &str,
    rpc_ports: &[u16],
    free: bool,
    block_time: Duration,
    fee_recipient: alloy_primitives::Address,
) -> anyhow::Result<String> {
    let keys = dev::dev_signers(FIRST_KEY + n as u32);
    let mut s = format!(
        "# A local sequencer set (`mosaic devnet --sequencers {n}`): dev-mnemonic keys {FIRST_KEY}…{}.\n\
         block_time = \"{}ms\"\nfee_recipient = \"{}\"\n",
        FIRST_KEY as usize + n - 1,
        block_time.as_millis(),
        fee_recipient
    );
    for (i, k) in keys[FIRST_KEY as usize..].iter().enumerate() {
        let public = k.credential().verifying_key().to_encoded_point(true);
        let p2p = if free { free_port()? } else { P2P_BASE + i as u16 };
        s.push_str(&format!(
            "\n[[member]]\naddress = \"{}\"\npublic_key = \"0x{}\"\np2p = \"/ip4/127.0.0.1/tcp/{p2p}\"\nrpc = \"http://{host}:{}\"\n",
            k.address(),
            hex::encode(public.as_bytes()),
            rpc_ports[i]
        ));
    }
    Ok(s)
}

/// RPC port of member `i` when member 0 is on `port`: 8545, then 8551, 8552, … (8546 is the L1's).
fn member_port(port: u16, i: usize) -> u16 {
    if i == 0 {
        port
    } else {
        port.saturating_add(5 + i as u16)
    }
}

/// Waits until something answers JSON-RPC at `url`.
async fn wait_for_rpc(url: &str, deadline: Instant) -> anyhow::Result<()> {
    use jsonrpsee::core::client::ClientT;
    let client = jsonrpsee::http_client::HttpClientBuilder::default().build(url)?;
    loop {
        if client.request::<String, _>("eth_chainId", jsonrpsee::rpc_params![]).await.is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("no JSON-RPC at {url}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs `c`'s set of `c.sequencer.sequencers` members until Ctrl-C or until one of them exits.
pub(crate) async fn run_local_set(c: &DevnetArgs, data_dir: &Path) -> anyhow::Result<()> {
    let n = c.sequencer.sequencers as usize;
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let set_path = data_dir.join("sequencers.toml");
    let set = if set_path.exists() {
        let set = SequencerSet::load(&set_path)?;
        if set.members.len() != n {
            bail!("{} has {} members, not {n}; remove it for a new set", set_path.display(), set.members.len());
        }
        set
    } else {
        let free = c.rpc.port == 0;
        let ports: Vec<u16> = (0..n)
            .map(|i| if free { free_port() } else { Ok(member_port(c.rpc.port, i)) })
            .collect::<Result<_, _>>()?;
        let s = &c.sequencer;
        let text = local_set(n, &c.rpc.host, &ports, free, s.block_time, s.fee_recipient)?;
        std::fs::write(&set_path, &text).with_context(|| format!("writing {}", set_path.display()))?;
        SequencerSet::from_toml(&text)?
    };
    let keys = dev::dev_signers(FIRST_KEY + n as u32);
    let exe = std::env::current_exe().context("locating the mosaic binary")?;
    let mut inherited = inherited_args(std::env::args_os().skip(1));
    // The L1 and its contracts, for all members (and the embedded L1's sequencer, under `services`).
    let mut services = mosaic_node::Supervisor::new();
    let settlement = if c.l1.no_l1 { None } else { Some(set_l1(c, data_dir, &set, &mut services).await?) };
    if let Some((url, contracts, confirmations, _)) = &settlement {
        inherited.extend(["--l1-rpc", url, "--l1-contracts"].map(OsString::from));
        inherited.push(contracts.clone().into_os_string());
        inherited.extend(["--l1-confirmations".into(), confirmations.to_string().into()]);
    }
    let mut children = Vec::new();
    let mut urls = Vec::new();
    for (i, member) in set.members.iter().enumerate() {
        let url = member.rpc.clone().context("a local set's member has an rpc URL")?;
        let port = url.rsplit(':').next().unwrap_or_default().to_string();
        let dir: PathBuf = data_dir.join(format!("seq-{i}"));
        std::fs::create_dir_all(&dir)?;
        let log = std::fs::File::create(dir.join("mosaic.log"))?;
        let child = tokio::process::Command::new(&exe)
            .args(&inherited)
            .arg("--data-dir")
            .arg(&dir)
            // Given on the command line, `--sequencers 1` also wins over a config file's set size.
            .args(["--sequencers", "1", "--port", &port, "--sequencer-set"])
            .arg(&set_path)
            // The key in the environment, not on a command line others can read.
            .env("MOSAIC_VALIDATOR_KEY", hex::encode(keys[FIRST_KEY as usize + i].to_bytes()))
            // The member exits when this pipe closes: when this process ends, even by `kill -9`.
            .env(EXIT_WITH_PARENT, "1")
            .stdin(Stdio::piped())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting member {i}"))?;
        children.push(child);
        urls.push((url, dir));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    for (url, dir) in &urls {
        wait_for_rpc(url, deadline)
            .await
            .with_context(|| format!("member log: {}", dir.join("mosaic.log").display()))?;
    }
    println!("\nMosaic devnet: a sequencer set of {n} (BFT, quorum {}; {})\n", set.quorum(), set_path.display());
    for (i, (url, dir)) in urls.iter().enumerate() {
        println!("member {i}: {url}   log {}", dir.join("mosaic.log").display());
    }
    if let Some((url, contracts, _, _)) = &settlement {
        println!("\nL1 RPC:            {url}\nL1 contracts:      {}", contracts.display());
        println!("Batches:           posted in turn by the members, each with the attestations of {}", set.quorum());
    }
    let first = urls[0].0.trim_start_matches("http://");
    println!("\nRPC URL:           http://{first}\n\nListening on {first}");
    let exited = async {
        loop {
            for (i, child) in children.iter_mut().enumerate() {
                if let Ok(Some(status)) = child.try_wait() {
                    return (i, status);
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let result = tokio::select! {
        _ = tokio::signal::ctrl_c() => Ok(()),
        (i, status) = exited => Err(anyhow::anyhow!("member {i} exited ({status}); see {}", urls[i].1.join("mosaic.log").display())),
        exit = services.wait() => Err(anyhow::Error::new(exit)),
    };
    if let Some((_, _, _, Some(handle))) = settlement {
        handle.stop().ok();
    }
    services.shutdown().await;
    result
}

/// The set's L1 — `--l1-rpc`, or an embedded one started under `services` — with the set's contracts
/// (deployed on the first start: the members propose and attest; loaded and checked after) and the
/// members' accounts funded on a development L1. Returns the L1's URL, the contracts file, the
/// confirmations the members wait for, and the embedded L1's server.
async fn set_l1(
    c: &DevnetArgs,
    data_dir: &Path,
    set: &SequencerSet,
    services: &mut mosaic_node::Supervisor,
) -> anyhow::Result<(String, PathBuf, u64, Option<jsonrpsee::server::ServerHandle>)> {
    use crate::settlement;
    let (url, confirmations, handle) = crate::config::devnet_l1(c, data_dir, services).await?;
    let l1 =
        mosaic_rollup::L1Client::new(&url, crate::config::l1_signer(c.l1.l1_private_key.as_deref())?, confirmations)?;
    let path = c.l1.l1_contracts.clone().unwrap_or_else(|| data_dir.join("l1-contracts.json"));
    settlement::deploy_for(&l1, &path, &c.chain, &c.rollup, Some(set)).await?;
    Ok((url, path, confirmations, handle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_keep_the_set_flags_off_and_everything_else() {
        let args = ["devnet", "--sequencers", "4", "--no-l1", "--port=9000", "--data-dir", "/x", "--chain-id", "7"];
        let kept = inherited_args(args.iter().map(OsString::from));
        assert_eq!(kept, ["devnet", "--no-l1", "--chain-id", "7"].map(OsString::from));
        // The parent's L1 flags stay with it: it passes the members the L1 and contracts it settled on,
        // and its deployer key must not become every member's L1 account.
        let args =
            ["devnet", "--l1-rpc", "http://l1", "--l1-private-key=0x01", "--l1-contracts", "c.json", "--mode", "zk"];
        let kept = inherited_args(args.iter().map(OsString::from));
        assert_eq!(kept, ["devnet", "--mode", "zk"].map(OsString::from));
        assert_eq!((member_port(8545, 0), member_port(8545, 1), member_port(8545, 3)), (8545, 8551, 8553));
    }

    #[test]
    fn a_local_set_is_a_valid_set_file() {
        let text =
            local_set(4, "127.0.0.1", &[8545, 8551, 8552, 8553], false, Duration::from_secs(1), Default::default())
                .unwrap();
        let set = SequencerSet::from_toml(&text).unwrap();
        assert_eq!((set.members.len(), set.quorum()), (4, 3));
        assert_eq!(set.members[1].p2p, "/ip4/127.0.0.1/tcp/27001");
        assert_eq!(set.members[3].rpc.as_deref(), Some("http://127.0.0.1:8553"));
        assert_eq!(set.members[0].address, dev::dev_signers(21)[20].address());
    }
}
