//! The connections file is user-editable: any text gives a list or a typed error, never a panic.
#![no_main]

use bbconnect::store;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match store::parse_connections(text) {
        Ok(list) => {
            for c in list {
                let _ = store::validate_name(&c.name);
            }
        }
        Err(e) => {
            // The message is shown to the user: it must render.
            let _ = e.to_string();
        }
    }
});
