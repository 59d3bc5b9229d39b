//! A throw-away PostgreSQL cluster for one test: `initdb` in a temporary directory, a server on a free
//! loopback port, stopped (immediately) when dropped. Debian's server package provides the binaries
//! (`scripts/setup-postgres.sh` installs it; `MOSAIC_PG_BIN` names another bin directory). PostgreSQL
//! refuses to run as root, so as root the cluster runs as the package's `postgres` user.
use std::{
    path::PathBuf,
    process::{Command, Stdio},
};

/// A running cluster.
pub(crate) struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MOSAIC_PG_BIN") {
        return dir.into();
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    found.sort();
    found.pop().unwrap_or_else(|| {
        panic!("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin: run scripts/setup-postgres.sh (or set MOSAIC_PG_BIN)")
    })
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Cluster {
    /// Starts a cluster with a trusting `mosaic` superuser.
    pub(crate) fn start() -> Self {
        let bin = bin_dir();
        let as_postgres = is_root();
        let dir = tempfile::tempdir().unwrap();
        let cluster = Self { dir, bin, port: free_port(), as_postgres };
        std::fs::create_dir(cluster.data()).unwrap();
        if as_postgres {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(cluster.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
            cluster.run(Command::new("chown").args(["postgres:postgres"]).arg(cluster.data()).arg(cluster.dir.path()));
        }
        let data = cluster.data();
        cluster.run(cluster.pg("initdb").arg("-D").arg(&data).args(["-U", "mosaic", "--auth=trust", "--no-sync"]));
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100",
            cluster.port,
            cluster.dir.path().display()
        );
        let log = cluster.dir.path().join("server.log");
        cluster
            .run(cluster.pg("pg_ctl").arg("-D").arg(&data).arg("-l").arg(&log).args(["-w", "-o", &options, "start"]));
        cluster
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn pg(&self, tool: &str) -> Command {
        let path = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn run(&self, command: &mut Command) {
        let out = command.stdin(Stdio::null()).output().unwrap();
        assert!(
            out.status.success(),
            "{command:?}: {}\n{}\nserver log: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
        );
    }

    /// The URL of a new, empty database `name`.
    pub(crate) fn database(&self, name: &str) -> String {
        self.run(self.pg("createdb").args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "mosaic", name]));
        format!("postgres://mosaic@127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.pg("pg_ctl").arg("-D").arg(self.data()).args(["-m", "immediate", "stop"]).output();
    }
}
