//! Files generated from the CLI definition (`cli::command()`), never written
//! by hand: shell completion scripts and man pages. Copies are committed
//! under `dist/` for the .deb; a test regenerates them and fails when they
//! are stale (docs/architecture.md says how to refresh them).

use crate::cli::{self, Shell};

/// The completion script for `shell`, as `tbmesh completions SHELL` prints it.
pub fn completion(shell: Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(
        clap_complete::Shell::from(shell),
        &mut cli::command(),
        "tbmesh",
        &mut out,
    );
    String::from_utf8_lossy(&out).into_owned()
}

/// Where each shell looks for a packaged completion script, and the file
/// name under `dist/completions/`.
pub fn completion_file(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => "tbmesh.bash",
        Shell::Zsh => "_tbmesh",
        Shell::Fish => "tbmesh.fish",
    }
}

/// Every man page: `tbmesh.1` and one per subcommand (`tbmesh-apply.1`,
/// `tbmesh-lab-up.1`, ...), as (file name, roff text), sorted by name.
pub fn man_pages() -> Vec<(String, String)> {
    let mut cmd = cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    collect(&cmd, true, &mut pages);
    pages.sort();
    pages
}

fn collect(cmd: &clap::Command, top: bool, pages: &mut Vec<(String, String)>) {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub, false, pages);
    }
    let man = clap_mangen::Man::new(cmd.clone())
        .source(format!("tbmesh {}", env!("CARGO_PKG_VERSION")))
        .manual("tbmesh");
    let name = man.get_filename();
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = man.render(&mut out);
    let mut text = String::from_utf8_lossy(&out).into_owned();
    if top {
        text.push_str(EXIT_STATUS);
        text.push_str(FILES);
    }
    text.push_str(&see_also(cmd, top));
    pages.push((name, text));
}

const EXIT_STATUS: &str = r#".SH "EXIT STATUS"
.TP
0
success
.TP
1
a check, apply or test failed
.TP
2
bad input (spec, flags); nothing was contacted or changed
.TP
3
a host could not be reached
"#;

const FILES: &str = r#".SH FILES
.TP
\fI./tbmesh.toml\fR
the cluster spec (or \fB\-f\fR \fIFILE\fR)
.TP
\fI/var/lib/tbmesh/backups/\fR
on each node: the files an apply replaced, per apply id (\fBtbmesh rollback\fR)
.TP
\fI$XDG_STATE_HOME/tbmesh/\fR
results of runs, per cluster (default \fI~/.local/state/tbmesh/\fR)
.TP
\fI/usr/share/doc/tbmesh/\fR
the documentation (\fIdocs/\fR) and example specs (\fIexamples/\fR)
"#;

/// SEE ALSO: the parent's page from a subcommand's, the subcommands' pages
/// from a page that has them, and the documentation.
fn see_also(cmd: &clap::Command, top: bool) -> String {
    let page = |name: &str| format!("\\fB{name}\\fR(1)");
    let mut refs = Vec::new();
    if !top {
        refs.push(page("tbmesh"));
    }
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        refs.push(page(sub.get_display_name().unwrap_or(sub.get_name())));
    }
    format!(
        ".SH \"SEE ALSO\"\n{}\n.PP\n\\fI/usr/share/doc/tbmesh/\\fR\n",
        refs.join(", ")
    )
}
