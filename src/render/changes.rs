//! One `Change` expression per planned operation, with the backends it runs on and its guard.

use super::builders::{
    ColumnUse, column_def, default_tokens, foreign_key_create, index_create, table_create,
    type_call,
};
use super::idens::Idens;
use crate::backend::Backend;
use crate::model::{Column, ColumnType};
use crate::plan::{Guard, Op, Step};
use proc_macro2::TokenStream;
use quote::quote;

/// A direction's changes as `Change` expressions, one per planned change, handed to `emit` in
/// order. A step whose backends run the same changes (the runtime picks each backend's form)
/// is written once; where they differ, each backend's changes carry `.only_on`/`.except_on`.
pub(super) fn render_changes(steps: &[Step], idens: &mut Idens, emit: &mut dyn FnMut(TokenStream)) {
    for step in steps {
        let guard = step.guard.as_ref().map(|g| guard_tokens(g, idens));
        for (backends, op) in merged(backend_groups(step)) {
            let only = only_tokens(&backends);
            for change in render_change(&op, idens) {
                emit(quote!(#change #only #guard));
            }
        }
    }
}

pub(super) fn guard_tokens(guard: &Guard, idens: &mut Idens) -> TokenStream {
    let condition = match guard {
        Guard::TableExists(t, wanted) => {
            let t = idens.table(t);
            if *wanted {
                quote!(When::table_exists(#t))
            } else {
                quote!(When::table_missing(#t))
            }
        }
        Guard::ColumnExists(t, c, wanted) => {
            let (t, c) = (idens.table(t), idens.column(t, c));
            if *wanted {
                quote!(When::column_exists(#t, #c))
            } else {
                quote!(When::column_missing(#t, #c))
            }
        }
        Guard::IndexExists(t, i, wanted) => {
            let t = idens.table(t);
            if *wanted {
                quote!(When::index_exists(#t, #i))
            } else {
                quote!(When::index_missing(#t, #i))
            }
        }
    };
    quote!(.when(#condition))
}

pub(super) fn only_tokens(backends: &[Backend]) -> TokenStream {
    match backends {
        [one] => {
            let b = backend_ident(*one);
            quote!(.only_on(#b))
        }
        [_, _] => {
            let other = Backend::ALL
                .into_iter()
                .find(|b| !backends.contains(b))
                .expect("a two-backend group leaves one out");
            let b = backend_ident(other);
            quote!(.except_on(#b))
        }
        _ => TokenStream::new(),
    }
}

/// The runtime's name of a planned op: the online forms the planner spells out per backend
/// (`CREATE INDEX CONCURRENTLY`, InnoDB's online clauses, `NOT VALID`) are what
/// `tidemark_runtime::Online` does by itself on a table that holds rows.
pub(super) fn logical(op: &Op) -> Op {
    match op {
        Op::MysqlOnline(inner) => logical(inner),
        Op::CreateIndexConcurrently { table, index } => Op::CreateIndex {
            table: table.clone(),
            index: index.clone(),
        },
        Op::DropIndexConcurrently { table, name } => Op::DropIndex {
            table: table.clone(),
            name: name.clone(),
        },
        Op::AddUniqueConcurrently {
            table,
            name,
            columns,
        } => Op::AddUniqueConstraint {
            table: table.clone(),
            name: name.clone(),
            columns: columns.clone(),
        },
        Op::AddForeignKeyNotValid { table, foreign_key } => Op::AddForeignKey {
            table: table.clone(),
            foreign_key: foreign_key.clone(),
        },
        Op::DropForeignKeyAndIndex { table, name } => Op::DropForeignKey {
            table: table.clone(),
            name: name.clone(),
        },
        Op::Backfill {
            table,
            column,
            expr,
        } => Op::BatchedBackfill {
            table: table.clone(),
            column: column.clone(),
            expr: expr.clone(),
            integer_key: None,
        },
        other => other.clone(),
    }
}

/// Whether the runtime does nothing for `op` on `backend`, so that a backend the planner gives
/// no statements for it can share the change with the others.
pub(super) fn inert_on(op: &Op, backend: Backend) -> bool {
    match op {
        Op::CreateEnumType(_) | Op::AddEnumValue { .. } | Op::DropEnumType(_) => {
            backend != Backend::Postgres
        }
        // SQLite's runtime finds the key there already (the table's rebuild or CREATE TABLE
        // put it in the definition) and leaves the table as it is.
        Op::AddForeignKey { .. } => backend == Backend::Sqlite,
        Op::KeepKeyIndex { .. } => backend != Backend::Mysql,
        _ => false,
    }
}

/// Backends grouped by the same changes, empty groups dropped, in a fixed order.
pub(super) fn backend_groups(step: &Step) -> Vec<(Vec<Backend>, Vec<Op>)> {
    let lists: Vec<(Backend, Vec<Op>)> = Backend::ALL
        .into_iter()
        .map(|b| (b, step.ops(b).iter().map(logical).collect()))
        .collect();
    let mut groups: Vec<(Vec<Backend>, Vec<Op>)> = Vec::new();
    for (backend, ops) in &lists {
        // Nothing to do here, and the others' changes do nothing here either: share them.
        let ops = if ops.is_empty() {
            lists
                .iter()
                .map(|(_, other)| other)
                .find(|other| !other.is_empty() && other.iter().all(|op| inert_on(op, *backend)))
                .unwrap_or(ops)
        } else {
            ops
        };
        match groups.iter_mut().find(|(_, existing)| existing == ops) {
            Some((members, _)) => members.push(*backend),
            None => groups.push((vec![*backend], ops.clone())),
        }
    }
    groups.retain(|(_, ops)| !ops.is_empty());
    groups
}

/// The groups' changes in one list, each with the backends it runs on: a change that starts
/// several groups' remaining lists is written once for all of them. Each backend's changes
/// keep their order.
pub(super) fn merged(mut groups: Vec<(Vec<Backend>, Vec<Op>)>) -> Vec<(Vec<Backend>, Op)> {
    let mut out = Vec::new();
    for (_, ops) in &mut groups {
        ops.reverse();
    }
    while let Some(first) = groups.iter().find_map(|(_, ops)| ops.last().cloned()) {
        let mut backends = Vec::new();
        for (members, ops) in &mut groups {
            if ops.last() == Some(&first) {
                ops.pop();
                backends.extend(members.iter().copied());
            }
        }
        backends.sort_by_key(|b| Backend::ALL.iter().position(|a| a == b));
        out.push((backends, first));
    }
    out
}

pub(super) fn backend_ident(backend: Backend) -> TokenStream {
    match backend {
        Backend::Postgres => quote!(DbBackend::Postgres),
        Backend::Mysql => quote!(DbBackend::MySql),
        Backend::Sqlite => quote!(DbBackend::Sqlite),
    }
}

pub(super) fn names(table: &str, columns: &[String], idens: &mut Idens) -> TokenStream {
    let columns = columns.iter().map(|c| idens.column(table, c));
    quote!([#(#columns),*])
}

/// The `Change` expressions of one op (an op changing several parts of a column gives one
/// per part).
pub(super) fn render_change(op: &Op, idens: &mut Idens) -> Vec<TokenStream> {
    vec![match op {
        Op::KeepKeyIndex {
            table,
            key,
            columns,
            dropping,
        } => {
            let cols = names(table, columns, idens);
            let t = idens.table(table);
            quote!(Change::keep_key_index(#t, #key, #cols, #dropping))
        }
        Op::RequireParents {
            table,
            columns,
            parent,
            parent_columns,
            parent_is_new,
            nulls_are_filled,
        } => {
            let cols = names(table, columns, idens);
            let parent_cols = parent_columns
                .iter()
                .map(|c| idens.referenced_column(parent, c));
            let parent_cols = quote!([#(#parent_cols),*]);
            let (t, p) = (idens.table(table), idens.referenced_table(parent));
            let new = parent_is_new.then(|| quote!(.parent_is_new()));
            let filled = nulls_are_filled.then(|| quote!(.nulls_are_filled()));
            quote!(Change::require_parents(#t, #cols, #p, #parent_cols) #new #filled)
        }
        Op::RequireFit {
            table,
            column,
            fit,
            conversion,
        } => {
            let fit = fit_tokens(fit);
            let (t, c) = (idens.table(table), idens.column(table, column));
            match conversion {
                None => quote!(Change::require_fit(#t, #c, #fit)),
                Some(conversion) => {
                    quote!(Change::require_converted_fit(#t, #c, #conversion, #fit))
                }
            }
        }
        Op::Replaces(replaced) => quote!(Change::replaces([#(#replaced),*])),
        Op::RequireValues {
            table,
            column,
            values,
        } => {
            let (t, c) = (idens.table(table), idens.column(table, column));
            quote!(Change::require_values(#t, #c, [#(#values),*]))
        }
        Op::ConvertColumn {
            table,
            column,
            conversion,
        } => {
            let shadow = Column {
                name: crate::plan::phased::shadow_name(&column.name),
                nullable: true,
                default: None,
                unique: false,
                comment: None,
                auto_increment: false,
                ..column.clone()
            };
            let def = column_def(table, &shadow, ColumnUse::Add, idens);
            let (t, c) = (idens.table(table), idens.column(table, &column.name));
            quote!(Change::convert_column(#t, #c, #def, #conversion))
        }
        Op::CreateEnumType(e) => {
            let (name, values) = (&e.name, &e.values);
            quote!(Change::create_enum(#name, [#(#values),*]))
        }
        Op::AddEnumValue { name, value } => quote!(Change::add_enum_value(#name, #value)),
        Op::DropEnumType(name) => quote!(Change::drop_enum(#name)),
        Op::CreateTable {
            table,
            skip_foreign_keys,
        } => {
            let stmt = table_create(table, skip_foreign_keys, idens);
            quote!(Change::create_table(#stmt))
        }
        Op::DropTable(name) => {
            let t = idens.table(name);
            quote!(Change::drop_table(#t))
        }
        Op::RenameTable { from, to } => {
            let (a, b) = (idens.table(from), idens.table(to));
            quote!(Change::rename_table(#a, #b))
        }
        Op::AddColumn { table, column } => {
            let def = column_def(table, column, ColumnUse::Add, idens);
            let t = idens.table(table);
            quote!(Change::add_column(#t, #def))
        }
        Op::DropColumn { table, column } => {
            let (t, c) = (idens.table(table), idens.column(table, column));
            quote!(Change::drop_column(#t, #c))
        }
        Op::RenameColumn { table, from, to } => {
            let t = idens.table(table);
            let (a, b) = (idens.column(table, from), idens.column(table, to));
            quote!(Change::rename_column(#t, #a, #b))
        }
        Op::ModifyColumn { table, column } => {
            let def = column_def(table, column, ColumnUse::Modify, idens);
            let t = idens.table(table);
            quote!(Change::modify_column(#t, #def))
        }
        Op::AlterColumnParts {
            table,
            column,
            ty,
            nullable,
            default,
            using,
            ..
        } => return alter_column_parts(table, column, *ty, *nullable, *default, using, idens),
        Op::CreateIndex { table, index } => {
            let stmt = index_create(table, index, idens);
            quote!(Change::create_index(#stmt))
        }
        Op::DropIndex { table, name } => {
            let t = idens.table(table);
            quote!(Change::drop_index(#t, #name))
        }
        Op::AddForeignKey { table, foreign_key } => {
            let fk = foreign_key_create(table, foreign_key, idens);
            quote!(Change::add_foreign_key(#fk))
        }
        Op::DropForeignKey { table, name } => {
            let t = idens.table(table);
            quote!(Change::drop_foreign_key(#t, #name))
        }
        Op::Sql(sql) | Op::SqlRewrite(sql) => quote!(Change::sql(#sql)),
        Op::BatchedBackfill {
            table,
            column,
            expr,
            integer_key,
        } => {
            let (t, c) = (idens.table(table), idens.column(table, column));
            match integer_key {
                Some(key) => {
                    let k = idens.column(table, key);
                    quote!(Change::backfill_by(#t, #c, #expr, #k))
                }
                None => quote!(Change::backfill(#t, #c, #expr)),
            }
        }
        Op::AddUniqueConstraint {
            table,
            name,
            columns,
        } => {
            let cols = names(table, columns, idens);
            let t = idens.table(table);
            quote!(Change::add_unique(#t, #name, #cols))
        }
        Op::SetNotNullOnline { table, column } => {
            let (t, c) = (idens.table(table), idens.column(table, column));
            quote!(Change::set_not_null(#t, #c))
        }
        Op::InstallSync {
            table,
            column,
            shadow,
            conversion,
        } => {
            let (t, c, s) = (
                idens.table(table),
                idens.column(table, column),
                idens.column(table, shadow),
            );
            let conversion = match conversion {
                Some(conversion) => quote!(Some(#conversion)),
                None => quote!(None),
            };
            quote!(Change::install_sync(#t, #c, #s, #conversion))
        }
        Op::RemoveSync { table, column, .. } => {
            let (t, c) = (idens.table(table), idens.column(table, column));
            quote!(Change::remove_sync(#t, #c))
        }
        Op::SwapIn {
            table,
            column,
            shadow,
            indexes,
        }
        | Op::SwapOut {
            table,
            column,
            shadow,
            indexes,
        } => {
            let (t, c, s) = (
                idens.table(table),
                idens.column(table, column),
                idens.column(table, shadow),
            );
            let indexes = indexes.iter().map(|(a, b)| quote!((#a, #b)));
            let method = if matches!(op, Op::SwapIn { .. }) {
                quote!(swap_in)
            } else {
                quote!(swap_out)
            };
            quote!(Change::#method(#t, #c, #s, [#(#indexes),*]))
        }
        Op::CreateView { view, table } => quote!(Change::create_view(#view, #table)),
        Op::DropView { view } => quote!(Change::drop_view(#view)),
        Op::ViewToTable { view, table } => quote!(Change::view_to_table(#view, #table)),
        Op::TableToView { view, table } => quote!(Change::table_to_view(#view, #table)),
        Op::RebuildTable { table, backfills } => {
            let stmt = table_create(table, &[], idens);
            let indexes = table
                .indexes
                .values()
                .map(|i| index_create(&table.name, i, idens));
            let fills = backfills.iter().map(|(c, sql)| quote!((#c, #sql)));
            quote!(Change::rebuild_table(#stmt, [#(#indexes),*], [#(#fills),*]))
        }
        Op::MysqlOnline(_)
        | Op::CreateIndexConcurrently { .. }
        | Op::DropIndexConcurrently { .. }
        | Op::AddUniqueConcurrently { .. }
        | Op::AddForeignKeyNotValid { .. }
        | Op::DropForeignKeyAndIndex { .. }
        | Op::Backfill { .. } => return render_change(&logical(op), idens),
    }]
}

/// PostgreSQL changes a column part by part: its type (with a `USING` cast where the
/// conversion is not implicit), its nullability, its default.
pub(super) fn alter_column_parts(
    table: &str,
    column: &Column,
    ty: bool,
    nullable: bool,
    default: bool,
    using: &Option<String>,
    idens: &mut Idens,
) -> Vec<TokenStream> {
    let t = idens.table(table);
    let c = idens.column(table, &column.name);
    let alter = |def: TokenStream| quote!(Change::alter_table(Table::alter().table(#t).modify_column(#def)));
    let mut out = Vec::new();
    if ty {
        let def = match &column.ty {
            ColumnType::VarBinary(None) => {
                quote!(ColumnDef::new_with_type(#c, ColumnType::VarBinary(StringLen::None)))
            }
            other => {
                let ty_call = type_call(other);
                quote!(ColumnDef::new(#c) #ty_call)
            }
        };
        let using = using.clone().or_else(|| pg_using(&column.name, &column.ty));
        out.push(alter(match using {
            Some(using) => quote!(#def.using(Expr::cust(#using))),
            None => def,
        }));
    }
    if nullable {
        let null = if column.nullable {
            quote!(.null())
        } else {
            quote!(.not_null())
        };
        out.push(alter(quote!(ColumnDef::new(#c) #null)));
    }
    if default && let Some(d) = &column.default {
        let d = default_tokens(d);
        out.push(alter(quote!(ColumnDef::new(#c).default(#d))));
    }
    out
}

pub(super) fn fit_tokens(fit: &crate::plan::fit::Fit) -> TokenStream {
    use crate::plan::fit::Fit;
    use proc_macro2::Literal;
    let int = |n: i64| match n {
        i64::MIN => quote!(i64::MIN),
        i64::MAX => quote!(i64::MAX),
        n => {
            let n = Literal::i64_unsuffixed(n);
            quote!(#n)
        }
    };
    match *fit {
        Fit::Chars(n) => {
            let n = Literal::u32_unsuffixed(n);
            quote!(Fit::Chars(#n))
        }
        Fit::Decimal { precision, scale } => {
            let (p, s) = (
                Literal::u32_unsuffixed(precision),
                Literal::u32_unsuffixed(scale),
            );
            quote!(Fit::Decimal { precision: #p, scale: #s })
        }
        Fit::SinglePrecision => quote!(Fit::SinglePrecision),
        Fit::Integer { min, max } => {
            let (min, max) = (int(min), int(max));
            quote!(Fit::Integer { min: #min, max: #max })
        }
    }
}

/// PostgreSQL converts only between some types implicitly; an explicit cast covers the rest.
/// A string type gets no cast: without `USING` the conversion is an assignment cast, which
/// fails on a value too long, where an explicit `::varchar(n)` would cut it silently.
pub(super) fn pg_using(column: &str, ty: &ColumnType) -> Option<String> {
    let quoted = Backend::Postgres.quote(column);
    let target = match ty {
        ColumnType::String(_) | ColumnType::Char(_) | ColumnType::Text => return None,
        ColumnType::Enum(name) => return Some(format!("{quoted}::text::\"{name}\"")),
        other => crate::backend::physical_type(other, &Default::default(), Backend::Postgres),
    };
    Some(format!("{quoted}::{target}"))
}
