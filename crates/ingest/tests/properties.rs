//! Whatever the bytes, an import returns: rows or an error value, never a panic.

#![allow(clippy::unwrap_used)]

mod common;

use common::Run;
use proptest::prelude::*;
use revlens_model::DatasetKind;

fn import_bytes(bytes: &[u8], name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    for kind in DatasetKind::ALL {
        let _ = Run::new(kind).import(&path);
        let _ = Run::new(kind).skip_invalid().import(&path);
    }
}

/// Text that looks like a delimited file: headers the mapper knows, values of every
/// shape, quotes, and the four delimiters, so the fuzzing reaches past detection.
fn csvish() -> impl Strategy<Value = String> {
    let cell = prop_oneof![
        Just("customer".to_string()),
        Just("amount".to_string()),
        Just("date".to_string()),
        Just("start".to_string()),
        Just("churned".to_string()),
        Just("interval".to_string()),
        "[0-9]{1,6}([.,][0-9]{1,3})?",
        "[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2,4}",
        "20[0-9]{2}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2})?",
        "\"[a-z,;\n]{0,6}\"",
        "[a-zé€ ]{0,8}",
    ];
    let delimiter = prop_oneof![Just(","), Just(";"), Just("\t"), Just("|")];
    let newline = prop_oneof![Just("\n"), Just("\r\n"), Just("\n\n")];
    (delimiter, newline, prop::collection::vec(prop::collection::vec(cell, 1..6), 1..12)).prop_map(
        |(delimiter, newline, rows)| rows.iter().map(|row| row.join(delimiter)).collect::<Vec<_>>().join(newline),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        import_bytes(&bytes, "input.csv");
    }

    #[test]
    fn arbitrary_bytes_named_as_workbooks_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        name in prop_oneof![Just("x.xlsx"), Just("x.xls"), Just("x.ods")],
        magic in prop_oneof![
            Just(&b""[..]),
            Just(&b"PK\x03\x04"[..]),
            Just(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1][..]),
        ],
    ) {
        let mut data = magic.to_vec();
        data.extend_from_slice(&bytes);
        import_bytes(&data, name);
    }

    #[test]
    fn delimited_looking_text_never_panics(text in csvish(), utf16 in any::<bool>()) {
        let bytes = if utf16 {
            let mut b = vec![0xFF, 0xFE];
            b.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            b
        } else {
            text.into_bytes()
        };
        import_bytes(&bytes, "input.csv");
    }
}
