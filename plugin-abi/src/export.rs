//! The glue [`export_plugin!`](crate::export_plugin) expands to: the library header,
//! the root module's `extern "C"` functions, and the panic guard around each of them.

use std::{
    cell::{Cell, RefCell},
    panic::{catch_unwind, AssertUnwindSafe},
    sync::Once,
};

use abi_stable::{
    prefix_type::PrefixTypeTrait,
    sabi_trait::TD_Opaque,
    std_types::{RResult, RStr, RString},
};
use serde_json::{Map, Value};

use crate::{
    builder::{PluginBuilder, PluginInstance},
    error::{panic_message, PluginError},
    ffi::{
        AbiVersion, HostServicesRef, PanicStrategy, Plugin, PluginBox, PluginMod, PluginModRef,
        Plugin_TO,
    },
    host::Host,
};

pub use abi_stable::library::{
    __call_root_module_loader, CheckTypeLayout, LibHeader, RootModuleResult,
};

thread_local! {
    /// How many guards are active on this thread.
    static GUARDED: Cell<u32> = const { Cell::new(0) };
    /// Where the last guarded panic on this thread happened.
    static PANIC_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Installs this library's panic hook (each `cdylib` has its own copy of std, so this
/// affects the plugin's panics only). Inside a guard the panic is recorded and reported
/// to the host as an error, instead of being printed to the server's stderr; elsewhere
/// (a thread the plugin spawned) it is printed as usual.
fn install_panic_hook() {
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if GUARDED.with(Cell::get) > 0 {
                let location = info
                    .location()
                    .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
                PANIC_LOCATION.with(|p| *p.borrow_mut() = location);
            } else {
                default(info);
            }
        }));
    });
}

/// Runs `f`, turning a panic into [`PluginError::PANIC`] so that it never unwinds across
/// the FFI boundary (which would abort the host). The error's message is the panic's,
/// followed by where it happened.
pub fn guard<T>(f: impl FnOnce() -> Result<T, PluginError>) -> RResult<T, PluginError> {
    install_panic_hook();
    GUARDED.with(|g| g.set(g.get() + 1));
    let outcome = catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(g.get().saturating_sub(1)));
    match outcome {
        Ok(result) => result.into(),
        Err(payload) => {
            let mut message = panic_message(payload.as_ref());
            if let Some(location) = PANIC_LOCATION.with(|p| p.borrow_mut().take()) {
                message = format!("{message} (at {location})");
            }
            RResult::RErr(PluginError::panic(message))
        }
    }
}

/// The `abi_version` entry of the root module.
pub fn abi_version(panic_strategy: PanicStrategy) -> AbiVersion {
    AbiVersion {
        major: parse_version_part(env!("CARGO_PKG_VERSION_MAJOR")),
        minor: parse_version_part(env!("CARGO_PKG_VERSION_MINOR")),
        patch: parse_version_part(env!("CARGO_PKG_VERSION_PATCH")),
        panic_strategy,
    }
}

fn parse_version_part(part: &str) -> u32 {
    part.parse().unwrap_or(0)
}

/// The `manifest_json` entry of the root module.
pub fn manifest_json(definition: fn() -> PluginBuilder) -> RResult<RString, PluginError> {
    guard(|| {
        serde_json::to_string(definition().manifest())
            .map(RString::from)
            .map_err(|e| PluginError::internal(format!("cannot serialise the manifest: {e}")))
    })
}

/// The `instantiate` entry of the root module.
pub fn instantiate(
    definition: fn() -> PluginBuilder,
    config_json: RStr<'_>,
    host: HostServicesRef<'_>,
) -> RResult<PluginBox, PluginError> {
    guard(|| {
        let config: Map<String, Value> =
            serde_json::from_str(config_json.as_str()).map_err(|e| {
                PluginError::config(format!("the plugin's settings are not a JSON object: {e}"))
            })?;
        let instance = definition().into_instance(config);
        instance.ready(Host::new(&host))?;
        Ok(Plugin_TO::from_value(instance, TD_Opaque))
    })
}

/// Builds the root module from the three generated entry points.
pub fn root_module(
    abi_version: extern "C" fn() -> AbiVersion,
    manifest_json: extern "C" fn() -> RResult<RString, PluginError>,
    instantiate: extern "C" fn(RStr<'_>, HostServicesRef<'_>) -> RResult<PluginBox, PluginError>,
) -> PluginModRef {
    PluginMod {
        abi_version,
        manifest_json,
        instantiate,
    }
    .leak_into_prefix()
}

impl Plugin for PluginInstance {
    fn call(
        &self,
        kind: RStr<'_>,
        name: RStr<'_>,
        payload_json: RStr<'_>,
        host: HostServicesRef<'_>,
    ) -> RResult<RString, PluginError> {
        guard(|| {
            self.dispatch(
                kind.as_str(),
                name.as_str(),
                payload_json.as_str(),
                Host::new(&host),
            )
            .map(RString::from)
        })
    }
}

/// Exports a plugin from a `cdylib` crate.
///
/// Pass a function returning the plugin's [`PluginBuilder`]. The macro generates the
/// abi_stable library header and the root module; the plugin author writes no `unsafe`
/// and no `extern`. It also records whether the crate was compiled with
/// `panic = "unwind"`, which the host requires.
///
/// ```
/// use nautobot_plugin_abi::prelude::*;
///
/// fn plugin() -> PluginBuilder {
///     PluginBuilder::new("my_plugin").version(env!("CARGO_PKG_VERSION"))
/// }
///
/// export_plugin!(plugin);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! export_plugin {
    ($definition:path) => {
        /// The abi_stable library header through which `nautobot-server` finds this plugin.
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        #[unsafe(no_mangle)]
        pub static _1as_0lib_1header_0root_bmodule_bloader: $crate::__private::LibHeader = {
            extern "C" fn __nautobot_abi_version() -> $crate::AbiVersion {
                $crate::__private::abi_version(if cfg!(panic = "unwind") {
                    $crate::PanicStrategy::Unwind
                } else {
                    $crate::PanicStrategy::Abort
                })
            }
            extern "C" fn __nautobot_manifest_json(
            ) -> $crate::__private::RResult<$crate::__private::RString, $crate::PluginError> {
                $crate::__private::manifest_json($definition)
            }
            extern "C" fn __nautobot_instantiate(
                config_json: $crate::__private::RStr<'_>,
                host: $crate::HostServicesRef<'_>,
            ) -> $crate::__private::RResult<$crate::PluginBox, $crate::PluginError> {
                $crate::__private::instantiate($definition, config_json, host)
            }
            fn __nautobot_root_module() -> $crate::PluginModRef {
                $crate::__private::root_module(
                    __nautobot_abi_version,
                    __nautobot_manifest_json,
                    __nautobot_instantiate,
                )
            }
            extern "C" fn __nautobot_erased_module() -> $crate::__private::RootModuleResult {
                $crate::__private::__call_root_module_loader(__nautobot_root_module)
            }
            // SAFETY: the constructor returns the root module of type `PluginModRef`, as
            // the type parameter says; this is what `#[export_root_module]` expands to.
            unsafe {
                $crate::__private::LibHeader::from_constructor::<$crate::PluginModRef>(
                    __nautobot_erased_module,
                    $crate::__private::CheckTypeLayout::Yes,
                )
            }
        };
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exported_symbol_is_the_one_abi_stable_looks_for() {
        // export_plugin! hard-codes the symbol because abi_stable's own attribute macro
        // needs the plugin crate to depend on abi_stable directly.
        assert_eq!(
            abi_stable::library::ROOT_MODULE_LOADER_NAME,
            "_1as_0lib_1header_0root_bmodule_bloader"
        );
    }

    #[test]
    fn guard_turns_a_panic_into_an_error() {
        let result: RResult<(), PluginError> = guard(|| panic!("kaboom"));
        let err = result.into_result().unwrap_err();
        assert_eq!(err.code, PluginError::PANIC);
        assert!(
            err.message
                .starts_with("kaboom (at plugin-abi/src/export.rs:"),
            "{}",
            err.message
        );
    }

    #[test]
    fn abi_version_is_this_crates_version() {
        let v = abi_version(PanicStrategy::Unwind);
        assert_eq!(v.major, 1);
        assert_eq!(v.panic_strategy, PanicStrategy::Unwind);
    }
}
