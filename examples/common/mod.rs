//! Shared by the examples that time or measure the built binary.

use std::path::{Path, PathBuf};

pub type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// The built `bbconnect`: `BBCONNECT_BIN`, else the one beside this example's own folder
/// (`target/<profile>/examples/NAME` -> `target/<profile>/bbconnect`).
pub fn binary() -> Res<PathBuf> {
    if let Some(p) = std::env::var_os("BBCONNECT_BIN") {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("cannot find the target directory")?;
    Ok(dir.join("bbconnect"))
}
