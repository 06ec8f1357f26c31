//! The TypeScript bindings of the command list: every argument and result type, with
//! everything they refer to, and a `Commands` map from command name to both.

use std::any::TypeId;
use std::collections::{BTreeMap, HashSet};

use ts_rs::{TypeVisitor, TS};

#[derive(Default)]
pub(crate) struct Collector {
    seen: HashSet<TypeId>,
    /// Name → declaration; two Rust types of one name would overwrite each other.
    declarations: BTreeMap<String, (TypeId, String)>,
    commands: Vec<String>,
}

impl TypeVisitor for Collector {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        // Only declared types have an output path; primitives and containers are inlined.
        if T::output_path().is_none() || !self.seen.insert(TypeId::of::<T>()) {
            T::visit_generics(self);
            return;
        }
        let declaration = format!("{}export {}", T::docs().unwrap_or_default(), T::decl());
        if let Some((other, _)) = self.declarations.insert(T::ident(), (TypeId::of::<T>(), declaration)) {
            assert!(other == TypeId::of::<T>(), "two command types are named {}: rename one", T::ident());
        }
        T::visit_dependencies(self);
    }
}

impl Collector {
    pub(crate) fn command<A: TS + 'static, R: TS + 'static>(&mut self, name: &str) {
        self.visit::<A>();
        self.visit::<R>();
        A::visit_dependencies(self);
        R::visit_dependencies(self);
        self.commands.push(format!("  {name}: {{ args: {}; result: {} }};", A::name(), R::name()));
    }
}

/// The content of `ui/src/lib/bindings.ts`.
pub fn typescript_bindings() -> String {
    let mut collector = Collector::default();
    crate::visit_command_types(&mut collector);
    collector.visit::<crate::AppEvent>();
    collector.visit::<crate::ApiError>();
    let mut out = String::from(
        "// Generated from the Rust types by `cargo test -p revlens-commands` \
         (UPDATE_BINDINGS=1 writes it). Do not edit.\n\n",
    );
    for (_, declaration) in collector.declarations.values() {
        // JSON.parse gives every number as a `number`, u64 counts included (they stay
        // far below 2^53), so the bindings say so instead of ts-rs's `bigint`.
        let declaration = declaration.replace("bigint", "number");
        out.push_str(declaration.trim_end());
        if !declaration.trim_end().ends_with(';') {
            out.push(';');
        }
        out.push_str("\n\n");
    }
    out.push_str("/** Every command: its arguments and its result. */\nexport type Commands = {\n");
    for command in &collector.commands {
        out.push_str(command);
        out.push('\n');
    }
    out.push_str("};\n\nexport type CommandName = keyof Commands;\n");
    out
}
