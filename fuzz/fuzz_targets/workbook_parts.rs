//! Well-formed workbook containers with one part made of the fuzzer's bytes: the sheet,
//! shared strings, styles or workbook XML of an .xlsx, or the content.xml of an .ods.
//! Random bytes seldom survive a zip container's checksums, so `sniff_and_parse` rarely
//! reaches the XML parsers behind them; here every input does.
//!
//! The first byte chooses the part; the rest is the part.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use std::io::{Cursor, Write};

use libfuzzer_sys::fuzz_target;
use zip::write::SimpleFileOptions;

const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const RELATIONSHIPS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// The parts of a one-sheet .xlsx, each replaceable by the fuzzer's bytes.
fn xlsx_parts() -> [(&'static str, String); 7] {
    let package = "http://schemas.openxmlformats.org/package/2006";
    let sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml";
    [
        (
            "xl/worksheets/sheet1.xml",
            format!(
                r#"<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>date</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>C1</t></is></c><c r="B2"><v>19.99</v></c><c r="C2" s="1"><v>45292</v></c></row></sheetData></worksheet>"#
            ),
        ),
        (
            "xl/sharedStrings.xml",
            format!(
                r#"<sst xmlns="{MAIN}" count="2" uniqueCount="2"><si><t>customer_id</t></si><si><t>amount</t></si></sst>"#
            ),
        ),
        (
            "xl/styles.xml",
            format!(
                r#"<styleSheet xmlns="{MAIN}"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>"#
            ),
        ),
        (
            "xl/workbook.xml",
            format!(
                r#"<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}"><sheets><sheet name="Export" sheetId="1" r:id="rId1"/></sheets></workbook>"#
            ),
        ),
        (
            "[Content_Types].xml",
            format!(
                r#"<Types xmlns="{package}/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="{sheet_type}.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="{sheet_type}.worksheet+xml"/></Types>"#
            ),
        ),
        (
            "_rels/.rels",
            format!(
                r#"<Relationships xmlns="{package}/relationships"><Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!(
                r#"<Relationships xmlns="{package}/relationships"><Relationship Id="rId1" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{RELATIONSHIPS}/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="{RELATIONSHIPS}/styles" Target="styles.xml"/></Relationships>"#
            ),
        ),
    ]
}

/// The parts of an .ods; only content.xml is the fuzzer's.
fn ods_parts() -> [(&'static str, String); 3] {
    [
        ("mimetype", "application/vnd.oasis.opendocument.spreadsheet".to_string()),
        ("content.xml", String::new()),
        ("META-INF/manifest.xml", r#"<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#.to_string()),
    ]
}

/// A stored (uncompressed) zip of `parts`, with `fuzzed` as the part at `replaced`.
fn zipped(parts: &[(&str, String)], replaced: usize, fuzzed: &[u8]) -> zip::result::ZipResult<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (index, (name, text)) in parts.iter().enumerate() {
        zip.start_file(*name, stored)?;
        zip.write_all(if index == replaced { fuzzed } else { text.as_bytes() })?;
    }
    Ok(zip.finish()?.into_inner())
}

fuzz_target!(
    init: common::quiet_contained_panics(),
    |data: &[u8]| {
        let Some((&selector, part)) = data.split_first() else { return };
        let (name, container) = match selector % 5 {
            4 => ("input.ods", zipped(&ods_parts(), 1, part)),
            n => ("input.xlsx", zipped(&xlsx_parts(), usize::from(n), part)),
        };
        if let Ok(bytes) = container {
            common::inspect_and_import(name, &bytes);
        }
    }
);
