//! Stand-ins for the programs that open a browser, so a test sees what bbconnect handed them.

/// Stand-ins for every program `open` may try on Linux (xdg-open first), in the returned
/// directory (put it first on PATH). Each appends its name to `ran` and its arguments to
/// `args`, writes its environment to `env` last (renamed into place: its presence means the
/// run is complete) and succeeds.
#[cfg(unix)]
pub fn stand_in_openers() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$(basename \"$0\")\" >> \"{out}/ran\"\nprintf '%s\\n' \"$@\" >> \"{out}/args\"\nenv > \"{out}/env.tmp.$$\"\nmv \"{out}/env.tmp.$$\" \"{out}/env\"\nexit 0\n"
    );
    for name in [
        "xdg-open",
        "gio",
        "gnome-open",
        "kde-open",
        "kde-open5",
        "kde-open6",
        "wslview",
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, &script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    dir
}

/// PATH with `dir` first: the stand-ins are found before any real opener.
pub fn path_with(dir: &std::path::Path) -> String {
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}
