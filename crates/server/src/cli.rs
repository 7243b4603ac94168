//! `portal-server users …`: the tenant's people, from the command line.

use crate::config;
use crate::people::{hash_password, normal_email, MIN_PASSWORD};
use crate::storage::{AddError, Database, NewPerson, Storage};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use portal_domain::Role;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

pub const USAGE: &str = "usage: portal-server users add --tenant T --email E --role R [--name NAME]
           the password is asked for (or read as one line from stdin)
       portal-server users list [--tenant T]
       portal-server users disable --email E
       portal-server users first-admin [--tenant local] [--email admin@localhost]
           an admin with a new password, if the tenant has nobody yet; the password is
           printed and kept in DATA_DIR/initial-admin-password (SQLite only)
  roles: developer, product_owner, admin
  every form takes --data-dir DIR and --database-url URL as the server does";

/// What the command line asks for, with the database it names.
struct Args {
    command: String,
    flags: Vec<(String, String)>,
    data_dir: String,
    database_url: Option<String>,
}

impl Args {
    fn get(&self, flag: &str) -> Option<&str> {
        self.flags
            .iter()
            .find(|(f, _)| f == flag)
            .map(|(_, v)| v.as_str())
    }

    fn need(&self, flag: &str) -> Result<&str, String> {
        self.get(flag)
            .ok_or_else(|| format!("users {} needs {flag}\n{USAGE}", self.command))
    }
}

fn parse(
    args: impl IntoIterator<Item = String>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Args, String> {
    let mut args = args.into_iter();
    let command = args.next().ok_or_else(|| USAGE.to_owned())?;
    let known: &[&str] = match command.as_str() {
        "add" => &["--tenant", "--email", "--role", "--name"],
        "list" => &["--tenant"],
        "disable" => &["--email"],
        "first-admin" => &["--tenant", "--email"],
        _ => return Err(USAGE.to_owned()),
    };
    let mut parsed = Args {
        command,
        flags: Vec::new(),
        data_dir: env("PORTAL_DATA_DIR").unwrap_or_else(|| "./data".into()),
        database_url: env("DATABASE_URL"),
    };
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--data-dir" => parsed.data_dir = value,
            "--database-url" => parsed.database_url = Some(value),
            f if known.contains(&f) => parsed.flags.push((flag, value)),
            _ => {
                return Err(format!(
                    "users {}: unknown flag {flag}\n{USAGE}",
                    parsed.command
                ))
            }
        }
    }
    Ok(parsed)
}

/// Runs `portal-server users …` (`args` after `users`).
pub async fn users(
    args: impl IntoIterator<Item = String>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(), String> {
    let args = parse(args, env)?;
    let database = config::database(&args.data_dir, args.database_url.clone())?;
    if let Database::Sqlite(path) = &database {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
    }
    let storage = Storage::open(&database)
        .await
        .map_err(|e| format!("cannot open {database}: {e}"))?;
    match args.command.as_str() {
        "add" => add(&storage, &args).await,
        "list" => list(&storage, &args).await,
        "disable" => {
            let email = normal_email(args.need("--email")?)?;
            match storage.disable_person(&email).await {
                Ok(true) => {
                    println!("disabled {email}: their tokens open nothing from now on");
                    Ok(())
                }
                Ok(false) => Err(format!("{email} has no active account")),
                Err(e) => Err(format!("the database failed: {e}")),
            }
        }
        _ => first_admin(&storage, &args, &database).await,
    }
}

async fn add(storage: &Storage, args: &Args) -> Result<(), String> {
    let tenant = args.need("--tenant")?.trim();
    let email = normal_email(args.need("--email")?)?;
    let role = args.need("--role")?;
    let role = Role::parse(role)
        .ok_or_else(|| format!("\"{role}\" is no role: developer, product_owner or admin"))?;
    if tenant.is_empty() {
        return Err("the tenant must not be empty".into());
    }
    let default_name = email.split('@').next().unwrap_or_default().to_owned();
    let name = args
        .get("--name")
        .map_or(default_name, |n| n.trim().to_owned());
    let password = read_password(&email)?;
    let hash = hash_password(&password)?;
    let person = storage
        .add_person(&NewPerson {
            tenant,
            email: &email,
            display_name: &name,
            role,
            password_hash: &hash,
        })
        .await
        .map_err(|e| match e {
            AddError::Exists(email) => format!("{email} already has an account"),
            AddError::Database(e) => format!("the database failed: {e}"),
        })?;
    println!(
        "added {} ({}, {}) to {}",
        person.email, person.display_name, person.role, person.tenant
    );
    Ok(())
}

fn read_password(email: &str) -> Result<String, String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {email}: "))
            .map_err(|e| format!("cannot read the password: {e}"))?;
        let again = rpassword::prompt_password("The same password again: ")
            .map_err(|e| format!("cannot read the password: {e}"))?;
        if first != again {
            return Err("the two passwords differ; nothing was added".into());
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.chars().count() < MIN_PASSWORD {
        return Err(format!(
            "a password needs at least {MIN_PASSWORD} characters (read one line of stdin)"
        ));
    }
    Ok(password)
}

async fn list(storage: &Storage, args: &Args) -> Result<(), String> {
    let people = storage
        .people(args.get("--tenant"))
        .await
        .map_err(|e| format!("the database failed: {e}"))?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "tenant\temail\tname\trole\tstatus");
    for p in people {
        let status = if p.disabled { "disabled" } else { "active" };
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}\t{status}",
            p.tenant,
            p.email,
            p.display_name,
            p.role.as_str()
        );
    }
    Ok(())
}

/// Where the first admin's password is kept for the README's first command.
fn password_file(database: &Database) -> Option<std::path::PathBuf> {
    match database {
        Database::Sqlite(path) => Some(
            path.parent()
                .unwrap_or(Path::new("."))
                .join("initial-admin-password"),
        ),
        Database::Postgres(_) => None,
    }
}

async fn first_admin(storage: &Storage, args: &Args, database: &Database) -> Result<(), String> {
    let tenant = args.get("--tenant").unwrap_or("local");
    let email = normal_email(args.get("--email").unwrap_or("admin@localhost"))?;
    let file = password_file(database);
    let people = storage
        .people(Some(tenant))
        .await
        .map_err(|e| format!("the database failed: {e}"))?;
    if !people.is_empty() {
        let kept = file
            .as_ref()
            .and_then(|f| std::fs::read_to_string(f).ok())
            .filter(|_| people.iter().any(|p| p.email == email));
        match kept {
            Some(password) => println!(
                "Sign in as {email} with the password {} (kept in {})",
                password.trim(),
                file.as_ref().map(|f| f.display().to_string()).unwrap_or_default()
            ),
            None => println!(
                "{tenant} has {} people; add another with: portal-server users add --tenant {tenant} --email E --role R",
                people.len()
            ),
        }
        return Ok(());
    }
    let mut bytes = [0u8; 12];
    OsRng.fill_bytes(&mut bytes);
    let password = hex::encode(bytes);
    let hash = hash_password(&password)?;
    storage
        .add_person(&NewPerson {
            tenant,
            email: &email,
            display_name: "Admin",
            role: Role::Admin,
            password_hash: &hash,
        })
        .await
        .map_err(|e| format!("cannot add the first admin: {e}"))?;
    if let Some(file) = &file {
        write_private(file, &password)?;
    }
    println!("Created the first admin of {tenant}.");
    println!("Sign in as {email} with the password {password}");
    Ok(())
}

/// Writes `text` to `file`, readable by its owner only.
fn write_private(file: &Path, text: &str) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(file)
        .and_then(|mut f| writeln!(f, "{text}"))
        .map_err(|e| format!("cannot write {}: {e}", file.display()))
}
