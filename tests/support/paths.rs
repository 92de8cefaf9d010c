//! Where the binary and the plugin libraries under test are.

use std::path::PathBuf;

/// `target/<profile>`, found from the test executable (`target/<profile>/deps/…`).
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    exe.parent()
        .and_then(|deps| deps.parent())
        .expect("tests run from target/<profile>/deps")
        .to_path_buf()
}

/// The `nautobot-server` binary (`NAUTOBOT_SERVER_BIN` overrides).
pub fn server_bin() -> PathBuf {
    let path = std::env::var_os("NAUTOBOT_SERVER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            profile_dir().join(format!("nautobot-server{}", std::env::consts::EXE_SUFFIX))
        });
    assert!(
        path.is_file(),
        "{} is missing: run scripts/test, which builds it before the tests",
        path.display()
    );
    path
}

/// The folder of plugin libraries `scripts/test` prepared (`NAUTOBOT_TEST_PLUGINS` overrides).
pub fn plugins_dir() -> PathBuf {
    std::env::var_os("NAUTOBOT_TEST_PLUGINS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            profile_dir()
                .parent()
                .expect("target/<profile> has a parent")
                .join("test-plugins")
        })
}

/// The library of plugin `name` on this OS.
pub fn plugin_library(name: &str) -> PathBuf {
    let file = format!(
        "{}{}{}",
        std::env::consts::DLL_PREFIX,
        name,
        std::env::consts::DLL_SUFFIX
    );
    let path = plugins_dir().join(file);
    assert!(
        path.is_file(),
        "{} is missing: run scripts/test, which builds the plugin libraries and copies them there",
        path.display()
    );
    path
}
