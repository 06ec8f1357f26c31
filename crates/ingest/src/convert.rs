//! Typing and validating rows: per-column evidence from the first pass, the formats it
//! decides, and the conversion of rows into batches: runs of valid rows column by column,
//! any other row on its own, into staged values or row errors.

use revlens_model::{Cells, Column, ColumnValues, DatasetKind, FieldType, RowBatch};

use crate::layout::Layout;
use crate::source::Row;
use crate::values::{
    parse_currency, parse_date, parse_flag, parse_interval, parse_money, parse_transaction_type, DateEvidence,
    DateFormat, DecimalEvidence, DecimalMark, NumberError, PlainNumber,
};
use crate::RowError;

/// Longest value quoted back in a row error.
const MAX_QUOTED_CHARS: usize = 200;

fn wants_date(ty: FieldType, name: &str) -> bool {
    ty == FieldType::Date || (ty == FieldType::Flag && name == "churned")
}

fn wants_decimal(ty: FieldType) -> bool {
    matches!(ty, FieldType::Money | FieldType::Number | FieldType::Percent)
}

/// Evidence for one typed output column, gathered over every value in pass 1.
#[derive(Clone, Debug)]
struct ColumnEvidence {
    output: usize,
    source: usize,
    decimal: Option<DecimalEvidence>,
    date: Option<DateEvidence>,
}

/// What pass 1 learns about the typed columns.
#[derive(Clone, Debug)]
pub(crate) struct Evidence {
    columns: Vec<ColumnEvidence>,
}

impl Evidence {
    pub(crate) fn new(layout: &Layout) -> Self {
        let columns = layout
            .columns
            .iter()
            .enumerate()
            .filter_map(|(output, column)| {
                let (field, source) = (column.field?, column.source?);
                let decimal = wants_decimal(field.ty).then(DecimalEvidence::default);
                let date = wants_date(field.ty, field.name).then(DateEvidence::default);
                (decimal.is_some() || date.is_some()).then_some(ColumnEvidence { output, source, decimal, date })
            })
            .collect();
        Evidence { columns }
    }

    pub(crate) fn observe(&mut self, row: &Row) {
        for column in &mut self.columns {
            let value = row.get(column.source);
            if value.is_empty() {
                continue;
            }
            if let Some(decimal) = column.decimal.as_mut() {
                decimal.observe(value);
            }
            if let Some(date) = column.date.as_mut() {
                date.observe(value);
            }
        }
    }

    /// Settles each column's decimal mark and date format. A file "looks European" when
    /// it is ';'-delimited or any column shows a decimal comma; that breaks ties.
    pub(crate) fn decide(&self, layout: &Layout, semicolon: bool) -> Formats {
        let comma_seen =
            self.columns.iter().filter_map(|c| c.decimal.as_ref()).any(|d| d.decided() == Some(DecimalMark::Comma));
        let european = semicolon || comma_seen;
        let default_mark = if european { DecimalMark::Comma } else { DecimalMark::Dot };
        let mut columns = vec![ColumnFormat { mark: default_mark, date: DateFormat::Iso }; layout.columns.len()];
        let mut warnings = Vec::new();
        for evidence in &self.columns {
            let Some(format) = columns.get_mut(evidence.output) else {
                continue;
            };
            if let Some(mark) = evidence.decimal.as_ref().and_then(DecimalEvidence::decided) {
                format.mark = mark;
            }
            if let Some(date) = &evidence.date {
                let decision = date.decide(european);
                format.date = decision.format;
                if decision.ambiguous {
                    let header = layout.headers.get(evidence.source).map_or("", String::as_str);
                    let (read_as, other) = if decision.format == DateFormat::DayMonthYear {
                        ("day/month/year (DD/MM/YYYY)", "month/day/year")
                    } else {
                        ("month/day/year (MM/DD/YYYY)", "day/month/year")
                    };
                    warnings.push(format!(
                        "column '{header}': every date fits both day/month/year and month/day/year; read as {read_as}. If they are {other}, the dates are wrong."
                    ));
                }
            }
        }
        Formats { columns, warnings }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ColumnFormat {
    pub(crate) mark: DecimalMark,
    pub(crate) date: DateFormat,
}

/// The reading of every output column, decided from the evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Formats {
    pub(crate) columns: Vec<ColumnFormat>,
    pub(crate) warnings: Vec<String>,
}

/// A converted cell waiting for the rest of its row to pass.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Staged {
    Empty,
    /// The trimmed source field at this index, as text.
    Source(usize),
    Word(&'static str),
    Code([u8; 3]),
    Money(i64),
    Date(i32),
    Integer(i64),
    Float(f64),
    Bool(bool),
}

/// Indexes of the output columns that cross-field rules look at.
#[derive(Clone, Copy, Debug, Default)]
struct SpecialColumns {
    amount: Option<usize>,
    start_date: Option<usize>,
    end_date: Option<usize>,
    interval_count: Option<usize>,
    churn_date: Option<usize>,
    quantity: Option<usize>,
}

/// Turns rows into staged values, or into the list of their problems.
pub(crate) struct Converter<'a> {
    layout: &'a Layout,
    /// Each output column's reading (a copy, so a converter may outlive its `Formats`).
    formats: Vec<ColumnFormat>,
    special: SpecialColumns,
    staged: Vec<Staged>,
    pub(crate) errors: Vec<RowError>,
}

fn shorten(value: &str) -> String {
    match value.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((cut, _)) => format!("{}…", value.get(..cut).unwrap_or(value)),
        None => value.to_string(),
    }
}

impl<'a> Converter<'a> {
    pub(crate) fn new(layout: &'a Layout, formats: &Formats) -> Self {
        let is_subscriptions = layout.kind == DatasetKind::Subscriptions;
        let sub = |name| {
            if is_subscriptions {
                layout.field_index(name)
            } else {
                None
            }
        };
        let special = SpecialColumns {
            amount: sub("amount"),
            start_date: sub("start_date"),
            end_date: sub("end_date"),
            interval_count: layout.field_index("interval_count"),
            churn_date: layout.field_index("churn_date"),
            quantity: layout.field_index("quantity"),
        };
        Converter {
            layout,
            formats: formats.columns.clone(),
            special,
            staged: vec![Staged::Empty; layout.columns.len()],
            errors: Vec::new(),
        }
    }

    fn error(&mut self, line: u64, source: Option<usize>, value: Option<&str>, expected: String) {
        self.errors.push(RowError {
            line,
            column: source.and_then(|s| self.layout.headers.get(s)).cloned(),
            value: value.map(shorten),
            expected,
        });
    }

    /// Converts `row`; true when it is valid (its values are then staged for
    /// [`Converter::commit`]), false with [`Converter::errors`] filled otherwise.
    pub(crate) fn convert(&mut self, row: &Row) -> bool {
        self.errors.clear();
        self.staged.iter_mut().for_each(|s| *s = Staged::Empty);
        let width = self.layout.header_width();
        if !self.fits_header(row) {
            let found = if row.len() < width { row.len() } else { row.width() };
            self.error(row.line, None, None, format!("{width} fields like the header, found {found}"));
            return false;
        }
        let mut interval_count = None;
        let mut churn_date = None;
        for (index, column) in self.layout.columns.iter().enumerate() {
            let Some(source) = column.source else {
                continue;
            };
            let value = row.get(source);
            let Some(field) = column.field else {
                if !value.is_empty() {
                    self.set(index, Staged::Source(source));
                }
                continue;
            };
            if value.is_empty() {
                if field.required {
                    self.error(
                        row.line,
                        Some(source),
                        None,
                        format!("a value (the column '{}' is required)", field.name),
                    );
                }
                continue;
            }
            let format = self.format(index);
            let Some(slot) = self.staged.get_mut(index) else {
                continue;
            };
            match convert_value(source, field.ty, field.name, value, format, slot) {
                Ok(Implied::Nothing) => {}
                Ok(Implied::IntervalCount(count)) => interval_count = Some(count),
                Ok(Implied::ChurnedOn(day)) => churn_date = Some(day),
                Err(expected) => self.error(row.line, Some(source), Some(value), expected),
            }
        }
        self.fill_implied(interval_count, churn_date);
        self.check_kind_rules(row);
        self.errors.is_empty()
    }

    /// As many fields as the header, or more but empty.
    fn fits_header(&self, row: &Row) -> bool {
        let width = self.layout.header_width();
        row.len() >= width && (width..row.len()).all(|i| row.get(i).is_empty())
    }

    fn format(&self, index: usize) -> ColumnFormat {
        self.formats.get(index).copied().unwrap_or(ColumnFormat { mark: DecimalMark::Dot, date: DateFormat::Iso })
    }

    fn set(&mut self, index: usize, value: Staged) {
        if let Some(slot) = self.staged.get_mut(index) {
            *slot = value;
        }
    }

    fn staged(&self, index: Option<usize>) -> Staged {
        index.and_then(|i| self.staged.get(i).copied()).unwrap_or(Staged::Empty)
    }

    /// "6 months" fills an empty interval_count; a churned date fills an empty churn_date.
    fn fill_implied(&mut self, interval_count: Option<u32>, churn_date: Option<i32>) {
        if let (Some(count), Some(index)) = (interval_count, self.special.interval_count) {
            if self.staged(Some(index)) == Staged::Empty {
                self.set(index, Staged::Integer(i64::from(count)));
            }
        }
        if let (Some(day), Some(index)) = (churn_date, self.special.churn_date) {
            if self.staged(Some(index)) == Staged::Empty {
                self.set(index, Staged::Date(day));
            }
        }
    }

    fn source_of(&self, index: Option<usize>) -> Option<usize> {
        index.and_then(|i| self.layout.columns.get(i)).and_then(|c| c.source)
    }

    fn check_kind_rules(&mut self, row: &Row) {
        self.check_own_rule(row, self.special.amount, "an amount of 0 or more");
        if let (Staged::Date(start), Staged::Date(end)) =
            (self.staged(self.special.start_date), self.staged(self.special.end_date))
        {
            if end < start {
                let source = self.source_of(self.special.end_date);
                let value = source.map(|s| row.get(s));
                self.error(row.line, source, value, "an end date on or after the start date".to_string());
            }
        }
        self.check_own_rule(row, self.special.interval_count, "a whole number of 1 or more");
        self.check_own_rule(row, self.special.quantity, "a quantity of 0 or more");
    }

    /// Lists the staged cell of the output column `index` when it breaks its column's rule.
    fn check_own_rule(&mut self, row: &Row, index: Option<usize>, expected: &str) {
        let Some(index) = index else { return };
        if !self.within_rules(index, self.staged(Some(index))) {
            let source = self.source_of(Some(index));
            let value = source.map(|s| row.get(s));
            self.error(row.line, source, value, expected.to_string());
        }
    }

    /// Appends the staged values of the last valid row to `batch`.
    pub(crate) fn commit(&self, row: &Row, batch: &mut BatchBuilder) {
        for (values, staged) in batch.values.iter_mut().zip(&self.staged) {
            push_value(values, *staged, row);
        }
        batch.rows += 1;
    }

    /// Converts and appends the leading rows of `rows` that are plainly valid, column by
    /// column (each loop sees one type of cell, and nothing is staged): as many as fit in
    /// `batch`, up to the first row that has a problem or implies another field's value.
    /// That row, and the rest, are for [`Converter::convert`], which says what is wrong;
    /// the rows taken here are exactly those it would accept, converted alike.
    pub(crate) fn commit_leading(&self, rows: &[Row], batch: &mut BatchBuilder) -> usize {
        let base = batch.rows;
        let room = batch.capacity.saturating_sub(base);
        let rows = rows.get(..room.min(rows.len())).unwrap_or_default();
        let mut good = rows.iter().position(|row| !self.fits_header(row)).unwrap_or(rows.len());
        for (index, (column, values)) in self.layout.columns.iter().zip(batch.values.iter_mut()).enumerate() {
            let rows = rows.get(..good).unwrap_or_default();
            let (Some(source), Some(field)) = (column.source, column.field) else {
                // No field (text kept as it is), or no source (always empty).
                for row in rows {
                    let present = column.source.is_some_and(|source| !row.get(source).is_empty());
                    push_value(values, column.source.filter(|_| present).map_or(Staged::Empty, Staged::Source), row);
                }
                continue;
            };
            let format = self.format(index);
            let required = field.required;
            // The common types in loops of their own; the same parsers as `convert_value`.
            good = match (field.ty, values) {
                (FieldType::Id | FieldType::Text, ColumnValues::Text(text)) => {
                    take_fields(rows, source, required, |value| {
                        text.push(value);
                        true
                    })
                }
                (FieldType::Money, ColumnValues::Money(cells)) => {
                    let any_sign = self.special.amount != Some(index);
                    take_fields(
                        rows,
                        source,
                        required,
                        parsed(cells, move |value| {
                            parse_money(value, format.mark).ok().filter(|&units| any_sign || units >= 0)
                        }),
                    )
                }
                (FieldType::Date, ColumnValues::Date(cells)) => {
                    take_fields(rows, source, required, parsed(cells, move |value| parse_date(value, format.date)))
                }
                (FieldType::Currency, ColumnValues::Text(text)) => {
                    take_fields(rows, source, required, |value| match value.map(parse_currency) {
                        Some(None) => false,
                        code => {
                            text.push(code.flatten().as_ref().and_then(|code| std::str::from_utf8(code).ok()));
                            true
                        }
                    })
                }
                (FieldType::TransactionType, ColumnValues::Text(text)) => {
                    take_fields(rows, source, required, |value| match value.map(parse_transaction_type) {
                        Some(None) => false,
                        word => {
                            text.push(word.flatten());
                            true
                        }
                    })
                }
                (_, values) => rows
                    .iter()
                    .position(|row| {
                        let value = row.get(source);
                        let mut staged = Staged::Empty;
                        let fine = if value.is_empty() {
                            !required
                        } else {
                            matches!(
                                convert_value(source, field.ty, field.name, value, format, &mut staged),
                                Ok(Implied::Nothing)
                            ) && self.within_rules(index, staged)
                        };
                        if fine {
                            push_value(values, staged, row);
                        }
                        !fine
                    })
                    .unwrap_or(rows.len()),
            };
        }
        good = good.min(self.dates_in_order(batch, base, good));
        batch.values.iter_mut().for_each(|values| values.truncate(base + good));
        batch.rows += good;
        good
    }

    /// Whether one converted cell keeps the rule of its column alone: amounts of
    /// subscriptions 0 or more, interval counts 1 or more, quantities 0 or more.
    fn within_rules(&self, index: usize, staged: Staged) -> bool {
        let at = Some(index);
        match staged {
            Staged::Money(units) if at == self.special.amount => units >= 0,
            Staged::Integer(count) if at == self.special.interval_count => count >= 1,
            Staged::Float(quantity) if at == self.special.quantity => quantity >= 0.0,
            _ => true,
        }
    }

    /// How many of the `rows` rows appended to `batch` from `base` have no end date before
    /// their start date.
    fn dates_in_order(&self, batch: &BatchBuilder, base: usize, rows: usize) -> usize {
        let column = |index: Option<usize>| match index.and_then(|i| batch.values.get(i)) {
            Some(ColumnValues::Date(dates)) => Some(dates),
            _ => None,
        };
        let (Some(starts), Some(ends)) = (column(self.special.start_date), column(self.special.end_date)) else {
            return rows;
        };
        (base..base + rows)
            .position(|at| matches!((starts.get(at), ends.get(at)), (Some(start), Some(end)) if end < start))
            .unwrap_or(rows)
    }
}

/// Hands `take` the trimmed `source` field of each row (`None` when empty), up to the first
/// it refuses or that is empty though `required`: how many rows it took.
fn take_fields(rows: &[Row], source: usize, required: bool, mut take: impl FnMut(Option<&str>) -> bool) -> usize {
    rows.iter()
        .position(|row| {
            let value = Some(row.get(source)).filter(|value| !value.is_empty());
            (value.is_none() && required) || !take(value)
        })
        .unwrap_or(rows.len())
}

/// Takes a field into `cells` as `parse` reads it; refuses it when `parse` cannot.
fn parsed<'c, T: Copy + Default>(
    cells: &'c mut Cells<T>,
    parse: impl Fn(&str) -> Option<T> + 'c,
) -> impl FnMut(Option<&str>) -> bool + 'c {
    move |value| match value.map(&parse) {
        Some(None) => false,
        cell => {
            cells.push(cell.flatten());
            true
        }
    }
}

fn push_value(values: &mut ColumnValues, staged: Staged, row: &Row) {
    match values {
        ColumnValues::Text(v) => match staged {
            Staged::Source(s) => v.push(Some(row.get(s))),
            Staged::Word(w) => v.push(Some(w)),
            // Codes are ASCII letters (parse_currency).
            Staged::Code(code) => v.push(std::str::from_utf8(&code).ok()),
            _ => v.push(None),
        },
        ColumnValues::Money(v) => v.push(match staged {
            Staged::Money(m) => Some(m),
            _ => None,
        }),
        ColumnValues::Date(v) => v.push(match staged {
            Staged::Date(d) => Some(d),
            _ => None,
        }),
        ColumnValues::Integer(v) => v.push(match staged {
            Staged::Integer(i) => Some(i),
            _ => None,
        }),
        ColumnValues::Float(v) => v.push(match staged {
            Staged::Float(f) => Some(f),
            _ => None,
        }),
        ColumnValues::Bool(v) => v.push(match staged {
            Staged::Bool(b) => Some(b),
            _ => None,
        }),
    }
}

/// What a converted value says about other fields of its row.
enum Implied {
    Nothing,
    /// "6 months": the interval_count, when the row has none.
    IntervalCount(u32),
    /// A churn date in the churned column: the churn_date, when the row has none.
    ChurnedOn(i32),
}

fn number_example(mark: DecimalMark) -> &'static str {
    match mark {
        DecimalMark::Dot => "1234.56",
        DecimalMark::Comma => "1234,56",
    }
}

/// Converts one non-empty trimmed value of a canonical field into `slot`; `Err` says what
/// was expected. (Written in place: a `Staged` returned through a temporary was assembled
/// byte by byte and then reloaded whole, a store-forwarding stall on every cell.)
fn convert_value(
    source: usize,
    ty: FieldType,
    name: &str,
    value: &str,
    format: ColumnFormat,
    slot: &mut Staged,
) -> Result<Implied, String> {
    let number = |percent| PlainNumber::parse(value, format.mark, percent);
    *slot = match ty {
        // Text and ids are never inferred: "00123" stays "00123".
        FieldType::Id | FieldType::Text => Staged::Source(source),
        FieldType::Money => match parse_money(value, format.mark) {
            Ok(units) => Staged::Money(units),
            Err(NumberError::Overflow) => {
                return Err("an amount small enough to store (at most 922337203685477)".into())
            }
            Err(NumberError::NotANumber) => return Err(format!("an amount like {}", number_example(format.mark))),
        },
        FieldType::Date => match parse_date(value, format.date) {
            Some(day) => Staged::Date(day),
            None => return Err(format!("a valid date in the format {}", format.date.describe())),
        },
        FieldType::Integer => match number(false).and_then(|n| n.to_integer()) {
            Ok(i) => Staged::Integer(i),
            Err(_) => return Err("a whole number like 3".into()),
        },
        FieldType::Number => match number(false).and_then(|n| n.to_f64()) {
            Ok(f) => Staged::Float(f),
            Err(_) => return Err(format!("a number like {}", number_example(format.mark))),
        },
        FieldType::Percent => match number(true).and_then(|n| n.to_f64()) {
            Ok(p) if (0.0..=100.0).contains(&p) => Staged::Float(p),
            _ => return Err("a percentage from 0 to 100, like 15 or 15%".into()),
        },
        FieldType::Currency => match parse_currency(value) {
            Some(code) => Staged::Code(code),
            None => return Err("a 3-letter currency code like USD".into()),
        },
        FieldType::Interval => match parse_interval(value) {
            Some(interval) => {
                *slot = Staged::Word(interval.unit);
                return Ok(if interval.count == 1 { Implied::Nothing } else { Implied::IntervalCount(interval.count) });
            }
            None => return Err("a billing interval: day, week, month, quarter or year".into()),
        },
        FieldType::TransactionType => match parse_transaction_type(value) {
            Some(kind) => Staged::Word(kind),
            None => return Err("a transaction type: charge or refund".into()),
        },
        FieldType::Flag => match parse_flag(value) {
            Some(flag) => Staged::Bool(flag),
            None if name == "churned" => match parse_date(value, format.date) {
                Some(day) => {
                    *slot = Staged::Bool(true);
                    return Ok(Implied::ChurnedOn(day));
                }
                None => return Err("yes/no, true/false, 1/0, or a churn date".into()),
            },
            None => return Err("yes/no, true/false or 1/0".into()),
        },
    };
    Ok(Implied::Nothing)
}

/// Accumulates converted rows column by column until a batch is full.
pub(crate) struct BatchBuilder {
    names: Vec<String>,
    values: Vec<ColumnValues>,
    rows: usize,
    capacity: usize,
}

impl BatchBuilder {
    pub(crate) fn new(layout: &Layout, capacity: usize) -> Self {
        let names = layout.columns.iter().map(|c| c.output.name.clone()).collect();
        let values = layout.columns.iter().map(|c| ColumnValues::with_capacity(c.output.storage, capacity)).collect();
        BatchBuilder { names, values, rows: 0, capacity }
    }

    pub(crate) fn is_full(&self) -> bool {
        self.rows >= self.capacity
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Hands out the rows so far and starts a new batch.
    pub(crate) fn take(&mut self) -> RowBatch {
        let columns = self
            .names
            .iter()
            .zip(self.values.iter_mut())
            .map(|(name, values)| {
                let next = values.empty_like(self.capacity);
                Column { name: name.clone(), values: std::mem::replace(values, next) }
            })
            .collect();
        self.rows = 0;
        RowBatch { columns }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::Mapping;

    fn layout(headers: &[&str], fields: &[(&str, &str)]) -> Layout {
        let headers: Vec<String> = headers.iter().map(|s| s.to_string()).collect();
        let mapping = Mapping {
            kind: DatasetKind::Subscriptions,
            fields: fields.iter().map(|(f, h)| (f.to_string(), h.to_string())).collect(),
        };
        Layout::plan(Path::new("x.csv"), DatasetKind::Subscriptions, &mapping, &headers).unwrap()
    }

    fn row(fields: &[&str]) -> Row {
        let mut row = Row::default();
        row.clear(2);
        fields.iter().for_each(|f| row.push_field(f));
        row
    }

    fn amount_mark(values: &[&[&str]], semicolon: bool) -> DecimalMark {
        let layout = layout(
            &["c", "a", "s", "q"],
            &[("customer_id", "c"), ("amount", "a"), ("start_date", "s"), ("quantity", "q")],
        );
        let mut evidence = Evidence::new(&layout);
        values.iter().for_each(|v| evidence.observe(&row(v)));
        let formats = evidence.decide(&layout, semicolon);
        formats.columns[layout.field_index("amount").unwrap()].mark
    }

    #[test]
    fn an_ambiguous_thousands_value_follows_the_file() {
        let ambiguous: &[&str] = &["x", "1,234", "2024-01-01", ""];
        assert_eq!(amount_mark(&[ambiguous], false), DecimalMark::Dot);
        let ambiguous: &[&str] = &["x", "1.234", "2024-01-01", ""];
        assert_eq!(amount_mark(&[ambiguous], true), DecimalMark::Comma);
        // Another column showing a decimal comma makes the file European.
        let other: &[&str] = &["x", "1.234", "2024-01-01", "2,5"];
        assert_eq!(amount_mark(&[other], false), DecimalMark::Comma);
        // The column's own evidence beats the file's habits.
        let own: &[&str] = &["x", "1,234.50", "2024-01-01", ""];
        assert_eq!(amount_mark(&[own], true), DecimalMark::Dot);
    }

    #[test]
    fn rows_convert_or_list_every_problem() {
        let layout = layout(
            &["c", "a", "s", "i"],
            &[("customer_id", "c"), ("amount", "a"), ("start_date", "s"), ("interval", "i")],
        );
        let formats = Evidence::new(&layout).decide(&layout, false);
        let mut converter = Converter::new(&layout, &formats);
        assert!(converter.convert(&row(&["00123", "$5", "2024-01-01", "6 months"])));
        let mut batch = BatchBuilder::new(&layout, 4);
        converter.commit(&row(&["00123", "$5", "2024-01-01", "6 months"]), &mut batch);
        let batch = batch.take();
        let column = |name: &str| &batch.columns.iter().find(|c| c.name == name).unwrap().values;
        assert_eq!(column("customer_id"), &ColumnValues::Text(vec![Some("00123".into())].into()));
        assert_eq!(column("amount"), &ColumnValues::Money(vec![Some(50_000)].into()));
        assert_eq!(column("interval"), &ColumnValues::Text(vec![Some("month".into())].into()));
        assert_eq!(column("interval_count"), &ColumnValues::Integer(vec![Some(6)].into()));

        assert!(!converter.convert(&row(&["", "abc", "2024-02-30", "monthly"])));
        let expected: Vec<&str> = converter.errors.iter().map(|e| e.expected.as_str()).collect();
        assert_eq!(
            expected,
            [
                "a value (the column 'customer_id' is required)",
                "an amount like 1234.56",
                "a valid date in the format YYYY-MM-DD"
            ]
        );
    }
}
