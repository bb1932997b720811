//! Migrations that earlier tidemark versions wrote call the runtime's modules by path, before
//! `Online` and `Change` took their place. Those files are applied history: upgrading the
//! runtime must not make them stop compiling. Every path they named resolves here.

#![allow(unused_imports)]

use tidemark_runtime::adopt::{add_foreign_key, drop_foreign_key};
use tidemark_runtime::backfill::{Backfill, run};
use tidemark_runtime::fit::{Fit, require, require_converted, require_values};
use tidemark_runtime::mysql::{drop_foreign_key as mysql_drop_foreign_key, keep_key_index, online};
use tidemark_runtime::postgres::{
    add_foreign_key_not_valid, add_unique_constraint_concurrently, create_index_concurrently,
    drop_index_concurrently, set_not_null, use_schema, validate_constraint,
};
use tidemark_runtime::references::{References, require_parents};
use tidemark_runtime::resume::{Leaves, needed};
use tidemark_runtime::shadow::{
    convert_column, install_converting_sync, install_sync, remove_sync, swap_in, swap_out,
};
use tidemark_runtime::sqlite::rebuild_table;
use tidemark_runtime::squash::replaces;
use tidemark_runtime::view::{create_view, drop_view, table_to_view, view_to_table};
use tidemark_runtime::{atomic_where_possible, locked};

#[test]
fn the_paths_of_earlier_generated_migrations_resolve() {
    // Compiling this file is the test; a value from each module keeps the imports honest.
    let _ = Fit::Chars(10);
    let _ = (rebuild_table, replaces, needed);
}
