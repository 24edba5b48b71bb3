//! A PostgreSQL cluster of the test's own (`initdb` and `pg_ctl` of the installed PostgreSQL,
//! in a temporary directory, on a free port of 127.0.0.1, trust authentication), so fault tests
//! can stop, kill and restart it without disturbing the shared server. Dropped: stopped and
//! its directory removed.
//!
//! `initdb` refuses to run as root: as root, every command runs as the `postgres` user
//! (`runuser`), which then owns the directory.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::helpers::free_port;

pub struct PgCluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
}

/// The directory of `initdb`/`pg_ctl`: `pg_config --bindir`, else the newest
/// `/usr/lib/postgresql/<version>/bin` that has them.
fn bin_dir() -> PathBuf {
    let has_tools = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Ok(out) = std::process::Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_tools(&dir) {
            return dir;
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, d)| has_tools(d))
        .collect();
    versions.sort();
    versions.pop().map(|(_, d)| d).expect("PostgreSQL's initdb and pg_ctl must be installed for the fault tests")
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A port nothing listens on right now.
impl PgCluster {
    /// Creates and starts a fresh cluster.
    pub async fn start() -> PgCluster {
        let dir = std::env::temp_dir().join(format!("tessera-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let as_postgres = is_root();
        let cluster = PgCluster { bin: bin_dir(), dir, port: free_port(), as_postgres };
        if as_postgres {
            let ok = std::process::Command::new("chown").arg("postgres:postgres").arg(&cluster.dir).status().unwrap();
            assert!(ok.success(), "cannot give {} to the postgres user", cluster.dir.display());
        }
        let data = cluster.data().display().to_string();
        cluster.run("initdb", &["-D", &data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]).await;
        let settings = format!(
            "listen_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = '{}'\nfsync = off\n\
             full_page_writes = off\nmax_connections = 100\nshared_buffers = 16MB\n",
            cluster.port,
            cluster.dir.display()
        );
        let conf = cluster.data().join("postgresql.auto.conf");
        let mut text = std::fs::read_to_string(&conf).unwrap_or_default();
        text.push_str(&settings);
        std::fs::write(&conf, text).unwrap();
        cluster.start_server().await;
        cluster
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The URL of the cluster's `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn command(&self, tool: &str, args: &[&str]) -> std::process::Command {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            std::process::Command::new(exe)
        };
        cmd.args(args).current_dir(&self.dir).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd
    }

    async fn run(&self, tool: &str, args: &[&str]) {
        let out = tokio::process::Command::from(self.command(tool, args)).output().await.unwrap();
        assert!(
            out.status.success(),
            "{tool} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn pg_ctl_args<'a>(&'a self, data: &'a str, log: &'a str, action: &'a str, mode: &'a str) -> Vec<&'a str> {
        let mut args = vec!["-D", data, "-l", log, "-w", "-t", "30", action];
        if !mode.is_empty() {
            args.extend(["-m", mode]);
        }
        args
    }

    async fn pg_ctl(&self, action: &str, mode: &str) {
        let (data, log) = (self.data().display().to_string(), self.dir.join("server.log").display().to_string());
        self.run("pg_ctl", &self.pg_ctl_args(&data, &log, action, mode)).await;
    }

    async fn start_server(&self) {
        self.pg_ctl("start", "").await;
    }

    /// Starts the stopped server and returns once it accepts connections.
    pub async fn start_again(&self) {
        self.start_server().await;
    }

    /// A clean stop: connections are closed, the server shuts down (`pg_ctl stop -m fast`).
    pub async fn stop(&self) {
        self.pg_ctl("stop", "fast").await;
    }

    /// The server dies without cleaning up (`pg_ctl stop -m immediate`, as after kill -9).
    pub async fn kill(&self) {
        self.pg_ctl("stop", "immediate").await;
    }

    /// A plain restart (`pg_ctl restart -m fast`); returns once it accepts connections again.
    pub async fn restart(&self) {
        self.pg_ctl("restart", "fast").await;
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let (data, log) = (self.data().display().to_string(), self.dir.join("server.log").display().to_string());
        // Stopping an already stopped server fails harmlessly.
        let _ = self.command("pg_ctl", &self.pg_ctl_args(&data, &log, "stop", "immediate")).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
