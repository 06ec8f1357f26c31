//! The vocabulary every RevLens crate shares: what a dataset is made of and how values
//! are represented once they are canonical. No I/O lives here.

mod batch;
mod ids;
mod kind;
mod money;

pub use batch::{BatchSink, Cells, Column, ColumnValues, RowBatch, SinkError, StorageType, TextValues};
pub use ids::{DatasetId, DocumentId, MappingId, PeriodId, VersionId, WorkspaceId};
pub use kind::{DatasetKind, FieldSpec, FieldType, ParseKindError};
pub use money::{Money, MONEY_DECIMALS, MONEY_SCALE};
mod cancel;
pub use cancel::{CancelToken, Cancelled};
