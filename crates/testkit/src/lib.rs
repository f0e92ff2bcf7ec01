//! Dev-only helper: a throwaway PostgreSQL cluster for integration tests.
//!
//! * [`PgCluster::start`] runs `initdb` into a temporary folder and starts the
//!   server on a free loopback port; the cluster is stopped and deleted when the
//!   value is dropped.
//! * [`PgServer::get`] uses the server named by `XINFANG_TEST_PG_URL` (an admin
//!   URL such as `postgres://postgres@127.0.0.1:5432/postgres`) when that is set,
//!   and otherwise starts its own cluster.
//! * [`shared_pg`] gives one server per test binary; a small watchdog process
//!   stops and deletes its cluster once the test process has gone.
//!
//! The PostgreSQL server binaries are looked up in `XINFANG_PG_BIN` (a folder),
//! then on `PATH`, then under `/usr/lib/postgresql/*/bin` (15 first). The server
//! refuses to run as root, so when the tests run as root `initdb` and `pg_ctl`
//! run as the `postgres` system user (through `runuser`, or `su`).

use std::fs;
use std::io::Write as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The environment variable naming an external admin URL to use instead of a
/// throwaway cluster.
pub const EXTERNAL_URL_ENV: &str = "XINFANG_TEST_PG_URL";
/// The environment variable naming the folder of the PostgreSQL server binaries.
pub const BIN_DIR_ENV: &str = "XINFANG_PG_BIN";
/// The system user that runs the server when the tests run as root.
pub const SERVER_USER: &str = "postgres";

/// A PostgreSQL cluster that lives as long as this value; stopped
/// (`pg_ctl stop -m immediate`) and deleted on drop.
#[derive(Debug)]
pub struct PgCluster {
    dir: tempfile::TempDir,
    port: u16,
    bin_dir: PathBuf,
    runner: Runner,
}

impl PgCluster {
    /// Runs `initdb` (trust authentication, superuser `postgres`, UTF8, locale C)
    /// and starts the server on a free loopback TCP port, with its Unix socket in
    /// the temporary folder and durability turned off for speed; returns once
    /// the server accepts connections.
    pub fn start() -> Result<PgCluster, String> {
        Self::start_with(Runner::detect()?)
    }

    fn start_with(runner: Runner) -> Result<PgCluster, String> {
        let bin_dir = find_bin_dir()?;
        let dir = make_temp_dir(&runner)?;
        let data = dir.path().join("data");
        let cluster_dir = dir.path().to_path_buf();

        let initdb_args = words(&[
            "-D",
            &path_str(&data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        ]);
        let out = runner
            .command(&bin_dir.join("initdb"), &initdb_args, &cluster_dir)
            .output()
            .map_err(|e| format!("cannot run initdb from {}: {e}", bin_dir.display()))?;
        if !out.status.success() {
            return Err(format!(
                "initdb failed ({}){}",
                out.status,
                describe_output(&out)
            ));
        }

        let conf = format!(
            "\n# xinfang-testkit\n\
             listen_addresses = '127.0.0.1'\n\
             unix_socket_directories = '{}'\n\
             fsync = off\n\
             synchronous_commit = off\n\
             full_page_writes = off\n\
             max_connections = 200\n",
            cluster_dir.display().to_string().replace('\'', "''")
        );
        fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .and_then(|mut f| f.write_all(conf.as_bytes()))
            .map_err(|e| format!("cannot write postgresql.conf: {e}"))?;

        let log = cluster_dir.join("server.log");
        let mut last_error = String::new();
        for _attempt in 0..5 {
            let port = free_port()?;
            let start_args = words(&[
                "-D",
                &path_str(&data),
                "-l",
                &path_str(&log),
                "-w",
                "-t",
                "60",
                "-o",
                &format!("-p {port}"),
                "start",
            ]);
            let out = runner
                .command(&bin_dir.join("pg_ctl"), &start_args, &cluster_dir)
                .output()
                .map_err(|e| format!("cannot run pg_ctl from {}: {e}", bin_dir.display()))?;
            let log_text = fs::read_to_string(&log).unwrap_or_default();
            if out.status.success() {
                let cluster = PgCluster {
                    dir,
                    port,
                    bin_dir,
                    runner,
                };
                cluster.wait_ready(Duration::from_secs(30))?;
                return Ok(cluster);
            }
            last_error = format!(
                "pg_ctl start on port {port} failed ({}){}\nserver log:\n{}",
                out.status,
                describe_output(&out),
                tail(&log_text, 30)
            );
            // Another process may have taken the port between our probe and the
            // server's bind: try another one. Anything else is final.
            if !(log_text.contains("could not bind") || log_text.contains("already in use")) {
                break;
            }
            let _ = fs::write(&log, "");
        }
        Err(last_error)
    }

    /// The TCP port on 127.0.0.1 the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The data directory of the cluster.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The folder holding the data directory, socket and log.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// An admin URL: `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Creates a fresh (empty) database and returns its URL:
    /// `postgres://postgres@127.0.0.1:PORT/NAME`.
    pub fn fresh_database(&self, name: &str) -> Result<String, String> {
        create_database(&self.psql(), &self.admin_url(), name)
    }

    fn psql(&self) -> PathBuf {
        let local = self.bin_dir.join("psql");
        if local.is_file() {
            local
        } else {
            PathBuf::from("psql")
        }
    }

    fn wait_ready(&self, timeout: Duration) -> Result<(), String> {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + timeout;
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "PostgreSQL did not accept connections on {addr} within {timeout:?}"
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn stop(&self) {
        let data = self.data_dir();
        let stop_args = words(&[
            "-D",
            &path_str(&data),
            "-m",
            "immediate",
            "-w",
            "-t",
            "30",
            "stop",
        ]);
        let stopped = self
            .runner
            .command(&self.bin_dir.join("pg_ctl"), &stop_args, self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !stopped {
            // Last resort: kill the postmaster named in postmaster.pid.
            if let Some(pid) = fs::read_to_string(data.join("postmaster.pid"))
                .ok()
                .and_then(|t| t.lines().next().map(str::trim).map(str::to_owned))
                .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid])
                    .stderr(Stdio::null())
                    .status();
            }
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        self.stop();
        // The TempDir field removes the folder after this.
    }
}

/// The server the tests use: an owned throwaway cluster, or an external server
/// named by `XINFANG_TEST_PG_URL`.
#[derive(Debug)]
pub enum PgServer {
    /// A cluster started by this process.
    Owned(PgCluster),
    /// An external server, given by its admin URL.
    External(String),
}

impl PgServer {
    /// Uses `XINFANG_TEST_PG_URL` when it is set (and not empty), and otherwise
    /// starts a throwaway cluster.
    pub fn get() -> Result<PgServer, String> {
        match std::env::var(EXTERNAL_URL_ENV) {
            Ok(url) if !url.trim().is_empty() => Ok(PgServer::External(url.trim().to_owned())),
            _ => PgCluster::start().map(PgServer::Owned),
        }
    }

    /// Creates a fresh (empty) database and returns its URL.
    pub fn fresh_database(&self, name: &str) -> Result<String, String> {
        match self {
            PgServer::Owned(cluster) => cluster.fresh_database(name),
            PgServer::External(url) => {
                let psql = find_bin_dir()
                    .ok()
                    .map(|d| d.join("psql"))
                    .filter(|p| p.is_file())
                    .unwrap_or_else(|| PathBuf::from("psql"));
                create_database(&psql, url, name)
            }
        }
    }

    /// The admin URL of the server.
    pub fn admin_url(&self) -> String {
        match self {
            PgServer::Owned(cluster) => cluster.admin_url(),
            PgServer::External(url) => url.clone(),
        }
    }
}

static SHARED: OnceLock<PgServer> = OnceLock::new();

/// One server for the whole test binary, started on first use.
///
/// Statics are never dropped, so for an owned cluster a detached watchdog
/// process is started that stops the cluster and deletes its folder within
/// about a second after this process exits (however it exits).
///
/// # Panics
/// If no server can be had.
pub fn shared_pg() -> &'static PgServer {
    SHARED.get_or_init(|| {
        let server = PgServer::get().unwrap_or_else(|e| {
            panic!(
                "xinfang-testkit: cannot start a throwaway PostgreSQL server: {e}\n\
                 The PostgreSQL 15 server binaries (initdb, pg_ctl, postgres) must be on PATH, \
                 under /usr/lib/postgresql/15/bin, or in ${BIN_DIR_ENV}; \
                 when running as root, a `{SERVER_USER}` system user must exist to run them. \
                 Or set {EXTERNAL_URL_ENV} to the admin URL of a running server, \
                 e.g. postgres://postgres@127.0.0.1:5432/postgres."
            )
        });
        if let PgServer::Owned(cluster) = &server
            && let Err(e) = spawn_watchdog(cluster)
        {
            eprintln!(
                "xinfang-testkit: warning: no watchdog for the shared cluster in {} ({e}); \
                 it may outlive this process",
                cluster.dir().display()
            );
        }
        server
    })
}

/// A database name unique within this machine's running processes:
/// `PREFIX_PID_N`.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{}_{n}", std::process::id())
}

/// Starts `sh` detached (own process group, no stdio) that waits for this
/// process to exit, then stops the cluster and removes its folder.
fn spawn_watchdog(cluster: &PgCluster) -> Result<(), String> {
    use std::os::unix::process::CommandExt as _;
    let pg_ctl = cluster.bin_dir.join("pg_ctl");
    let stop = cluster.runner.shell_words(&[
        pg_ctl.as_os_str().to_string_lossy().as_ref(),
        "-D",
        cluster.data_dir().to_string_lossy().as_ref(),
        "-m",
        "immediate",
        "-w",
        "-t",
        "30",
        "stop",
    ]);
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; cd /; {stop} >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        dir = shell_quote(&cluster.dir().to_string_lossy()),
    );
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map(|_child| ())
        .map_err(|e| format!("cannot spawn sh: {e}"))
}

/// How server programs are run: directly, or as the `postgres` user when root.
#[derive(Debug, Clone)]
enum Runner {
    Direct,
    /// Through `runuser -u postgres --` (path to runuser).
    RunUser(PathBuf, Ids),
    /// Through `su postgres -s /bin/sh -c '…'`.
    Su(Ids),
}

#[derive(Debug, Clone, Copy)]
struct Ids {
    uid: u32,
    gid: u32,
}

impl Runner {
    fn detect() -> Result<Runner, String> {
        if effective_uid()? != 0 {
            return Ok(Runner::Direct);
        }
        let ids = user_ids(SERVER_USER)?.ok_or_else(|| {
            format!(
                "running as root, but there is no `{SERVER_USER}` system user to run \
                 the PostgreSQL server as (the server refuses to run as root)"
            )
        })?;
        match find_program("runuser", &["/usr/sbin/runuser", "/sbin/runuser"]) {
            Some(path) => Ok(Runner::RunUser(path, ids)),
            None => Ok(Runner::Su(ids)),
        }
    }

    fn ids(&self) -> Option<Ids> {
        match self {
            Runner::Direct => None,
            Runner::RunUser(_, ids) | Runner::Su(ids) => Some(*ids),
        }
    }

    /// A command that runs `program` with `args` as the server user, in `cwd`.
    fn command(&self, program: &Path, args: &[String], cwd: &Path) -> Command {
        let mut cmd = match self {
            Runner::Direct => {
                let mut c = Command::new(program);
                c.args(args);
                c
            }
            Runner::RunUser(runuser, _) => {
                let mut c = Command::new(runuser);
                c.args(["-u", SERVER_USER, "--"]).arg(program).args(args);
                c
            }
            Runner::Su(_) => {
                let mut words = vec![program.to_string_lossy().into_owned()];
                words.extend(args.iter().cloned());
                let line: Vec<String> = words.iter().map(|w| shell_quote(w)).collect();
                let mut c = Command::new("su");
                c.args([SERVER_USER, "-s", "/bin/sh", "-c"])
                    .arg(line.join(" "));
                c
            }
        };
        cmd.current_dir(cwd).stdin(Stdio::null());
        cmd
    }

    /// A shell command line running `words` as the server user.
    fn shell_words(&self, words: &[&str]) -> String {
        let quoted: Vec<String> = words.iter().map(|w| shell_quote(w)).collect();
        let line = quoted.join(" ");
        match self {
            Runner::Direct => line,
            Runner::RunUser(runuser, _) => format!(
                "{} -u {SERVER_USER} -- {line}",
                shell_quote(&runuser.to_string_lossy())
            ),
            Runner::Su(_) => format!("su {SERVER_USER} -s /bin/sh -c {}", shell_quote(&line)),
        }
    }
}

fn make_temp_dir(runner: &Runner) -> Result<tempfile::TempDir, String> {
    let mut builder = tempfile::Builder::new();
    builder.prefix("xinfang-pg-");
    let dir = match runner.ids() {
        // As root the server user must be able to reach the folder; $TMPDIR may
        // be under /root, so use /tmp.
        Some(_) if Path::new("/tmp").is_dir() => builder.tempdir_in("/tmp"),
        _ => builder.tempdir(),
    }
    .map_err(|e| format!("cannot create a temporary folder: {e}"))?;
    if let Some(ids) = runner.ids() {
        std::os::unix::fs::chown(dir.path(), Some(ids.uid), Some(ids.gid)).map_err(|e| {
            format!(
                "cannot chown {} to {SERVER_USER}: {e}",
                dir.path().display()
            )
        })?;
    }
    Ok(dir)
}

/// Creates (dropping first, if it exists) database `name` through `psql` on the
/// server of `admin_url`, and returns the URL of the new database.
fn create_database(psql: &Path, admin_url: &str, name: &str) -> Result<String, String> {
    check_db_name(name)?;
    let ident = format!("\"{name}\"");
    let out = Command::new(psql)
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", admin_url, "-c"])
        .arg(format!("DROP DATABASE IF EXISTS {ident} WITH (FORCE)"))
        .arg("-c")
        .arg(format!(
            "CREATE DATABASE {ident} TEMPLATE template0 ENCODING 'UTF8'"
        ))
        .env("PGCONNECT_TIMEOUT", "10")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", psql.display()))?;
    if !out.status.success() {
        return Err(format!(
            "creating database {name} failed ({}){}",
            out.status,
            describe_output(&out)
        ));
    }
    database_url(admin_url, name)
}

fn check_db_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "bad database name {name:?}: use 1 to 63 ASCII letters, digits, '_' or '-'"
        ))
    }
}

/// `admin_url` with its path (database) replaced by `name`, query kept.
fn database_url(admin_url: &str, name: &str) -> Result<String, String> {
    let scheme_end = admin_url
        .find("://")
        .ok_or_else(|| format!("not a URL: {admin_url}"))?
        + 3;
    let rest = &admin_url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let after = &rest[authority_end..];
    let query = after.find('?').map(|i| &after[i..]).unwrap_or("");
    Ok(format!(
        "{}{authority}/{name}{query}",
        &admin_url[..scheme_end]
    ))
}

fn find_bin_dir() -> Result<PathBuf, String> {
    let has_server = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os(BIN_DIR_ENV).filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        return if has_server(&dir) {
            Ok(dir)
        } else {
            Err(format!(
                "{BIN_DIR_ENV}={} has no initdb and pg_ctl",
                dir.display()
            ))
        };
    }
    if let Some(initdb) = find_program("initdb", &[]) {
        // Debian links /usr/local/bin/initdb etc. to the versioned folder, where
        // the rest (psql too) lives as well.
        for candidate in [fs::canonicalize(&initdb).ok(), Some(initdb)]
            .into_iter()
            .flatten()
        {
            if let Some(dir) = candidate.parent().filter(|d| has_server(d)) {
                return Ok(dir.to_path_buf());
            }
        }
    }
    let preferred = PathBuf::from("/usr/lib/postgresql/15/bin");
    if has_server(&preferred) {
        return Ok(preferred);
    }
    let mut others: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, d)| has_server(d))
        .collect();
    others.sort();
    others.pop().map(|(_, d)| d).ok_or_else(|| {
        "PostgreSQL server binaries not found: initdb is not on PATH nor under \
         /usr/lib/postgresql/*/bin (install postgresql-15, or set XINFANG_PG_BIN)"
            .to_owned()
    })
}

fn find_program(name: &str, extra: &[&str]) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(name))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .chain(extra.iter().map(PathBuf::from))
        .find(|p| p.is_file())
}

fn effective_uid() -> Result<u32, String> {
    if let Ok(status) = fs::read_to_string("/proc/self/status") {
        // "Uid:\treal\teffective\tsaved\tfs"
        if let Some(euid) = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
        {
            return Ok(euid);
        }
    }
    let out = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| format!("cannot tell the user id (no /proc, and `id -u`: {e})"))?;
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|_| "cannot tell the user id".to_owned())
}

fn user_ids(user: &str) -> Result<Option<Ids>, String> {
    let passwd =
        fs::read_to_string("/etc/passwd").map_err(|e| format!("cannot read /etc/passwd: {e}"))?;
    Ok(passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        if fields.next()? != user {
            return None;
        }
        let _password = fields.next()?;
        let uid = fields.next()?.parse().ok()?;
        let gid = fields.next()?.parse().ok()?;
        Some(Ids { uid, gid })
    }))
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free loopback port: {e}"))
}

fn words(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn path_str(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

fn describe_output(out: &Output) -> String {
    let mut text = String::new();
    for (label, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let s = String::from_utf8_lossy(bytes);
        if !s.trim().is_empty() {
            text.push_str(&format!("\n{label}:\n{}", tail(&s, 30)));
        }
    }
    text
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn select_one(url: &str) -> Result<String, String> {
        let psql = find_bin_dir()
            .map(|d| d.join("psql"))
            .ok()
            .filter(|p| p.is_file())
            .unwrap_or_else(|| PathBuf::from("psql"));
        let out = Command::new(psql)
            .args(["-X", "-At", "-d", url, "-c", "select 1, current_database()"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        } else {
            Err(describe_output(&out))
        }
    }

    #[test]
    fn cluster_serves_fresh_databases_and_is_gone_after_drop() {
        let cluster = PgCluster::start().expect("start cluster");
        let port = cluster.port();
        let dir = cluster.dir().to_path_buf();
        assert!(dir.join("data").join("PG_VERSION").is_file());

        let a = cluster.fresh_database("testkit_a").expect("db a");
        let b = cluster.fresh_database("testkit-b").expect("db b");
        assert_eq!(a, format!("postgres://postgres@127.0.0.1:{port}/testkit_a"));
        assert_eq!(b, format!("postgres://postgres@127.0.0.1:{port}/testkit-b"));
        assert_eq!(select_one(&a).unwrap(), "1|testkit_a");
        assert_eq!(select_one(&b).unwrap(), "1|testkit-b");

        // Fresh means fresh: a table made in `a` is gone after re-creating it.
        let psql_out = Command::new(cluster.psql())
            .args(["-X", "-q", "-d", &a, "-c", "create table t (x int)"])
            .output()
            .unwrap();
        assert!(psql_out.status.success());
        let a2 = cluster.fresh_database("testkit_a").expect("db a again");
        let out = Command::new(cluster.psql())
            .args([
                "-X",
                "-At",
                "-d",
                &a2,
                "-c",
                "select count(*) from pg_tables where tablename = 't'",
            ])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0");

        assert!(cluster.fresh_database("bad name; drop").is_err());

        drop(cluster);
        assert!(
            TcpStream::connect_timeout(
                &SocketAddr::from(([127, 0, 0, 1], port)),
                Duration::from_secs(1)
            )
            .is_err(),
            "port {port} still open after drop"
        );
        assert!(!dir.exists(), "{} still exists after drop", dir.display());
    }

    #[test]
    fn su_runner_works_when_root() {
        let Runner::RunUser(_, ids) = Runner::detect().unwrap() else {
            return; // not root, or no runuser: start() already uses that path
        };
        let cluster = PgCluster::start_with(Runner::Su(ids)).expect("start via su");
        let url = cluster.fresh_database("testkit_su").unwrap();
        assert_eq!(select_one(&url).unwrap(), "1|testkit_su");
        let dir = cluster.dir().to_path_buf();
        drop(cluster);
        assert!(!dir.exists());
    }

    #[test]
    fn pg_server_owned_works() {
        // Holds whatever XINFANG_TEST_PG_URL says; without it, an owned cluster.
        let server = PgServer::get().expect("server");
        let name = unique_name("testkit_srv");
        let url = server.fresh_database(&name).expect("fresh db");
        assert!(url.ends_with(&format!("/{name}")));
        assert_eq!(select_one(&url).unwrap(), format!("1|{name}"));
    }

    #[test]
    fn shared_pg_is_one_server() {
        let first = shared_pg() as *const PgServer;
        let second = shared_pg() as *const PgServer;
        assert_eq!(first, second);
        let url = shared_pg()
            .fresh_database(&unique_name("testkit_shared"))
            .unwrap();
        assert!(select_one(&url).unwrap().starts_with("1|testkit_shared_"));
    }

    #[test]
    fn unique_names_are_unique() {
        let names: Vec<String> = (0..1000).map(|_| unique_name("t")).collect();
        let threads: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(|| (0..250).map(|_| unique_name("t")).collect::<Vec<_>>()))
            .collect();
        let mut all: HashSet<String> = names.into_iter().collect();
        for t in threads {
            for n in t.join().unwrap() {
                assert!(all.insert(n), "duplicate name");
            }
        }
        assert_eq!(all.len(), 2000);
        let pid = std::process::id();
        assert!(unique_name("abc").starts_with(&format!("abc_{pid}_")));
        assert!(check_db_name(&unique_name("xinfang_test_prefix")).is_ok());
    }

    #[test]
    fn database_urls() {
        assert_eq!(
            database_url("postgres://postgres@127.0.0.1:5432/postgres", "x").unwrap(),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            database_url("postgresql://u:p@h:1/admin?sslmode=disable", "y").unwrap(),
            "postgresql://u:p@h:1/y?sslmode=disable"
        );
        assert_eq!(database_url("postgres://h", "z").unwrap(), "postgres://h/z");
        assert_eq!(
            database_url("postgres://h?sslmode=disable", "z").unwrap(),
            "postgres://h/z?sslmode=disable"
        );
        assert!(database_url("nonsense", "z").is_err());
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }
}
