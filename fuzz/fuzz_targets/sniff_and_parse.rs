//! Any bytes, as any kind of file: inspection and import must return, never panic.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: common::quiet_contained_panics(),
    |data: &[u8]| {
        // The name matters: a workbook extension changes how non-workbook bytes fail.
        let name = match data.first() {
            Some(b) if b % 7 == 0 => "input.xlsx",
            _ => "input.csv",
        };
        common::inspect_and_import(name, data);
    }
);
