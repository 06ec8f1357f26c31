//! Every file of `tests/corpus/` (and a few generated at runtime: workbooks, huge cells)
//! with its exact outcome.

// Test helpers outside #[test] functions unwrap too; a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use revlens_ingest::{
    inspect, ImportError, OutputColumn, Phase, SourceFormat, SourceOptions, TextEncoding, WorkbookKind,
};
use revlens_model::{DatasetKind, StorageType};
use sha2::{Digest, Sha256};

use DatasetKind::{Customers, Orders, Purchases, Subscriptions, Transactions};

const AMBIGUOUS_MDY: &str = "column 'date': every date fits both day/month/year and month/day/year; read as month/day/year (MM/DD/YYYY). If they are day/month/year, the dates are wrong.";
const AMBIGUOUS_DMY: &str = "column 'date': every date fits both day/month/year and month/day/year; read as day/month/year (DD/MM/YYYY). If they are month/day/year, the dates are wrong.";

fn delimited(encoding: TextEncoding, delimiter: char) -> SourceFormat {
    SourceFormat::Delimited { encoding, delimiter }
}

// ---------------------------------------------------------------- encodings

#[test]
fn utf8_basic_subscriptions() {
    let path = corpus("subs_basic.csv");
    let imported = Run::new(Subscriptions).import(&path).unwrap();
    let outcome = &imported.outcome;
    assert_eq!(outcome.format, delimited(TextEncoding::Utf8, ','));
    assert_eq!(outcome.header_line, 1);
    assert_eq!(outcome.rows, 3);
    assert_eq!(outcome.skipped, 0);
    assert!(outcome.warnings.is_empty());
    assert_eq!(imported.strings("customer_id"), ["c1", "c2", "c3"]);
    assert_eq!(imported.money("amount"), [Some(100_000), Some(205_000), Some(0)]);
    assert_eq!(imported.dates("start_date"), some_dates(&[(2024, 1, 1), (2024, 1, 15), (2024, 2, 1)]));
    assert_eq!(imported.dates("end_date"), [None, day(2024, 6, 1), None]);
    assert_eq!(imported.strings("interval"), ["month", "year", "month"]);
    assert_eq!(imported.integers("interval_count"), [None, None, None]);
    assert_eq!(imported.strings("currency"), ["USD", "USD", "EUR"]);
    assert_eq!(imported.text("notes"), [Some("first".to_string()), None, Some("trial".to_string())]);
    // Every canonical field in order, then the unmapped source column.
    let mut expected: Vec<String> = Subscriptions.fields().iter().map(|f| f.name.to_string()).collect();
    expected.push("notes".into());
    assert_eq!(imported.column_names(), expected);
    assert_eq!(
        outcome.columns.last(),
        Some(&OutputColumn { name: "notes".into(), storage: StorageType::Text, source: Some("notes".into()) })
    );
    let quantity = outcome.columns.iter().find(|c| c.name == "quantity").unwrap();
    assert_eq!(quantity.source, None);
    assert_eq!(quantity.storage, StorageType::Float);
    assert_eq!(imported.floats("quantity"), [None, None, None]);
}

#[test]
fn original_bytes_and_sha256_are_exact() {
    let path = corpus("transactions_1252.csv");
    let imported = Run::new(Transactions)
        .overrides(&[("amount", Some("Montant")), ("currency", Some("Devise"))])
        .import(&path)
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(imported.original, bytes);
    assert_eq!(imported.outcome.bytes, bytes.len() as u64);
    assert_eq!(imported.outcome.sha256, hex::encode(Sha256::digest(&bytes)));
}

#[test]
fn utf8_with_bom() {
    let imported = import_file("subs_utf8_bom.csv", Subscriptions).unwrap();
    assert_eq!(imported.outcome.format, delimited(TextEncoding::Utf8Bom, ','));
    assert_eq!(imported.outcome.columns[0].source.as_deref(), Some("Customer ID"));
    assert_eq!(imported.strings("customer_id"), ["c1", "c2"]);
    assert_eq!(imported.money("amount"), [Some(100_000), Some(125_000)]);
}

#[test]
fn formats_are_named_as_people_name_them() {
    assert_eq!(delimited(TextEncoding::Utf16Le, '\t').to_string(), "UTF-16 LE text, tab-separated");
    assert_eq!(delimited(TextEncoding::Windows1252, ';').to_string(), "Windows-1252 text, semicolon-separated");
    assert_eq!(delimited(TextEncoding::Utf8, '~').to_string(), "UTF-8 text, separated by '~'");
    let sheet = SourceFormat::Workbook { workbook: WorkbookKind::Ods, sheet: "Q1".into() };
    assert_eq!(sheet.to_string(), "ODS workbook, sheet 'Q1'");
}

#[test]
fn utf16_le_with_bom_and_tabs() {
    let imported = import_file("subs_utf16le_tab.tsv", Subscriptions).unwrap();
    assert_eq!(imported.outcome.format, delimited(TextEncoding::Utf16Le, '\t'));
    assert_eq!(imported.strings("customer_id"), ["client-é", "c2"]);
    assert_eq!(imported.money("amount"), [Some(99_900), Some(10_000_000)]);
    assert_eq!(imported.dates("start_date"), some_dates(&[(2024, 3, 1), (2024, 3, 2)]));
}

#[test]
fn utf16_be_with_bom_semicolons_and_decimal_comma() {
    let imported = Run::new(Subscriptions)
        .overrides(&[("customer_id", Some("Kunde")), ("amount", Some("Betrag"))])
        .import(&corpus("subs_utf16be_semicolon.csv"))
        .unwrap();
    assert_eq!(imported.outcome.format, delimited(TextEncoding::Utf16Be, ';'));
    assert_eq!(imported.strings("customer_id"), ["Müller", "c2"]);
    assert_eq!(imported.money("amount"), [Some(12_345_600), Some(125_000)]);
    assert_eq!(imported.dates("start_date"), some_dates(&[(2024, 2, 1), (2024, 2, 15)]));
    assert!(imported.outcome.warnings.is_empty());
}

#[test]
fn windows_1252_with_accents_and_euro() {
    let imported = Run::new(Transactions)
        .overrides(&[("amount", Some("Montant")), ("currency", Some("Devise"))])
        .import(&corpus("transactions_1252.csv"))
        .unwrap();
    assert_eq!(imported.outcome.format, delimited(TextEncoding::Windows1252, ';'));
    assert_eq!(imported.strings("customer_id"), ["Café Crème", "Hélène"]);
    assert_eq!(imported.money("amount"), [Some(125_000), Some(12_340_000)]);
    assert_eq!(imported.strings("currency"), ["EUR", "EUR"]);
}

#[test]
fn a_late_invalid_byte_switches_the_file_to_windows_1252() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late.csv");
    let mut bytes = b"customer,amount,start\n".to_vec();
    // More than the 1 MiB detection sample of clean UTF-8 rows first.
    for i in 0..60_000 {
        bytes.extend_from_slice(format!("c{i},1,2024-01-01\n").as_bytes());
    }
    bytes.extend_from_slice(b"Caf\xe9,2,2024-01-02\n");
    std::fs::write(&path, &bytes).unwrap();
    let imported = Run::new(Subscriptions).import(&path).unwrap();
    assert_eq!(imported.outcome.format, delimited(TextEncoding::Windows1252, ','));
    assert_eq!(imported.outcome.rows, 60_001);
    // The provisional pass's batches were discarded: every row is in the table once.
    assert_eq!(imported.batches.iter().map(|b| b.rows()).sum::<usize>(), 60_001);
    assert_eq!(imported.strings("customer_id").last().unwrap(), "Café");
    let last = imported.progress.last().unwrap();
    assert_eq!(last.phase, Phase::Importing);
    assert_eq!(last.bytes_done, bytes.len() as u64);
    assert_eq!(last.rows, 60_001);
}

// ---------------------------------------------------------------- delimiters and numbers

#[test]
fn semicolons_decimal_comma_and_dotted_dates() {
    let imported = import_file("transactions_semicolon_comma.csv", Transactions).unwrap();
    assert_eq!(imported.outcome.format, delimited(TextEncoding::Utf8, ';'));
    // "1.234" alone is ambiguous; the column's other values show a decimal comma.
    assert_eq!(imported.money("amount"), [Some(12_345_600), Some(-125_000), Some(12_340_000)]);
    assert_eq!(imported.dates("date"), some_dates(&[(2024, 1, 31), (2024, 2, 29), (2024, 3, 1)]));
    assert!(imported.outcome.warnings.is_empty());
}

#[test]
fn tabs() {
    let imported = import_file("subs_tab.tsv", Subscriptions).unwrap();
    assert_eq!(imported.outcome.format, delimited(TextEncoding::Utf8, '\t'));
    assert_eq!(imported.money("amount"), [Some(100_000), Some(110_000)]);
}

#[test]
fn pipes_with_a_quoted_pipe() {
    let imported = import_file("subs_pipe.txt", Subscriptions).unwrap();
    assert_eq!(imported.outcome.format, delimited(TextEncoding::Utf8, '|'));
    assert_eq!(imported.strings("plan"), ["Pro|Plus", "Basic"]);
}

#[test]
fn a_forced_delimiter() {
    let path = corpus("forced_delimiter.csv");
    let source = SourceOptions { delimiter: Some('#'), ..SourceOptions::default() };
    let imported = Run::new(Subscriptions).source(source).import(&path).unwrap();
    assert_eq!(imported.outcome.format, delimited(TextEncoding::Utf8, '#'));
    assert_eq!(imported.money("amount"), [Some(100_000)]);
    // Without it the file is one column, and the mapping cannot be completed.
    assert!(matches!(Run::new(Subscriptions).import(&path), Err(ImportError::Mapping(_))));
}

#[test]
fn thousands_separators() {
    let imported = import_file("transactions_thousands.csv", Transactions).unwrap();
    assert_eq!(imported.money("amount"), [Some(12_345_678_900), Some(12_345_000), Some(20_000_000), Some(5_000)]);
}

#[test]
fn currency_symbols_codes_and_negatives() {
    let imported = import_file("transactions_currency.csv", Transactions).unwrap();
    assert_eq!(
        imported.money("amount"),
        [
            Some(12_000_000),
            Some(-450_000),
            Some(-50_000),
            Some(999_900),
            Some(125_000),
            Some(30_000),
            Some(3_000_000),
            Some(-72_500)
        ]
    );
}

#[test]
fn float_artefacts_round_and_overflow_is_a_row_error() {
    let imported = Run::new(Transactions).skip_invalid().import(&corpus("float_artefacts.csv")).unwrap();
    assert_eq!(imported.money("amount"), [Some(199_900), Some(3_000), Some(12_346)]);
    assert_eq!(
        imported.rejected,
        [row_error(
            5,
            Some("amount"),
            Some("99999999999999999999"),
            "an amount small enough to store (at most 922337203685477)"
        )]
    );
}

#[test]
fn percent_and_number_columns() {
    let imported = import_file("percent_number.csv", Subscriptions).unwrap();
    assert_eq!(imported.floats("discount_pct"), [Some(15.0), Some(15.0), Some(0.15)]);
    assert_eq!(imported.floats("quantity"), [Some(2.5), Some(1.0), Some(0.0)]);
}

// ---------------------------------------------------------------- dates

fn date_column(name: &str) -> (Vec<Option<i32>>, Vec<String>) {
    let imported = import_file(name, Transactions).unwrap();
    (imported.dates("date"), imported.outcome.warnings)
}

#[test]
fn day_month_year() {
    let (dates, warnings) = date_column("dates_dmy.csv");
    assert_eq!(dates, some_dates(&[(2024, 1, 31), (2024, 2, 5), (2023, 12, 13)]));
    assert!(warnings.is_empty());
}

#[test]
fn month_day_year() {
    let (dates, warnings) = date_column("dates_mdy.csv");
    assert_eq!(dates, some_dates(&[(2024, 1, 31), (2024, 2, 5), (2023, 12, 13)]));
    assert!(warnings.is_empty());
}

#[test]
fn ambiguous_dates_read_as_month_first_with_a_warning() {
    let (dates, warnings) = date_column("dates_ambiguous.csv");
    assert_eq!(dates, some_dates(&[(2024, 1, 2), (2024, 3, 4)]));
    assert_eq!(warnings, [AMBIGUOUS_MDY]);
}

#[test]
fn ambiguous_dates_in_a_semicolon_file_read_as_day_first() {
    let (dates, warnings) = date_column("dates_ambiguous_semicolon.csv");
    assert_eq!(dates, some_dates(&[(2024, 2, 1), (2024, 4, 3)]));
    assert_eq!(warnings, [AMBIGUOUS_DMY]);
}

#[test]
fn dotted_dates_read_as_day_first() {
    let (dates, warnings) = date_column("dates_dotted.csv");
    assert_eq!(dates, some_dates(&[(2024, 1, 5), (2024, 1, 6)]));
    assert_eq!(warnings, [AMBIGUOUS_DMY]);
}

#[test]
fn compact_dates() {
    let (dates, _) = date_column("dates_compact.csv");
    assert_eq!(dates, some_dates(&[(2024, 1, 5), (2024, 12, 31)]));
}

#[test]
fn excel_serial_dates() {
    let (dates, _) = date_column("dates_excel_serial.csv");
    assert_eq!(dates, some_dates(&[(2024, 1, 1), (2024, 1, 31)]));
}

#[test]
fn unix_epoch_seconds() {
    let (dates, _) = date_column("dates_unix.csv");
    assert_eq!(dates, some_dates(&[(2024, 1, 1), (2024, 1, 31)]));
}

#[test]
fn timestamps_keep_the_date_of_their_own_offset() {
    let (dates, warnings) = date_column("dates_timestamps.csv");
    assert_eq!(dates, vec![day(2024, 1, 5); 6]);
    assert!(warnings.is_empty());
}

#[test]
fn month_names() {
    let (dates, _) = date_column("dates_month_names.csv");
    let jan5 = day(2024, 1, 5);
    assert_eq!(dates, [jan5, jan5, jan5, jan5, day(2024, 2, 5)]);
}

#[test]
fn impossible_dates_are_row_errors() {
    let (total, errors) = invalid_rows(import_file("impossible_date.csv", Subscriptions));
    assert_eq!(total, 1);
    assert_eq!(errors, [row_error(3, Some("start"), Some("2024-02-31"), "a valid date in the format YYYY-MM-DD")]);
}

// ---------------------------------------------------------------- layout of the file

#[test]
fn title_and_blank_rows_above_the_header() {
    let path = corpus("title_rows.csv");
    let inspection = inspect(&path, &SourceOptions::default()).unwrap();
    assert_eq!(inspection.header_line, 4);
    assert_eq!(inspection.headers, ["Customer", "MRR", "Start Date", "Plan"]);
    assert_eq!(inspection.sample, [["c1", "100", "2024-01-01", "Pro", ""], ["c2", "50", "2024-01-02", "Basic", ""]]);
    assert!(inspection.sheets.is_empty());
    let imported = Run::new(Subscriptions).import(&path).unwrap();
    assert_eq!(imported.outcome.header_line, 4);
    assert_eq!(imported.outcome.rows, 2);
    assert_eq!(imported.money("amount"), [Some(1_000_000), Some(500_000)]);
    assert_eq!(imported.strings("plan"), ["Pro", "Basic"]);
}

#[test]
fn renamed_headers_map_through_synonyms() {
    let path = corpus("synonyms.csv");
    let run = Run::new(Subscriptions);
    let mapping = run.mapping(&path);
    let pairs: Vec<(&str, &str)> = mapping.fields.iter().map(|(f, h)| (f.as_str(), h.as_str())).collect();
    assert_eq!(
        pairs,
        [
            ("amount", "MRR Amount (USD)"),
            ("currency", "Currency Code"),
            ("customer_id", "Account ID"),
            ("discount_pct", "Discount %"),
            ("interval", "Billing Cycle"),
            ("quantity", "Seats"),
            ("start_date", "Started At"),
        ]
    );
    let imported = run.import(&path).unwrap();
    assert_eq!(imported.strings("interval"), ["year", "month"]);
    assert_eq!(imported.integers("interval_count"), [None, Some(6)]);
    assert_eq!(imported.floats("quantity"), [Some(3.0), Some(1.0)]);
    assert_eq!(imported.strings("currency"), ["USD", "EUR"]);
    assert_eq!(imported.floats("discount_pct"), [Some(10.0), Some(0.0)]);
}

#[test]
fn quoted_newlines_keep_later_line_numbers_right() {
    let path = corpus("multiline_quotes.csv");
    let (total, errors) = invalid_rows(Run::new(Subscriptions).import(&path));
    assert_eq!(total, 1);
    assert_eq!(errors, [row_error(6, Some("amount"), Some("oops"), "an amount like 1234.56")]);
    let imported = Run::new(Subscriptions).skip_invalid().import(&path).unwrap();
    assert_eq!(imported.strings("notes"), ["line one\nline two\nline three", "a \"quoted\" word"]);
}

#[test]
fn crlf_line_endings() {
    let (_, errors) = invalid_rows(import_file("crlf.csv", Subscriptions));
    assert_eq!(errors, [row_error(3, Some("amount"), Some("oops"), "an amount like 1234.56")]);
}

#[test]
fn ids_keep_their_leading_zeros() {
    let imported = import_file("leading_zero_ids.csv", Subscriptions).unwrap();
    assert_eq!(imported.strings("customer_id"), ["00123", "123", "0042"]);
}

#[test]
fn duplicate_header_names() {
    let err = expect_err(import_file("duplicate_headers.csv", Subscriptions));
    assert!(
        matches!(
            &err,
            ImportError::DuplicateHeader { header, first: 2, second: 4, .. } if header == "amount"
        ),
        "{err:?}"
    );
    let imported = import_file("duplicate_headers_unmapped.csv", Subscriptions).unwrap();
    let names = imported.column_names();
    assert_eq!(names[names.len() - 2..], ["note", "note_2"]);
    assert_eq!(imported.strings("note"), ["a"]);
    assert_eq!(imported.strings("note_2"), ["b"]);
    assert_eq!(imported.strings("plan"), ["x"]);
}

#[test]
fn missing_required_columns() {
    let err = expect_err(import_file("missing_required.csv", Subscriptions));
    assert_eq!(
        err.to_string(),
        "mapping: required column 'amount' of subscriptions is not mapped; headers are: 'customer', 'start', 'plan'; map it with --mapping '{\"amount\": \"<header>\"}'"
    );
}

// ---------------------------------------------------------------- bad files

#[test]
fn ragged_rows() {
    let (total, errors) = invalid_rows(import_file("ragged.csv", Subscriptions));
    assert_eq!(total, 2);
    assert_eq!(
        errors,
        [
            row_error(3, None, None, "3 fields like the header, found 4"),
            row_error(4, None, None, "3 fields like the header, found 2"),
        ]
    );
}

#[test]
fn a_stray_note_beside_the_table_is_a_row_problem_not_a_missing_header() {
    let (total, errors) = invalid_rows(import_file("stray_note.csv", Subscriptions));
    assert_eq!(total, 1);
    assert_eq!(errors, [row_error(2, None, None, "3 fields like the header, found 10")]);
}

#[test]
fn non_numbers_and_empty_required_amounts() {
    let (total, errors) = invalid_rows(import_file("bad_amount.csv", Subscriptions));
    assert_eq!(total, 2);
    assert_eq!(
        errors,
        [
            row_error(3, Some("amount"), Some("abc"), "an amount like 1234.56"),
            row_error(4, Some("amount"), None, "a value (the column 'amount' is required)"),
        ]
    );
}

#[test]
fn empty_files() {
    for name in ["empty.csv", "whitespace_only.csv"] {
        let err = expect_err(import_file(name, Subscriptions));
        assert!(matches!(err, ImportError::Empty { .. }), "{name}: {err:?}");
    }
}

#[test]
fn header_without_rows() {
    let err = expect_err(import_file("header_only.csv", Subscriptions));
    assert!(matches!(err, ImportError::NoRows { header_line: 1, .. }), "{err:?}");
}

#[test]
fn binary_junk() {
    let err = expect_err(import_file("binary_junk.csv", Subscriptions));
    assert!(matches!(err, ImportError::Binary { offset: 10, .. }), "{err:?}");
}

#[test]
fn a_nul_byte_after_the_detection_sample_is_binary_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late_nul.csv");
    let mut bytes = b"customer,amount,start\n".to_vec();
    while bytes.len() < 1_100_000 {
        bytes.extend_from_slice(b"c1,1,2024-01-01\n");
    }
    let offset = bytes.len() as u64;
    bytes.extend_from_slice(b"c2,\0,2024-01-01\n");
    std::fs::write(&path, &bytes).unwrap();
    let err = expect_err(Run::new(Subscriptions).import(&path));
    assert!(matches!(err, ImportError::Binary { offset: at, .. } if at == offset + 3), "{err:?}");
}

#[test]
fn no_header_row() {
    let err = expect_err(import_file("no_header.csv", Subscriptions));
    assert!(matches!(err, ImportError::NoHeader { scanned: 3, .. }), "{err:?}");
}

#[test]
fn text_named_xlsx_is_a_workbook_error() {
    let err = expect_err(import_file("fake.xlsx", Subscriptions));
    match err {
        ImportError::Workbook { expected, reason, .. } => {
            assert_eq!(expected, "XLSX");
            assert!(reason.contains("not a spreadsheet"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------- kinds and their rules

#[test]
fn skip_invalid_imports_the_valid_rows_and_reports_the_rest() {
    let imported = Run::new(Subscriptions).skip_invalid().import(&corpus("skip_invalid.csv")).unwrap();
    assert_eq!(imported.outcome.rows, 2);
    assert_eq!(imported.outcome.skipped, 3);
    assert_eq!(imported.strings("customer_id"), ["c1", "c4"]);
    assert_eq!(
        imported.rejected,
        [
            row_error(3, Some("amount"), Some("-5"), "an amount of 0 or more"),
            row_error(4, Some("start"), Some("2024-13-01"), "a valid date in the format YYYY-MM-DD"),
            row_error(6, Some("customer"), None, "a value (the column 'customer_id' is required)"),
        ]
    );
    // Without skip_invalid the same file fails, listing every problem.
    let (total, errors) = invalid_rows(import_file("skip_invalid.csv", Subscriptions));
    assert_eq!(total, 3);
    assert_eq!(errors, imported.rejected);
}

#[test]
fn subscription_rules() {
    let imported = Run::new(Subscriptions).skip_invalid().import(&corpus("subs_rules.csv")).unwrap();
    assert_eq!(imported.strings("customer_id"), ["c1", "c5"]);
    assert_eq!(imported.strings("interval"), ["week", "month"]);
    assert_eq!(imported.integers("interval_count"), [Some(2), Some(6)]);
    assert_eq!(imported.floats("discount_pct"), [Some(5.0), None]);
    assert_eq!(imported.floats("quantity"), [Some(2.0), None]);
    assert_eq!(
        imported.rejected,
        [
            row_error(3, Some("amount"), Some("-1"), "an amount of 0 or more"),
            row_error(4, Some("end"), Some("2024-01-01"), "an end date on or after the start date"),
            row_error(5, Some("discount"), Some("150"), "a percentage from 0 to 100, like 15 or 15%"),
            row_error(5, Some("interval count"), Some("0"), "a whole number of 1 or more"),
            row_error(5, Some("quantity"), Some("-1"), "a quantity of 0 or more"),
            row_error(
                7,
                Some("interval"),
                Some("fortnightly-ish"),
                "a billing interval: day, week, month, quarter or year"
            ),
        ]
    );
    // Without skip_invalid: a row counts once, however many problems it has.
    match expect_err(import_file("subs_rules.csv", Subscriptions)) {
        ImportError::InvalidRows { rows, total, .. } => assert_eq!((rows, total), (4, 6)),
        other => panic!("{other:?}"),
    }
    assert_eq!(imported.outcome.skipped, 4);
}

#[test]
fn customers_with_churn_flags_and_dates() {
    let imported = Run::new(Customers).skip_invalid().import(&corpus("customers_churn.csv")).unwrap();
    assert_eq!(imported.flags("churned"), [Some(true), Some(false), Some(true), Some(true)]);
    assert_eq!(imported.dates("churn_date"), [day(2024, 2, 1), None, day(2024, 3, 15), None]);
    assert_eq!(imported.strings("country"), ["FR", "DE", "US", ""]);
    assert_eq!(
        imported.rejected,
        [row_error(6, Some("Churned"), Some("maybe"), "yes/no, true/false, 1/0, or a churn date")]
    );
}

#[test]
fn transaction_types_and_currencies() {
    let imported = Run::new(Transactions).skip_invalid().import(&corpus("transactions_types.csv")).unwrap();
    assert_eq!(imported.strings("type"), ["charge", "refund", "refund"]);
    assert_eq!(imported.strings("currency"), ["USD", "EUR", "GBP"]);
    assert_eq!(imported.strings("invoice_id"), ["INV-001", "INV-002", "INV-003"]);
    assert_eq!(
        imported.rejected,
        [
            row_error(5, Some("currency"), Some("dollars"), "a 3-letter currency code like USD"),
            row_error(5, Some("type"), Some("transfer"), "a transaction type: charge or refund"),
        ]
    );
}

#[test]
fn shopify_style_orders() {
    let imported = import_file("orders.csv", Orders).unwrap();
    assert_eq!(imported.strings("order_id"), ["#1001", "#1002"]);
    assert_eq!(imported.dates("date"), some_dates(&[(2024, 1, 5), (2024, 1, 6)]));
    assert_eq!(imported.money("total"), [Some(10_500_000), Some(250_000)]);
    assert_eq!(imported.strings("customer_id"), ["a@example.com", "b@example.com"]);
    assert_eq!(imported.strings("payment_method"), ["Stripe", "PayPal"]);
    assert_eq!(imported.strings("status"), ["paid", "refunded"]);
}

#[test]
fn ga4_style_purchases() {
    let imported = import_file("purchases_ga4.csv", Purchases).unwrap();
    assert_eq!(imported.strings("transaction_id"), ["T-1", "T-2"]);
    assert_eq!(imported.dates("date"), some_dates(&[(2024, 1, 5), (2024, 1, 6)]));
    assert_eq!(imported.money("revenue"), [Some(105_000), Some(0)]);
    assert_eq!(imported.strings("source_medium"), ["google / cpc", "(direct) / (none)"]);
}

// ---------------------------------------------------------------- big cells, control

#[test]
fn a_one_megabyte_cell() {
    let dir = tempfile::tempdir().unwrap();
    let big = "x".repeat(1_000_000);
    let path = dir.path().join("big.csv");
    std::fs::write(&path, format!("customer,amount,start,notes\nc1,1,2024-01-01,{big}\nc2,2,2024-01-02,small\n"))
        .unwrap();
    let imported = Run::new(Subscriptions).import(&path).unwrap();
    assert_eq!(imported.strings("notes"), [big.as_str(), "small"]);

    let path = dir.path().join("big_amount.csv");
    std::fs::write(&path, format!("customer,amount,start\nc1,{big},2024-01-01\nc2,2,2024-01-02\n")).unwrap();
    let (total, errors) = invalid_rows(Run::new(Subscriptions).import(&path));
    assert_eq!(total, 1);
    let expected_value = format!("{}…", "x".repeat(200));
    assert_eq!(errors, [row_error(2, Some("amount"), Some(&expected_value), "an amount like 1234.56")]);
}

#[test]
fn lines_ended_by_a_lone_cr_as_old_mac_exports_end_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mac.csv");
    std::fs::write(&path, "customer,amount,start\rc1,1,2024-01-01\rc2,x,2024-01-02\r").unwrap();
    let (total, errors) = invalid_rows(Run::new(Subscriptions).import(&path));
    assert_eq!(total, 1);
    assert_eq!(errors, [row_error(3, Some("amount"), Some("x"), "an amount like 1234.56")]);
    std::fs::write(&path, "customer,amount,start\rc1,1,2024-01-01\rc2,2,2024-01-02").unwrap();
    let imported = Run::new(Subscriptions).import(&path).unwrap();
    assert_eq!(imported.strings("customer_id"), ["c1", "c2"]);
}

#[test]
fn an_unclosed_quote_cannot_swallow_the_file_into_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("open_quote.csv");
    let mut text = String::from("customer,amount,start\nc1,1,2024-01-01\nc2,\"2,2024-01-01\n");
    let filler = "x,1,2024-01-01\n".repeat(5_000_000);
    text.push_str(&filler);
    std::fs::write(&path, text).unwrap();
    let err = expect_err(Run::new(Subscriptions).import(&path));
    assert!(matches!(err, ImportError::RecordTooLong { after_line: 2, limit: 67_108_864, .. }), "{err:?}");
}

#[test]
fn cancellation() {
    let run = Run::new(Subscriptions);
    run.cancel.cancel();
    let err = expect_err(run.import(&corpus("subs_basic.csv")));
    assert!(matches!(err, ImportError::Cancelled), "{err:?}");
}

#[test]
fn cancellation_during_the_import() {
    let cancel = revlens_model::CancelToken::new();
    let mut batches: Vec<revlens_model::RowBatch> = Vec::new();
    let result =
        import_into(&corpus("subs_basic.csv"), &mut batches, &mut Vec::new(), &mut |_| cancel.cancel(), &cancel);
    assert!(matches!(result, Err(ImportError::Cancelled)), "{result:?}");
}

/// A subscriptions file of `rows` monthly subscriptions, many read chunks long.
fn large_subscriptions(dir: &std::path::Path, rows: usize) -> std::path::PathBuf {
    let path = dir.join("large.csv");
    let mut text = String::from("customer_id,amount,start_date,end_date,interval\n");
    for i in 0..rows {
        text.push_str(&format!("c{i},10,2024-01-01,,month\n"));
    }
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn cancellation_while_the_file_is_being_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = large_subscriptions(dir.path(), 200_000);
    let cancel = revlens_model::CancelToken::new();
    let mut batches: Vec<revlens_model::RowBatch> = Vec::new();
    let mut last_bytes = 0;
    // Cancelled at the first report from inside the file: the parser and the copy of the
    // original are running then, and must stop with the import.
    let mut progress = |p: revlens_ingest::Progress| {
        last_bytes = p.bytes_done;
        if p.bytes_done > 0 {
            cancel.cancel();
        }
    };
    let result = import_into(&path, &mut batches, &mut Vec::new(), &mut progress, &cancel);
    assert!(matches!(result, Err(ImportError::Cancelled)), "{result:?}");
    let file_len = std::fs::metadata(&path).unwrap().len();
    assert!(last_bytes > 0 && last_bytes < file_len, "cancelled mid-file: {last_bytes} of {file_len}");
}

struct FailingSink;

impl revlens_model::BatchSink for FailingSink {
    fn write_batch(&mut self, _: revlens_model::RowBatch) -> Result<(), revlens_model::SinkError> {
        Err("disk full".into())
    }
}

/// Imports a subscriptions file into the given sink and writer of the original.
fn import_into(
    path: &std::path::Path,
    rows: &mut dyn revlens_model::BatchSink,
    original: &mut (dyn std::io::Write + Send),
    progress: &mut dyn FnMut(revlens_ingest::Progress),
    cancel: &revlens_model::CancelToken,
) -> Result<revlens_ingest::ImportOutcome, ImportError> {
    let plan = revlens_ingest::ImportPlan {
        kind: Subscriptions,
        mapping: Run::new(Subscriptions).mapping(path),
        skip_invalid: false,
        source: SourceOptions::default(),
    };
    let io = revlens_ingest::ImportIo { rows, rejected: &mut |_| Ok(()), original, progress, cancel };
    revlens_ingest::import(path, &plan, io)
}

#[test]
fn sink_errors() {
    let cancel = revlens_model::CancelToken::new();
    match import_into(&corpus("subs_basic.csv"), &mut FailingSink, &mut std::io::sink(), &mut |_| {}, &cancel) {
        Err(ImportError::Sink(e)) => assert_eq!(e.to_string(), "disk full"),
        other => panic!("{other:?}"),
    }
}

/// Takes `room` bytes of the original, then fails like a full disk.
struct FullDisk {
    room: usize,
}

impl std::io::Write for FullDisk {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.room == 0 {
            return Err(std::io::Error::other("no space left for the original"));
        }
        let n = buf.len().min(self.room);
        self.room -= n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failing_copy_of_the_original_fails_the_import_in_its_own_words() {
    let dir = tempfile::tempdir().unwrap();
    // Many read chunks, so the copy fails while the file is still being parsed.
    let large = large_subscriptions(dir.path(), 40_000);
    let cancel = revlens_model::CancelToken::new();
    for (path, room) in [(corpus("subs_basic.csv"), 0), (large, 300 * 1024)] {
        let mut batches: Vec<revlens_model::RowBatch> = Vec::new();
        let result = import_into(&path, &mut batches, &mut FullDisk { room }, &mut |_| {}, &cancel);
        match result {
            Err(ImportError::Sink(e)) => assert_eq!(e.to_string(), "no space left for the original", "{path:?}"),
            other => panic!("{path:?}: {other:?}"),
        }
    }
}

#[test]
fn progress_reports_both_phases() {
    let imported = import_file("subs_basic.csv", Subscriptions).unwrap();
    let phases: Vec<Phase> = imported.progress.iter().map(|p| p.phase).collect();
    assert_eq!(phases.first(), Some(&Phase::Scanning));
    assert_eq!(phases.last(), Some(&Phase::Importing));
    let last = imported.progress.last().unwrap();
    assert_eq!(last.bytes_done, last.bytes_total);
    assert_eq!(last.rows, 3);
}

#[test]
fn the_corpus_has_enough_files() {
    let count = std::fs::read_dir(corpus("")).unwrap().count();
    assert!(count >= 35, "{count} files");
}

// ---------------------------------------------------------------- workbooks

fn write_xlsx(path: &std::path::Path) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut workbook = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let sheet = workbook.add_worksheet();
    sheet.set_name("Export").unwrap();
    sheet.write_string(0, 0, "Acme Corp – MRR export").unwrap();
    sheet.write_string(2, 0, "Customer").unwrap();
    sheet.write_string(2, 1, "MRR").unwrap();
    sheet.write_string(2, 2, "Start Date").unwrap();
    sheet.write_string(2, 3, "Seats").unwrap();
    sheet.write_string(3, 0, "00123").unwrap();
    sheet.write_number(3, 1, 99.99).unwrap();
    sheet.write_datetime_with_format(3, 2, ExcelDateTime::from_ymd(2024, 1, 5).unwrap(), &date).unwrap();
    sheet.write_number(3, 3, 3.0).unwrap();
    sheet.write_string(4, 0, "c2").unwrap();
    sheet.write_number(4, 1, 19.990000000000002).unwrap();
    let noon = ExcelDateTime::from_ymd(2024, 1, 31).unwrap().and_hms(12, 0, 0).unwrap();
    let stamp = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    sheet.write_datetime_with_format(4, 2, noon, &stamp).unwrap();
    sheet.write_number(4, 3, 1.5).unwrap();
    let other = workbook.add_worksheet();
    other.set_name("Other").unwrap();
    other.write_string(0, 0, "customer").unwrap();
    other.write_string(0, 1, "amount").unwrap();
    other.write_string(0, 2, "start").unwrap();
    other.write_string(1, 0, "o1").unwrap();
    other.write_number(1, 1, 5.0).unwrap();
    other.write_string(1, 2, "2024-03-01").unwrap();
    std::fs::write(path, workbook.save_to_buffer().unwrap()).unwrap();
}

#[test]
fn xlsx_first_sheet_with_a_title_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.xlsx");
    write_xlsx(&path);
    let inspection = inspect(&path, &SourceOptions::default()).unwrap();
    assert_eq!(inspection.sheets, ["Export", "Other"]);
    assert_eq!(inspection.header_line, 3);
    assert_eq!(inspection.headers, ["Customer", "MRR", "Start Date", "Seats"]);
    assert_eq!(inspection.sample[0], ["00123", "99.99", "2024-01-05", "3"]);
    let imported = Run::new(Subscriptions).import(&path).unwrap();
    assert_eq!(
        imported.outcome.format,
        SourceFormat::Workbook { workbook: WorkbookKind::Xlsx, sheet: "Export".into() }
    );
    assert_eq!(imported.outcome.header_line, 3);
    assert_eq!(imported.strings("customer_id"), ["00123", "c2"]);
    assert_eq!(imported.money("amount"), [Some(999_900), Some(199_900)]);
    // A date cell and a date-time cell: both arrive as ISO text.
    assert_eq!(imported.dates("start_date"), some_dates(&[(2024, 1, 5), (2024, 1, 31)]));
    assert_eq!(imported.floats("quantity"), [Some(3.0), Some(1.5)]);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(imported.original, bytes);
    assert_eq!(imported.outcome.sha256, hex::encode(Sha256::digest(&bytes)));
}

#[test]
fn xlsx_sheet_by_name_or_number() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.xlsx");
    write_xlsx(&path);
    for sheet in ["Other", "other", "2"] {
        let source = SourceOptions { sheet: Some(sheet.into()), ..SourceOptions::default() };
        let imported = Run::new(Subscriptions).source(source).import(&path).unwrap();
        assert_eq!(imported.strings("customer_id"), ["o1"], "{sheet}");
        assert_eq!(imported.dates("start_date"), [day(2024, 3, 1)]);
    }
    let source = SourceOptions { sheet: Some("Nope".into()), ..SourceOptions::default() };
    let err = expect_err(Run::new(Subscriptions).source(source).import(&path));
    match err {
        ImportError::SheetNotFound { sheet, available, .. } => {
            assert_eq!(sheet, "Nope");
            assert_eq!(available, ["Export", "Other"]);
        }
        other => panic!("{other:?}"),
    }
}

/// `libreoffice_export.{xls,ods}` were made by LibreOffice 7.4 from a CSV with a title
/// row, a blank row, the id column typed as text and the date column as dates:
/// `soffice --headless --infilter="CSV:44,34,UTF8,1,1/2/2/1/3/5" --convert-to xls book.csv`
#[test]
fn real_xls_and_ods_files() {
    for (name, kind) in [("libreoffice_export.xls", WorkbookKind::Xls), ("libreoffice_export.ods", WorkbookKind::Ods)] {
        let path = corpus(name);
        let inspection = inspect(&path, &SourceOptions::default()).unwrap();
        assert_eq!(inspection.sheets, ["book"], "{name}");
        assert_eq!(inspection.headers, ["Customer ID", "Amount", "Start Date"]);
        let imported = Run::new(Subscriptions).import(&path).unwrap();
        assert_eq!(imported.outcome.format, SourceFormat::Workbook { workbook: kind, sheet: "book".into() });
        assert_eq!(imported.outcome.header_line, 3, "{name}");
        assert_eq!(imported.strings("customer_id"), ["00123", "c2"], "{name}");
        assert_eq!(imported.money("amount"), [Some(105_000), Some(199_900)]);
        assert_eq!(imported.dates("start_date"), some_dates(&[(2024, 1, 5), (2024, 2, 29)]), "{name}");
    }
}

#[test]
fn xlsx_bytes_win_over_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.csv");
    write_xlsx(&path);
    let imported = Run::new(Subscriptions).import(&path).unwrap();
    assert_eq!(imported.outcome.rows, 2);
}

fn workbook_error(name: &str, bytes: &[u8]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    match expect_err(Run::new(Subscriptions).import(&path)) {
        ImportError::Workbook { expected, reason, .. } => (expected, reason),
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn truncated_and_fake_workbooks_are_clean_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.xlsx");
    write_xlsx(&path);
    let bytes = std::fs::read(&path).unwrap();
    for cut in [10, bytes.len() / 2, bytes.len() - 30] {
        let (expected, _) = workbook_error("truncated.xlsx", &bytes[..cut]);
        assert_eq!(expected, "XLSX");
    }
    let mut fake_xls = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    fake_xls.extend_from_slice(&[0x42; 600]);
    assert_eq!(workbook_error("fake.xls", &fake_xls).0, "XLS");
    let mut fake_ods = b"PK\x03\x04".to_vec();
    fake_ods.extend_from_slice(&[0; 26]);
    fake_ods.extend_from_slice(b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet");
    assert_eq!(workbook_error("fake.ods", &fake_ods).0, "ODS");
    let (expected, reason) = workbook_error("text.xls", b"customer,amount\n");
    assert_eq!(expected, "XLS");
    assert!(reason.contains("not a spreadsheet"), "{reason}");
}

/// An .xlsx with a header and one customer in column A, and `stray` values elsewhere.
fn xlsx_with_strays(path: &std::path::Path, rows: u32, stray: &[(u32, u16)]) {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet().set_name("Export").unwrap();
    sheet.write(0, 0, "customer_id").unwrap();
    for row in 1..rows {
        sheet.write(row, 0, format!("c{row}")).unwrap();
    }
    for &(row, column) in stray {
        sheet.write(row, column, "note").unwrap();
    }
    workbook.save(path).unwrap();
}

/// A lone value in XFD1048576 is one cell, not a grid of 17 billion: the import reads the
/// rows that hold values and says what is wrong with the last one.
#[test]
fn a_stray_value_in_xfd1048576_is_one_more_cell() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stray.xlsx");
    xlsx_with_strays(&path, 40, &[(1_048_575, 16_383)]);
    match expect_err(Run::new(Customers).import(&path)) {
        ImportError::InvalidRows { total, errors, .. } => {
            assert_eq!(total, 1);
            assert_eq!(errors[0].line, 1_048_576);
            assert_eq!(errors[0].expected, "1 fields like the header, found 16384");
        }
        other => panic!("{other:?}"),
    }
}

/// Rows that would be laid out too wide to read are refused in words, naming the value
/// that widens them: 4,000 rows across 16,384 columns are 65 million cells.
#[test]
fn a_sheet_too_wide_to_read_is_refused_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wide.xlsx");
    xlsx_with_strays(&path, 4_000, &[(0, 16_383)]);
    let (expected, reason) = workbook_error("wide.xlsx", &std::fs::read(&path).unwrap());
    assert_eq!(expected, "XLSX");
    assert_eq!(
        reason,
        "sheet 'Export' has values in 4000 rows across 16384 columns (65536000 cells to read; at most 50000000): \
         its rightmost value is in XFD1; delete values far outside the table, or save the sheet as CSV"
    );
}

/// What a damaged workbook of the fuzz corpus is refused as, and why.
fn seed_error(seed: &str) -> (String, String) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus-seed").join(seed);
    workbook_error(seed, &std::fs::read(path).unwrap())
}

/// Workbooks the fuzzer found that once ran the process out of memory or forever, refused
/// by the patched calamine (vendor/calamine/PATCHED.md): an .xls with a LABELSST cell in
/// column 65,534 (a sheet of this format has 256; a 137 GB grid), an .xls whose directory's
/// sector chain loops back on itself (read until memory ran out), and an .ods whose table
/// is cut off by the end of its content.xml (read forever).
#[test]
fn damaged_workbooks_are_refused_in_words() {
    let (expected, reason) = seed_error("xls-dense-grid-oom.xls");
    assert_eq!(expected, "XLS");
    assert!(reason.contains("a cell at row 65535 lies in column 65534, beyond the 256 columns"), "{reason}");
    let (expected, reason) = seed_error("xls-cyclic-sector-chain.xls");
    assert_eq!(expected, "XLS");
    assert!(reason.contains("the sector chain loops back at sector 0"), "{reason}");
    let (expected, reason) = seed_error("ods-table-cut-off.ods");
    assert_eq!(expected, "ODS");
    assert_eq!(reason, "Expecting 'table:table' node, found end of xml file");
}

// ---------------------------------------------------------------- fuzz seeds

/// Every seed of the fuzz corpus goes through the parser in plain `cargo test`, so the
/// cases the fuzzer starts from are exercised without nightly.
#[test]
fn fuzz_seeds_never_panic() {
    let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus-seed");
    let mut count = 0;
    for entry in std::fs::read_dir(&seeds).unwrap() {
        let path = entry.unwrap().path();
        let _ = inspect(&path, &SourceOptions::default());
        for kind in [Subscriptions, Transactions, Customers] {
            let _ = Run::new(kind).import(&path);
            let _ = Run::new(kind).skip_invalid().import(&path);
        }
        count += 1;
    }
    assert!(count >= 5, "{count} seeds");
}
