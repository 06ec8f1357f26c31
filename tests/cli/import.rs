use std::process::Command;

use serde_json::json;

use crate::helpers::{run, Env, SUBSCRIPTIONS};

#[test]
fn import_prints_the_json_contract_and_reimport_makes_a_new_version() {
    let env = Env::new();
    let path = env.file("subs.csv", SUBSCRIPTIONS);
    let first = env.import_json(&path, "subscriptions", &["--name", "Stripe subs"]);
    let keys: Vec<&str> = first.as_object().unwrap().keys().map(String::as_str).collect();
    for key in ["dataset_id", "name", "kind", "version", "rows", "skipped", "columns", "sha256"] {
        assert!(keys.contains(&key), "missing {key} in {first}");
    }
    assert_eq!(first["name"], "Stripe subs");
    assert_eq!(first["kind"], "subscriptions");
    assert_eq!(first["version"], 1);
    assert_eq!(first["rows"], 3);
    assert_eq!(first["skipped"], 0);
    // sha256 of SUBSCRIPTIONS, computed with `sha256sum`.
    assert_eq!(first["sha256"], "9a426ace5eb9e3c373de335a34ab1c6bdd0297ee3e249f2168fe80265f99b75e");
    assert_eq!(first["columns"][0], "customer_id");

    let second = env.import_json(&path, "subscriptions", &["--name", "Stripe subs"]);
    assert_eq!(second["version"], 2);
    assert_eq!(second["dataset_id"], first["dataset_id"]);
    // The same bytes are stored once.
    let blobs = env.stored_files().iter().filter(|f| f.starts_with("blobs/")).count();
    assert_eq!(blobs, 1);
    let tables = env.stored_files().iter().filter(|f| f.starts_with("tables/")).count();
    assert_eq!(tables, 2);
}

#[test]
fn the_store_location_comes_from_revlens_home() {
    let env = Env::new();
    let path = env.file("subs.csv", SUBSCRIPTIONS);
    let mut command = Command::new(env!("CARGO_BIN_EXE_revlens"));
    command.env("REVLENS_HOME", env.home.path()).args(["import", path.to_str().unwrap(), "--kind", "subscriptions"]);
    run(command).ok();
    assert!(env.home.path().join("revlens.db").exists());
    let listed = env.run(&["datasets", "--format", "json"]).ok().json();
    assert_eq!(listed[0]["name"], "subs");
    assert_eq!(listed[0]["rows"], 3);
}

#[test]
fn an_invalid_row_blocks_the_import_and_every_problem_is_reported() {
    let env = Env::new();
    let path =
        env.file("bad.csv", "customer_id,amount,start_date\nA,10,2024-01-01\nB,ten,2024-02-31\nC,5\nD,7,2024-03-01\n");
    let before = env.stored_files();
    let out = env.run(&["import", path.to_str().unwrap(), "--kind", "subscriptions"]);
    let out = out.fails_with(1, "2 invalid row(s), 3 problem(s); nothing was imported");
    assert!(out.stderr.contains("--skip-invalid imports the valid rows"), "{}", out.stderr);
    assert!(out.stderr.contains("line 3, column 'amount': found 'ten'"), "{}", out.stderr);
    assert!(out.stderr.contains("line 3, column 'start_date': found '2024-02-31'"), "{}", out.stderr);
    assert!(out.stderr.contains("line 4"), "{}", out.stderr);
    assert_eq!(env.stored_files(), before);
    assert_eq!(env.run(&["datasets", "--format", "json"]).ok().json(), json!([]));
}

#[test]
fn skip_invalid_imports_the_valid_rows_and_keeps_the_skipped_ones_with_reasons() {
    let env = Env::new();
    let path =
        env.file("bad.csv", "customer_id,amount,start_date\nA,10,2024-01-01\nB,ten,2024-01-05\nC,5,2024-02-01\n");
    let summary = env.import_json(&path, "subscriptions", &["--skip-invalid"]);
    assert_eq!((summary["rows"].as_u64(), summary["skipped"].as_u64()), (Some(2), Some(1)));
    let id = summary["dataset_id"].as_str().unwrap();
    let skipped = env.run(&["dataset", "skipped", id, "--format", "json"]).ok().json();
    assert_eq!(skipped, json!([{"line": 3, "column": "amount", "value": "ten", "expected": skipped[0]["expected"]}]));
    assert!(skipped[0]["expected"].as_str().unwrap().contains("an amount like"), "{skipped}");
}

#[test]
fn a_renamed_column_is_mapped_by_a_mapping_file_and_a_saved_mapping_is_reused() {
    let env = Env::new();
    let csv = "Kunde,Betrag,Beginn\nA,10,2024-01-01\nB,20,2024-01-05\n";
    let path = env.file("de.csv", csv);
    env.run(&["import", path.to_str().unwrap(), "--kind", "subscriptions"])
        .fails_with(1, "required column 'customer_id' of subscriptions is not mapped");

    let mapping = env.file("map.json", r#"{"customer_id": "Kunde", "amount": "Betrag", "start_date": "Beginn"}"#);
    let summary = env.import_json(
        &path,
        "subscriptions",
        &["--mapping", mapping.to_str().unwrap(), "--save-mapping", "german export"],
    );
    assert_eq!(summary["rows"], 2);
    assert_eq!(summary["mapping"]["customer_id"], "Kunde");

    // The next file with the same header finds the saved mapping by itself.
    let next = env.file("de-march.csv", "Kunde,Betrag,Beginn\nC,30,2024-03-01\n");
    let out = env.run(&["import", next.to_str().unwrap(), "--kind", "subscriptions"]).ok();
    assert!(out.stdout.contains("saved mapping 'german export'"), "{}", out.stdout);
    let listed = env.run(&["mapping", "list", "--format", "json"]).ok().json();
    assert_eq!(listed[0]["name"], "german export");
    env.run(&["mapping", "rm", "german export"]).ok();
    env.run(&["mapping", "show", "german export"]).fails_with(1, "no mapping 'german export'");
}

#[test]
fn usage_errors_exit_with_2() {
    let env = Env::new();
    let path = env.file("subs.csv", SUBSCRIPTIONS);
    env.run(&["import", path.to_str().unwrap(), "--kind", "widgets"]).fails_with(2, "unknown dataset kind 'widgets'");
    env.run(&["import", path.to_str().unwrap()]).fails_with(2, "--kind");
    env.run(&["frobnicate"]).fails_with(2, "unrecognized subcommand");
}

#[test]
fn broken_files_are_clear_errors_and_leave_the_store_as_it_was() {
    let env = Env::new();
    let before = env.stored_files();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.csv", Vec::new(), "is empty"),
        ("junk.csv", (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect(), "does not look like a text"),
        ("fake.xlsx", b"customer_id,amount\n1,2\n".to_vec(), "is not a valid"),
        ("header-only.csv", b"customer_id,amount,start_date\n".to_vec(), "no data rows"),
        // Found by the fuzzer: calamine panics on it; the import must report a broken file.
        ("corrupt.xls", include_bytes!("../../fuzz/corpus-seed/xls-calamine-cfb-panic").to_vec(), "is not a valid XLS"),
    ];
    for (name, bytes, message) in cases {
        let path = env.file(name, bytes);
        env.run(&["import", path.to_str().unwrap(), "--kind", "subscriptions"]).fails_with(1, message);
    }
    env.run(&["import", "missing.csv", "--kind", "orders"]).fails_with(1, "cannot read");
    assert_eq!(env.stored_files(), before);
}

#[test]
fn a_workbook_sheet_is_chosen_by_name() {
    let env = Env::new();
    let path = env.files.path().join("book.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let notes = book.add_worksheet().set_name("Notes").unwrap();
    notes.write(0, 0, "nothing here").unwrap();
    let orders = book.add_worksheet().set_name("Orders").unwrap();
    for (col, header) in ["Order #", "Date", "Total", "Payment Method"].iter().enumerate() {
        orders.write(0, col as u16, *header).unwrap();
    }
    orders.write(1, 0, "#1001").unwrap();
    orders.write(1, 1, "2024-05-01").unwrap();
    orders.write(1, 2, 25.5).unwrap();
    orders.write(1, 3, "card").unwrap();
    book.save(&path).unwrap();

    let summary = env.import_json(&path, "orders", &["--sheet", "Orders"]);
    assert_eq!(summary["rows"], 1);
    assert_eq!(summary["mapping"]["order_id"], "Order #");
    env.run(&["import", path.to_str().unwrap(), "--kind", "orders", "--sheet", "Nope"])
        .fails_with(1, "has no sheet 'Nope'");
}
