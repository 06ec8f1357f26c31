use std::path::PathBuf;

use revlens_commands::{ApiError, ErrorCode};

/// Where the store lives: `REVLENS_HOME` when set, else the OS data directory (the CLI
/// uses the same, so both see one store).
pub fn home_dir() -> Result<PathBuf, ApiError> {
    resolve(std::env::var_os("REVLENS_HOME").map(PathBuf::from))
}

fn resolve(from_env: Option<PathBuf>) -> Result<PathBuf, ApiError> {
    match from_env.filter(|home| !home.as_os_str().is_empty()) {
        Some(home) => Ok(home),
        None => {
            directories::ProjectDirs::from("", "", "RevLens").map(|dirs| dirs.data_dir().to_owned()).ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Internal,
                    "no home directory to keep the store in; set REVLENS_HOME to a folder and start RevLens again",
                )
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_wins_and_an_empty_value_counts_as_unset() {
        assert_eq!(resolve(Some("/data/revlens".into())).ok(), Some(PathBuf::from("/data/revlens")));
        let default = resolve(None);
        assert_eq!(resolve(Some(PathBuf::new())).ok(), default.ok());
    }
}
