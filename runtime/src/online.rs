//! Runs a migration's [`Change`]s in the form each backend needs on a live table.
//!
//! A change to a table that holds rows takes the zero-downtime form (docs/locks.md): an index
//! is built `CONCURRENTLY` on PostgreSQL and with `ALGORITHM=INPLACE, LOCK=NONE` on
//! MySQL/MariaDB, a foreign key goes on `NOT VALID` and is validated apart, `SET NOT NULL` is
//! proven by a validated check, a backfill commits batch by batch. A change to a table the same
//! run creates is plain: the table is empty. Every other change runs as a unit under a short
//! lock timeout, retried while a lock is busy ([`crate::locked_with`]), and first asks whether
//! the database is already in the state it leaves, so that running a failed migration again
//! carries on where it stopped.

use crate::change::{Change, Kind, When};
use crate::lock::{LockPolicy, locked_with};
use crate::resume::{Leaves, needed};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{
    ConnectionTrait, DbBackend, Statement, StatementBuilder, TransactionTrait,
};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Runs a migration's changes, each in the form its backend needs on a live table: concurrent
/// index builds and `NOT VALID` keys validated apart on PostgreSQL, online `ALTER TABLE` on
/// MySQL/MariaDB, rebuilds on SQLite, batched backfills; a plain form on a table the same run
/// creates; every other change under a short lock timeout with retries ([`LockPolicy`]),
/// skipped when a failed run already made it.
///
/// ```no_run
/// # use sea_orm_migration::prelude::*;
/// # async fn up(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
/// use tidemark_runtime::{Change, Online};
/// Online::new(manager)
///     .run([Change::create_index(
///         Index::create().name("idx_post_title").table("post").col("title"),
///     )])
///     .await
/// # }
/// ```
pub struct Online<'a, 'c> {
    manager: &'a SchemaManager<'c>,
    plain: bool,
    schema: Option<String>,
    policy: LockPolicy,
}

impl<'a, 'c> Online<'a, 'c> {
    /// The zero-downtime forms, with the lock policy of the environment
    /// ([`LockPolicy::from_env`]).
    pub fn new(manager: &'a SchemaManager<'c>) -> Self {
        Online {
            manager,
            plain: false,
            schema: None,
            policy: LockPolicy::from_env(),
        }
    }

    /// Plain DDL, every change as written, all of them one unit (a migration written with
    /// `--unsafe`, for tables small enough that a blocking statement is brief).
    pub fn plain(manager: &'a SchemaManager<'c>) -> Self {
        Online {
            plain: true,
            ..Online::new(manager)
        }
    }

    /// PostgreSQL: runs everything in `schema` (created if missing); nothing elsewhere.
    pub fn in_schema(mut self, schema: &str) -> Self {
        self.schema = Some(schema.to_owned());
        self
    }

    /// How long each attempt may wait for a lock, and how often to try, instead of the
    /// environment's `TIDEMARK_LOCK_TIMEOUT_MS` and `TIDEMARK_LOCK_RETRIES`.
    ///
    /// ```no_run
    /// # use sea_orm_migration::prelude::*;
    /// # async fn up(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    /// use std::time::Duration;
    /// use tidemark_runtime::{Change, LockPolicy, Online};
    ///
    /// // A table read by long reports: wait a little longer, try more often.
    /// let policy = LockPolicy {
    ///     timeout: Duration::from_millis(200),
    ///     retries: 20,
    ///     ..LockPolicy::default()
    /// };
    /// Online::new(manager)
    ///     .with_lock_policy(policy)
    ///     .run([Change::add_column("report", ColumnDef::new("note").text().null())])
    ///     .await
    /// # }
    /// ```
    pub fn with_lock_policy(mut self, policy: LockPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Runs `changes` in order. On SQLite they run in one transaction, so that a failure leaves
    /// nothing behind; elsewhere a change that builds concurrently or commits in batches
    /// manages its own transactions, and the others run as units of their own (or, when no
    /// change needs that, all together as one unit).
    pub async fn run(self, changes: impl IntoIterator<Item = Change>) -> Result<(), DbErr> {
        let backend = self.manager.get_database_backend();
        let changes: Vec<Change> = changes.into_iter().filter(|c| c.runs_on(backend)).collect();
        let context = Arc::new(Context::new(backend, self.plain, &changes));
        if let Some(schema) = &self.schema {
            crate::postgres::use_schema(self.manager, schema).await?;
        }
        if backend != DbBackend::Sqlite {
            return run_all(self.manager, changes, context, self.policy).await;
        }
        let tx = self.manager.get_connection().begin().await?;
        match run_all(&SchemaManager::new(&tx), changes, context, self.policy).await {
            Ok(()) => tx.commit().await,
            Err(err) => {
                tx.rollback().await.ok();
                Err(err)
            }
        }
    }
}

/// What a change's form depends on besides the change: the backend, and which tables this run
/// creates (empty, so plain forms do) or drops.
#[derive(Debug)]
struct Context {
    backend: DbBackend,
    plain: bool,
    created: BTreeSet<String>,
    dropped: BTreeSet<String>,
}

impl Context {
    fn new(backend: DbBackend, plain: bool, changes: &[Change]) -> Self {
        let mut created = BTreeSet::new();
        let mut dropped = BTreeSet::new();
        for change in changes {
            match &change.kind {
                Kind::CreateTable(table) => {
                    created.insert(table_name(table));
                }
                Kind::DropTable(table) => {
                    dropped.insert(table.clone());
                }
                _ => {}
            }
        }
        Context {
            backend,
            plain,
            created,
            dropped,
        }
    }

    /// Whether `table` may hold rows and be in use: the online forms apply.
    fn live(&self, table: &str) -> bool {
        !self.plain && !self.created.contains(table)
    }

    /// MySQL/MariaDB's online DDL applies: a live table that stays.
    fn mysql_online(&self, table: &str) -> bool {
        self.backend == DbBackend::MySql && self.live(table) && !self.dropped.contains(table)
    }

    /// Whether `change` runs outside any one transaction: it builds concurrently, validates
    /// apart from the lock that added a constraint, or commits batch by batch.
    fn own_transactions(&self, change: &Change) -> bool {
        if self.plain || self.backend == DbBackend::Sqlite {
            return false;
        }
        let postgres = self.backend == DbBackend::Postgres;
        match &change.kind {
            Kind::Backfill { .. } => true,
            Kind::SetNotNull { .. } => postgres,
            Kind::CreateIndex { table, .. }
            | Kind::AddUnique { table, .. }
            | Kind::AddForeignKey { table, .. } => postgres && self.live(table),
            Kind::DropIndex { table, .. } => postgres && !self.dropped.contains(table),
            _ => false,
        }
    }
}

async fn run_all(
    manager: &SchemaManager<'_>,
    changes: Vec<Change>,
    context: Arc<Context>,
    policy: LockPolicy,
) -> Result<(), DbErr> {
    if !changes.iter().any(|c| context.own_transactions(c)) {
        // One unit, retried whole: nothing stays half done while a lock is busy.
        let changes = Arc::new(changes);
        return locked_with(manager, policy, |m| {
            let (changes, context) = (changes.clone(), context.clone());
            Box::pin(async move {
                for change in changes.iter() {
                    execute(m, change, &context).await?;
                }
                Ok(())
            })
        })
        .await;
    }
    for change in changes {
        if context.own_transactions(&change) {
            execute(manager, &change, &context).await?;
            continue;
        }
        let change = Arc::new(change);
        locked_with(manager, policy, |m| {
            let (change, context) = (change.clone(), context.clone());
            Box::pin(async move { execute(m, &change, &context).await })
        })
        .await?;
    }
    Ok(())
}

fn table_name(table: &TableCreateStatement) -> String {
    match table.get_table_name() {
        Some(TableRef::Table(name, _)) => name.1.to_string(),
        _ => String::new(),
    }
}

async fn holds(manager: &SchemaManager<'_>, when: &When) -> Result<bool, DbErr> {
    if crate::preview::previewing() {
        return Ok(true);
    }
    Ok(match when {
        When::TableExists(t) => manager.has_table(t).await?,
        When::TableMissing(t) => !manager.has_table(t).await?,
        When::ColumnExists(t, c) => manager.has_column(t, c).await?,
        When::ColumnMissing(t, c) => !manager.has_column(t, c).await?,
        When::IndexExists(t, i) => manager.has_index(t, i).await?,
        When::IndexMissing(t, i) => !manager.has_index(t, i).await?,
    })
}

async fn raw(manager: &SchemaManager<'_>, sql: String) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    manager
        .get_connection()
        .execute_raw(Statement::from_string(backend, sql))
        .await
        .map(drop)
}

/// Runs `statement`, with InnoDB's online clauses on a live MySQL/MariaDB table.
async fn alter<S: StatementBuilder>(
    manager: &SchemaManager<'_>,
    context: &Context,
    table: &str,
    statement: S,
) -> Result<(), DbErr> {
    if context.mysql_online(table) {
        crate::mysql::online(manager, statement).await.map(drop)
    } else {
        manager.exec_stmt(statement).await
    }
}

fn pg_ident(name: &str) -> String {
    crate::names::quote(DbBackend::Postgres, name)
}

/// Whether the step still has to run. A plain migration runs in one transaction and has no
/// half-done state to resume from.
async fn todo(manager: &SchemaManager<'_>, plain: bool, leaves: Leaves<'_>) -> Result<bool, DbErr> {
    if plain {
        return Ok(true);
    }
    needed(manager, leaves).await
}

async fn execute(
    manager: &SchemaManager<'_>,
    change: &Change,
    context: &Context,
) -> Result<(), DbErr> {
    if let Some(when) = &change.when
        && !holds(manager, when).await?
    {
        return Ok(());
    }
    let backend = context.backend;
    let postgres = backend == DbBackend::Postgres;
    let plain = context.plain;
    match &change.kind {
        Kind::CreateEnum { name, values } => {
            if postgres && todo(manager, plain, Leaves::Type(name)).await? {
                let values = values.iter().map(|v| Alias::new(v.as_str()));
                manager
                    .create_type(
                        extension::postgres::Type::create()
                            .as_enum(Alias::new(name.as_str()))
                            .values(values)
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Kind::AddEnumValue { name, value } => {
            if postgres {
                manager
                    .alter_type(
                        extension::postgres::Type::alter()
                            .name(Alias::new(name.as_str()))
                            .add_value(Alias::new(value.as_str()))
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Kind::DropEnum(name) => {
            if postgres && todo(manager, plain, Leaves::NoType(name)).await? {
                manager
                    .drop_type(
                        extension::postgres::Type::drop()
                            .name(Alias::new(name.as_str()))
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Kind::CreateTable(table) => {
            if todo(manager, plain, Leaves::Table(&table_name(table))).await? {
                if backend == DbBackend::Sqlite {
                    crate::sqlite::create_table(manager, table.clone()).await?;
                } else {
                    manager.create_table(table.clone()).await?;
                }
            }
        }
        Kind::DropTable(table) => {
            if todo(manager, plain, Leaves::NoTable(table)).await? {
                manager
                    .drop_table(Table::drop().table(Alias::new(table.as_str())).to_owned())
                    .await?;
            }
        }
        Kind::RenameTable { from, to } => {
            if todo(manager, plain, Leaves::Table(to)).await? {
                manager
                    .rename_table(
                        Table::rename()
                            .table(Alias::new(from.as_str()), Alias::new(to.as_str()))
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Kind::AddColumn { table, column } => {
            if todo(
                manager,
                plain,
                Leaves::Column(table, &column.get_column_name()),
            )
            .await?
            {
                let statement = Table::alter()
                    .table(Alias::new(table.as_str()))
                    .add_column(column.clone())
                    .to_owned();
                alter(manager, context, table, statement).await?;
            }
        }
        Kind::DropColumn { table, column } => {
            if todo(manager, plain, Leaves::NoColumn(table, column)).await? {
                let statement = Table::alter()
                    .table(Alias::new(table.as_str()))
                    .drop_column(Alias::new(column.as_str()))
                    .to_owned();
                alter(manager, context, table, statement).await?;
            }
        }
        Kind::RenameColumn { table, from, to } => {
            if todo(manager, plain, Leaves::Column(table, to)).await? {
                let statement = Table::alter()
                    .table(Alias::new(table.as_str()))
                    .rename_column(Alias::new(from.as_str()), Alias::new(to.as_str()))
                    .to_owned();
                alter(manager, context, table, statement).await?;
            }
        }
        Kind::ModifyColumn { table, column } if backend == DbBackend::Sqlite => {
            let edit = crate::sqlite::Edit::Column(Box::new(column.clone()));
            crate::sqlite::rebuild_live(manager, table, edit).await?;
        }
        Kind::ModifyColumn { table, column } => {
            let statement = Table::alter()
                .table(Alias::new(table.as_str()))
                .modify_column(column.clone())
                .to_owned();
            alter(manager, context, table, statement).await?;
        }
        Kind::AlterTable(statement) => manager.alter_table(statement.clone()).await?,
        Kind::CreateIndex { table, index } => {
            if postgres && context.live(table) {
                crate::postgres::create_index_concurrently(manager, index.clone()).await?;
            } else {
                let name = index.get_index_spec().get_name().unwrap_or_default();
                if todo(manager, plain, Leaves::Index(table, name)).await? {
                    alter(manager, context, table, index.clone()).await?;
                }
            }
        }
        Kind::DropIndex { table, name } => {
            if postgres && !context.plain && !context.dropped.contains(table) {
                crate::postgres::drop_index_concurrently(manager, name).await?;
            } else if todo(manager, plain, Leaves::NoIndex(table, name)).await? {
                let statement = Index::drop()
                    .name(name.as_str())
                    .table(Alias::new(table.as_str()))
                    .to_owned();
                alter(manager, context, table, statement).await?;
            }
        }
        Kind::AddForeignKey { table, foreign_key } => {
            let name = foreign_key.get_foreign_key().get_name().unwrap_or_default();
            if backend == DbBackend::Sqlite {
                // The key is part of the table's definition there (a table made in this run
                // has it already, which the rebuild finds).
                let edit = crate::sqlite::Edit::AddForeignKey(Box::new(foreign_key.clone()));
                crate::sqlite::rebuild_live(manager, table, edit).await?;
            } else if postgres && context.live(table) {
                crate::postgres::add_foreign_key_not_valid(manager, foreign_key.clone()).await?;
                crate::postgres::validate_constraint(manager, table, name).await?;
            } else if todo(manager, plain, Leaves::ForeignKey(table, name)).await? {
                crate::adopt::add_foreign_key(manager, foreign_key.clone()).await?;
            }
        }
        Kind::DropForeignKey { table, name } => match backend {
            DbBackend::MySql => crate::mysql::drop_foreign_key(manager, table, name).await?,
            DbBackend::Postgres
                if todo(manager, plain, Leaves::NoForeignKey(table, name)).await? =>
            {
                crate::adopt::drop_foreign_key(manager, table, name).await?
            }
            DbBackend::Sqlite => {
                let edit = crate::sqlite::Edit::DropForeignKey(name.clone());
                crate::sqlite::rebuild_live(manager, table, edit).await?
            }
            _ => {}
        },
        Kind::AddUnique {
            table,
            name,
            columns,
        } => {
            if postgres && context.live(table) {
                let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
                crate::postgres::add_unique_constraint_concurrently(manager, table, name, &columns)
                    .await?;
            } else if postgres {
                let columns: Vec<String> = columns.iter().map(|c| pg_ident(c)).collect();
                let sql = format!(
                    "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE ({})",
                    pg_ident(table),
                    pg_ident(name),
                    columns.join(", ")
                );
                raw(manager, sql).await?;
            } else {
                let mut index = Index::create();
                index
                    .name(name.as_str())
                    .table(Alias::new(table.as_str()))
                    .unique();
                for column in columns {
                    index.col(Alias::new(column.as_str()));
                }
                alter(manager, context, table, index.to_owned()).await?;
            }
        }
        Kind::SetNotNull { table, column } => {
            if postgres && !context.plain {
                crate::postgres::set_not_null(manager, table, column).await?;
            } else {
                manager
                    .alter_table(
                        Table::alter()
                            .table(Alias::new(table.as_str()))
                            .modify_column(ColumnDef::new(Alias::new(column.as_str())).not_null())
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Kind::Backfill {
            table,
            column,
            expression,
            integer_key,
        } => {
            if context.plain || backend == DbBackend::Sqlite {
                let c = Alias::new(column.as_str());
                manager
                    .execute(
                        Query::update()
                            .table(Alias::new(table.as_str()))
                            .value(c.clone(), Expr::cust(expression.clone()))
                            .and_where(Expr::col(c).is_null())
                            .to_owned(),
                    )
                    .await?;
            } else {
                let fill = crate::backfill::Backfill {
                    table,
                    column,
                    expression,
                    integer_key: integer_key.as_deref(),
                };
                crate::backfill::run(manager, fill).await?;
            }
        }
        Kind::Sql(sql) => raw(manager, sql.clone()).await?,
        Kind::RequireFit {
            table,
            column,
            fit,
            conversion: None,
        } => crate::fit::require(manager, table, column, *fit).await?,
        Kind::RequireFit {
            table,
            column,
            fit,
            conversion: Some(conversion),
        } => crate::fit::require_converted(manager, table, column, conversion, *fit).await?,
        Kind::RequireValues {
            table,
            column,
            values,
        } => {
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            crate::fit::require_values(manager, table, column, &values).await?;
        }
        Kind::RequireParents {
            table,
            columns,
            parent,
            parent_columns,
            parent_is_new,
            nulls_are_filled,
        } => {
            let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
            let parent_columns: Vec<&str> = parent_columns.iter().map(String::as_str).collect();
            let references = crate::references::References {
                table,
                columns: &columns,
                parent,
                parent_columns: &parent_columns,
                parent_is_new: *parent_is_new,
                nulls_are_filled: *nulls_are_filled,
            };
            crate::references::require_parents(manager, references).await?;
        }
        Kind::KeepKeyIndex {
            table,
            key,
            columns,
            dropping,
        } => {
            let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
            crate::mysql::keep_key_index(manager, table, key, &columns, dropping).await?;
        }
        Kind::Replaces(migrations) => {
            let migrations: Vec<&str> = migrations.iter().map(String::as_str).collect();
            crate::squash::replaces(manager, &migrations).await?;
        }
        Kind::InstallSync {
            table,
            column,
            shadow,
            conversion,
        } => match conversion {
            Some(conversion) => {
                crate::shadow::install_converting_sync(manager, table, column, shadow, conversion)
                    .await?
            }
            None => crate::shadow::install_sync(manager, table, column, shadow).await?,
        },
        Kind::RemoveSync { table, column } => {
            crate::shadow::remove_sync(manager, table, column).await?
        }
        Kind::ConvertColumn {
            table,
            column,
            shadow,
            conversion,
        } => {
            crate::shadow::convert_column(manager, table, column, shadow.clone(), conversion)
                .await?
        }
        Kind::SwapIn {
            table,
            column,
            shadow,
            indexes,
        } => {
            if todo(manager, plain, Leaves::NoColumn(table, shadow)).await? {
                let indexes: Vec<(&str, &str)> = indexes
                    .iter()
                    .map(|(a, b)| (a.as_str(), b.as_str()))
                    .collect();
                crate::shadow::swap_in(manager, table, column, shadow, &indexes).await?;
            }
        }
        Kind::SwapOut {
            table,
            column,
            shadow,
            indexes,
        } => {
            if todo(manager, plain, Leaves::Column(table, shadow)).await? {
                let indexes: Vec<(&str, &str)> = indexes
                    .iter()
                    .map(|(a, b)| (a.as_str(), b.as_str()))
                    .collect();
                crate::shadow::swap_out(manager, table, column, shadow, &indexes).await?;
            }
        }
        Kind::CreateView { view, table } => crate::view::create_view(manager, view, table).await?,
        Kind::DropView(view) => crate::view::drop_view(manager, view).await?,
        Kind::ViewToTable { view, table } => {
            if todo(manager, plain, Leaves::NoTable(table)).await? {
                crate::view::view_to_table(manager, view, table).await?;
            }
        }
        Kind::TableToView { view, table } => {
            if todo(manager, plain, Leaves::Table(table)).await? {
                crate::view::table_to_view(manager, view, table).await?;
            }
        }
        Kind::RebuildTable {
            table,
            indexes,
            backfills,
        } => {
            let backfills: Vec<(&str, &str)> = backfills
                .iter()
                .map(|(a, b)| (a.as_str(), b.as_str()))
                .collect();
            crate::sqlite::rebuild_table(manager, table.clone(), indexes.clone(), backfills)
                .await?;
        }
    }
    Ok(())
}
