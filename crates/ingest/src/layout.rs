//! The output table's shape: every canonical field of the kind in order, then the
//! unmapped source columns as text, each tied to the source column that feeds it.

use std::collections::HashSet;
use std::path::Path;

use revlens_model::{DatasetKind, FieldSpec, StorageType};

use crate::{ImportError, Mapping, OutputColumn};

/// One output column and where its values come from.
#[derive(Clone, Debug)]
pub(crate) struct PlannedColumn {
    pub(crate) output: OutputColumn,
    /// Index of the source column; `None` for an unmapped canonical field.
    pub(crate) source: Option<usize>,
    /// The canonical field; `None` for an extra column kept as text.
    pub(crate) field: Option<&'static FieldSpec>,
}

#[derive(Clone, Debug)]
pub(crate) struct Layout {
    pub(crate) kind: DatasetKind,
    pub(crate) headers: Vec<String>,
    pub(crate) columns: Vec<PlannedColumn>,
}

impl Layout {
    /// Checks `mapping` against `headers` and lays out the output columns.
    pub(crate) fn plan(
        path: &Path,
        kind: DatasetKind,
        mapping: &Mapping,
        headers: &[String],
    ) -> Result<Layout, ImportError> {
        if mapping.kind != kind {
            return Err(ImportError::Mapping(format!(
                "the mapping is for {}, but the import is of {kind}",
                mapping.kind
            )));
        }
        mapping.validate(headers)?;
        for header in mapping.fields.values() {
            let mut positions = headers.iter().enumerate().filter(|(_, h)| *h == header).map(|(i, _)| i + 1);
            if let (Some(first), Some(second)) = (positions.next(), positions.next()) {
                return Err(ImportError::DuplicateHeader {
                    path: path.to_path_buf(),
                    header: header.clone(),
                    first,
                    second,
                });
            }
        }
        let mut columns = Vec::with_capacity(kind.fields().len() + headers.len());
        let mut mapped = vec![false; headers.len()];
        for field in kind.fields() {
            let source = mapping.fields.get(field.name).and_then(|header| headers.iter().position(|h| h == header));
            if let Some(flag) = source.and_then(|i| mapped.get_mut(i)) {
                *flag = true;
            }
            columns.push(PlannedColumn {
                output: OutputColumn {
                    name: field.name.to_string(),
                    storage: field.ty.storage(),
                    source: source.and_then(|i| headers.get(i)).cloned(),
                },
                source,
                field: Some(field),
            });
        }
        let mut taken: HashSet<String> = kind.fields().iter().map(|f| f.name.to_string()).collect();
        for (index, header) in headers.iter().enumerate() {
            if mapped.get(index).copied().unwrap_or(true) {
                continue;
            }
            let name = unique_name(header, &taken);
            taken.insert(name.clone());
            columns.push(PlannedColumn {
                output: OutputColumn { name, storage: StorageType::Text, source: Some(header.clone()) },
                source: Some(index),
                field: None,
            });
        }
        Ok(Layout { kind, headers: headers.to_vec(), columns })
    }

    pub(crate) fn header_width(&self) -> usize {
        self.headers.len()
    }

    pub(crate) fn output_columns(&self) -> Vec<OutputColumn> {
        self.columns.iter().map(|c| c.output.clone()).collect()
    }

    /// The output index of a canonical field.
    pub(crate) fn field_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.field.is_some_and(|f| f.name == name))
    }
}

/// `name`, or `name_2`, `name_3` … when taken.
fn unique_name(name: &str, taken: &HashSet<String>) -> String {
    if !taken.contains(name) {
        return name.to_string();
    }
    (2..)
        .map(|n| format!("{name}_{n}"))
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or_else(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn canonical_fields_then_extras_with_unique_names() {
        let hdrs = headers(&["Cust", "Amt", "Start", "Note", "plan", "Note"]);
        let mapping = Mapping {
            kind: DatasetKind::Subscriptions,
            fields: [("customer_id", "Cust"), ("amount", "Amt"), ("start_date", "Start")]
                .iter()
                .map(|(f, h)| (f.to_string(), h.to_string()))
                .collect(),
        };
        let layout = Layout::plan(Path::new("x.csv"), DatasetKind::Subscriptions, &mapping, &hdrs).unwrap();
        let names: Vec<&str> = layout.columns.iter().map(|c| c.output.name.as_str()).collect();
        let canonical: Vec<&str> = DatasetKind::Subscriptions.fields().iter().map(|f| f.name).collect();
        assert_eq!(&names[..canonical.len()], canonical.as_slice());
        assert_eq!(&names[canonical.len()..], ["Note", "plan_2", "Note_2"]);
        assert_eq!(layout.columns[3].output.source, None);
    }

    #[test]
    fn a_mapped_duplicate_header_is_an_error() {
        let hdrs = headers(&["Cust", "Amt", "Start", "Amt"]);
        let mapping = Mapping {
            kind: DatasetKind::Subscriptions,
            fields: [("customer_id", "Cust"), ("amount", "Amt"), ("start_date", "Start")]
                .iter()
                .map(|(f, h)| (f.to_string(), h.to_string()))
                .collect(),
        };
        let err = Layout::plan(Path::new("x.csv"), DatasetKind::Subscriptions, &mapping, &hdrs).unwrap_err();
        assert!(matches!(
            err,
            ImportError::DuplicateHeader { ref header, first: 2, second: 4, .. } if header == "Amt"
        ));
    }
}
