//! The store's errors, and the mapping of named unique constraints to domain meaning.

/// A failure of the database layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database at {path}: {detail}")]
    Open { path: String, detail: String },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("the database writer failed: {0}")]
    Writer(String),
    #[error("the database writer has stopped")]
    WriterGone,
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// The unique constraints the domain cares about, by the index that enforces each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    UserName,
    GroupName,
    CredentialUsername,
    Id,
}

impl Unique {
    /// Which constraint a SQLite error violated, if it is a uniqueness violation we name.
    /// SQLite reports the violated columns (`UNIQUE constraint failed: users.user_name_key`).
    pub fn of(error: &sqlx::Error) -> Option<Unique> {
        let sqlx::Error::Database(db) = error else {
            return None;
        };
        let message = db.message();
        let columns = message.strip_prefix("UNIQUE constraint failed: ")?;
        Some(match columns {
            "users.user_name_key" => Unique::UserName,
            "groups.display_name_key" => Unique::GroupName,
            "credentials.username" => Unique::CredentialUsername,
            "users.id" | "groups.id" | "providers.id" | "credentials.id" => Unique::Id,
            _ => return None,
        })
    }
}
