//! CSV, JSON and plain-text renderings of the results, with the CLI's column contracts,
//! so the command line only picks a format.
//!
//! Money has 2 decimals, fractions 4, months are YYYY-MM, and an undefined value is an
//! empty CSV cell (JSON null).

use std::fmt::Write as _;
use std::str::FromStr;

use revlens_model::{Money, MONEY_SCALE};
use serde_json::{Map, Number, Value};

use super::churn::ChurnReport;
use super::cohorts::CohortTable;
use super::error::{MetricsError, MetricsResult};
use super::kpis::KpiTable;
use super::month::YearMonth;
use super::mrr::MrrTable;
use super::top::TopCustomers;

/// One typed cell, so every format writes it the same way.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Month(YearMonth),
    Money(Option<Money>),
    Count(u64),
    /// Written with 4 decimals.
    Fraction(Option<f64>),
    Flag(Option<bool>),
    Text(String),
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Month(month) => month.to_string(),
            Cell::Money(money) => money.map(|m| m.to_string()).unwrap_or_default(),
            Cell::Count(count) => count.to_string(),
            Cell::Fraction(value) => value.map(|v| format!("{v:.4}")).unwrap_or_default(),
            Cell::Flag(flag) => flag.map(|f| f.to_string()).unwrap_or_default(),
            Cell::Text(text) => text.clone(),
        }
    }

    fn json(&self) -> Value {
        let number = |value: f64| Number::from_f64(value).map_or(Value::Null, Value::Number);
        match self {
            Cell::Month(month) => Value::String(month.to_string()),
            Cell::Money(None) | Cell::Fraction(None) | Cell::Flag(None) => Value::Null,
            // Through the cents, so the JSON number prints as the 2-decimal text.
            Cell::Money(Some(money)) => {
                let cents = money.round_to_cents().0 / (MONEY_SCALE / 100);
                number(cents as f64 / 100.0)
            }
            Cell::Count(count) => Value::Number((*count).into()),
            Cell::Fraction(Some(value)) => number((value * 10_000.0).round() / 10_000.0),
            Cell::Flag(Some(flag)) => Value::Bool(*flag),
            Cell::Text(text) => Value::String(text.clone()),
        }
    }
}

/// A result as a header and rows of cells.
#[derive(Clone, Debug, PartialEq)]
pub struct Tabular {
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OutputFormat {
    /// Aligned columns for people.
    #[default]
    Table,
    Csv,
    Json,
}

impl FromStr for OutputFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "table" => Ok(OutputFormat::Table),
            "csv" => Ok(OutputFormat::Csv),
            "json" => Ok(OutputFormat::Json),
            other => Err(format!("unknown format '{other}': expected table, csv or json")),
        }
    }
}

impl Tabular {
    pub fn render(&self, format: OutputFormat) -> MetricsResult<String> {
        match format {
            OutputFormat::Table => Ok(self.to_text()),
            OutputFormat::Csv => self.to_csv(),
            OutputFormat::Json => self.to_json(),
        }
    }

    /// CSV with a header line. Text cells that a spreadsheet would run as a formula
    /// (starting with = + - @) are prefixed with an apostrophe.
    pub fn to_csv(&self) -> MetricsResult<String> {
        let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
        let render_error = |e: csv::Error| MetricsError::Render(e.to_string());
        writer.write_record(&self.header).map_err(render_error)?;
        for row in &self.rows {
            let cells = row.iter().map(|cell| match cell {
                Cell::Text(text) if text.starts_with(['=', '+', '-', '@', '\t', '\r']) => {
                    format!("'{text}")
                }
                other => other.text(),
            });
            writer.write_record(cells).map_err(render_error)?;
        }
        let bytes = writer.into_inner().map_err(|e| MetricsError::Render(e.to_string()))?;
        String::from_utf8(bytes).map_err(|e| MetricsError::Render(e.to_string()))
    }

    /// A JSON array with one object per row, keyed by the CSV header.
    pub fn to_json(&self) -> MetricsResult<String> {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|row| {
                let object: Map<String, Value> =
                    self.header.iter().zip(row).map(|(name, cell)| (name.clone(), cell.json())).collect();
                Value::Object(object)
            })
            .collect();
        serde_json::to_string_pretty(&rows).map_err(|e| MetricsError::Render(e.to_string()))
    }

    /// Columns padded to their widest cell; numbers right-aligned.
    pub fn to_text(&self) -> String {
        let texts: Vec<Vec<String>> = self.rows.iter().map(|r| r.iter().map(Cell::text).collect()).collect();
        let widths: Vec<usize> = self
            .header
            .iter()
            .enumerate()
            .map(|(i, h)| {
                texts
                    .iter()
                    .filter_map(|r| r.get(i))
                    .map(|t| t.chars().count())
                    .chain([h.chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        let line = |out: &mut String, cells: Vec<(&str, bool)>| {
            let parts: Vec<String> = cells
                .iter()
                .zip(&widths)
                .map(
                    |((text, right), width)| {
                        if *right {
                            format!("{text:>width$}")
                        } else {
                            format!("{text:<width$}")
                        }
                    },
                )
                .collect();
            let _ = writeln!(out, "{}", parts.join("  ").trim_end());
        };
        line(&mut out, self.header.iter().map(|h| (h.as_str(), false)).collect());
        for (row, text) in self.rows.iter().zip(&texts) {
            let cells = row
                .iter()
                .zip(text)
                .map(|(cell, t)| (t.as_str(), !matches!(cell, Cell::Text(_) | Cell::Month(_))))
                .collect();
            line(&mut out, cells);
        }
        out
    }
}

fn header(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

impl MrrTable {
    /// `month,mrr,arr,customers,new,expansion,contraction,churn,reactivation`.
    pub fn tabular(&self) -> Tabular {
        Tabular {
            header: header(&[
                "month",
                "mrr",
                "arr",
                "customers",
                "new",
                "expansion",
                "contraction",
                "churn",
                "reactivation",
            ]),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        Cell::Month(r.month),
                        Cell::Money(Some(r.mrr)),
                        Cell::Money(Some(r.arr)),
                        Cell::Count(r.customers),
                        Cell::Money(Some(r.new)),
                        Cell::Money(Some(r.expansion)),
                        Cell::Money(Some(r.contraction)),
                        Cell::Money(Some(r.churn)),
                        Cell::Money(Some(r.reactivation)),
                    ]
                })
                .collect(),
        }
    }
}

impl KpiTable {
    /// `month,arpa,logo_churn_rate,revenue_churn_rate,nrr_12m,grr_12m,quick_ratio,ltv`.
    pub fn tabular(&self) -> Tabular {
        Tabular {
            header: header(&[
                "month",
                "arpa",
                "logo_churn_rate",
                "revenue_churn_rate",
                "nrr_12m",
                "grr_12m",
                "quick_ratio",
                "ltv",
            ]),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        Cell::Month(r.month),
                        Cell::Money(r.arpa),
                        Cell::Fraction(r.logo_churn_rate),
                        Cell::Fraction(r.revenue_churn_rate),
                        Cell::Fraction(r.nrr_12m),
                        Cell::Fraction(r.grr_12m),
                        Cell::Fraction(r.quick_ratio),
                        Cell::Money(r.ltv),
                    ]
                })
                .collect(),
        }
    }
}

impl CohortTable {
    /// `cohort,size,m0,…,mN`: the retention of the table's basis.
    pub fn tabular(&self) -> Tabular {
        let mut names = vec!["cohort".to_string(), "size".to_string()];
        names.extend((0..self.offsets).map(|k| format!("m{k}")));
        Tabular {
            header: names,
            rows: self
                .rows
                .iter()
                .map(|r| {
                    let mut cells = vec![Cell::Month(r.cohort), Cell::Count(r.size)];
                    cells.extend(r.retention.iter().map(|&v| Cell::Fraction(v)));
                    cells
                })
                .collect(),
        }
    }
}

impl TopCustomers {
    /// `rank,customer_id,mrr,arr,share,movement,change`.
    pub fn tabular(&self) -> Tabular {
        Tabular {
            header: header(&["rank", "customer_id", "mrr", "arr", "share", "movement", "change"]),
            rows: self
                .customers
                .iter()
                .map(|c| {
                    vec![
                        Cell::Count(c.rank as u64),
                        Cell::Text(c.customer_id.clone()),
                        Cell::Money(Some(c.mrr)),
                        Cell::Money(Some(c.arr)),
                        Cell::Fraction(Some(c.share)),
                        Cell::Text(c.movement.map(|m| m.as_str().to_string()).unwrap_or_default()),
                        Cell::Money(Some(c.change)),
                    ]
                })
                .collect(),
        }
    }
}

impl ChurnReport {
    /// `customer_id,churned,churn_source,reason`.
    pub fn tabular(&self) -> Tabular {
        Tabular {
            header: header(&["customer_id", "churned", "churn_source", "reason"]),
            rows: self
                .customers
                .iter()
                .map(|c| {
                    vec![
                        Cell::Text(c.customer_id.clone()),
                        Cell::Flag(c.churned),
                        Cell::Text(c.churn_source.as_str().to_string()),
                        Cell::Text(c.reason.clone()),
                    ]
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_render_alike_in_csv_and_json() {
        let table = Tabular {
            header: header(&["month", "mrr", "rate", "id"]),
            rows: vec![vec![
                Cell::Month("2025-01".parse().unwrap()),
                Cell::Money(Some(Money(123_4550))),
                Cell::Fraction(None),
                Cell::Text("=cmd".into()),
            ]],
        };
        assert_eq!(table.to_csv().unwrap(), "month,mrr,rate,id\n2025-01,123.46,,'=cmd\n");
        let json: Value = serde_json::from_str(&table.to_json().unwrap()).unwrap();
        assert_eq!(json[0]["mrr"], serde_json::json!(123.46));
        assert_eq!(json[0]["rate"], Value::Null);
        assert!(table.to_text().starts_with("month"));
    }
}
