use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered id (UUIDv7), so ids sort by creation time.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// A workspace: one company or client, with its own datasets and periods.
    WorkspaceId
);
uuid_id!(
    /// A dataset: every version imported under one name and kind.
    DatasetId
);
uuid_id!(
    /// One imported version of a dataset.
    VersionId
);
uuid_id!(
    /// A saved column mapping.
    MappingId
);
uuid_id!(
    /// A reporting period (C1, 2025-Q1 …).
    PeriodId
);
uuid_id!(
    /// A saved document of a workspace: a dashboard or a scenario.
    DocumentId
);
