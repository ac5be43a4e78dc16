//! Arbitrary bytes as a comps file: parsing either succeeds or fails with
//! an offset inside the text; lookups on what was parsed never panic.
#![no_main]

use kslint::media::xml::line_column;
use kslint::media::Comps;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let text = String::from_utf8_lossy(bytes);
    match Comps::parse(&text) {
        Ok(comps) => {
            for wanted in ["core", "Core", "@core", "base", "minimal-environment", ""] {
                let _ = comps.find(wanted);
                let _ = comps.find_group(wanted);
                let _ = comps.find_environment(wanted);
            }
            for group in &comps.groups {
                assert!(comps.group(&group.id).is_some());
                let _ = comps.find(&group.id);
            }
        }
        Err(error) => {
            assert!(error.offset <= text.len(), "{error:?} past {}", text.len());
            let (line, column) = line_column(&text, error.offset);
            assert!(line >= 1 && column >= 1);
        }
    }
});
