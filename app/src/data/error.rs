//! An operation on a file that failed, naming the file: the one way the data layer puts a path
//! in front of an error (its functions return text for the GUI and CLI, so it converts into
//! `String`).

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct FileError {
    pub path: PathBuf,
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl From<FileError> for String {
    fn from(e: FileError) -> String {
        e.to_string()
    }
}

/// For `map_err`: the error `e` happened to the file at `path`.
pub fn at<E: Into<Box<dyn std::error::Error + Send + Sync>>>(
    path: &Path,
) -> impl FnOnce(E) -> FileError + '_ {
    move |e| FileError {
        path: path.to_path_buf(),
        source: e.into(),
    }
}
