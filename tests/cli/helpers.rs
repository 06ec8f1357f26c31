use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

/// A fresh RevLens home and a folder for input files.
pub struct Env {
    pub home: TempDir,
    pub files: TempDir,
}

/// What a run of `revlens` printed and how it ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }

    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(self.code, 0, "stdout: {}\nstderr: {}", self.stdout, self.stderr);
        self
    }

    #[track_caller]
    pub fn fails_with(self, code: i32, message: &str) -> Self {
        assert_eq!(self.code, code, "stdout: {}\nstderr: {}", self.stdout, self.stderr);
        assert!(self.stderr.contains(message), "expected '{message}' in stderr: {}", self.stderr);
        assert!(!self.stderr.contains("panicked") && !self.stderr.contains("internal error"), "{}", self.stderr);
        self
    }
}

impl Env {
    pub fn new() -> Self {
        Self { home: tempfile::tempdir().unwrap(), files: tempfile::tempdir().unwrap() }
    }

    pub fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.files.path().join(name);
        fs::write(&path, contents).unwrap();
        path
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_revlens"));
        command.arg("--home").arg(self.home.path()).args(args).current_dir(self.files.path());
        run(command)
    }

    pub fn import_json(&self, path: &Path, kind: &str, extra: &[&str]) -> Value {
        let path = path.to_str().unwrap();
        let mut args = vec!["import", path, "--kind", kind, "--format", "json"];
        args.extend_from_slice(extra);
        self.run(&args).ok().json()
    }

    /// Every file under the store's home, for "nothing changed" checks (the WAL files
    /// of SQLite aside, which come and go).
    pub fn stored_files(&self) -> Vec<String> {
        let mut files = Vec::new();
        collect(self.home.path(), self.home.path(), &mut files);
        files.retain(|f| !f.starts_with("revlens.db"));
        files.sort();
        files
    }
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, out);
        } else {
            out.push(path.strip_prefix(root).unwrap().to_string_lossy().into_owned());
        }
    }
}

pub fn run(mut command: Command) -> Run {
    let Output { status, stdout, stderr } = command.output().unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

pub const SUBSCRIPTIONS: &str = "\
Customer ID,Plan,MRR Amount,Start Date,End Date
00123,Pro,\"1,200.50\",2024-01-31,
123,Basic,$49.00,2024-02-15,2024-03-15
C-9,Pro,99,2024-03-01,
";
