//! `TestDb` and `TestApp`: real databases and a real running server.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use redress::config::Settings;
use redress::db::{self, Database, DatabaseUrl, DbConnection};
use redress::web::Application;
use std::collections::HashMap;
use std::net::TcpListener;
use std::path::PathBuf;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The PostgreSQL server to test against, if any.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("REDRESS_TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// A database of its own for one test, removed afterwards.
pub struct TestDb {
    pub url: DatabaseUrl,
    pub dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub fn new() -> TestDb {
        let dir = tempfile::tempdir().expect("a temporary folder");
        match postgres_admin_url() {
            Some(admin) => {
                let name = format!("redress_test_{:016x}", rand_suffix());
                let mut conn =
                    PgConnection::establish(&admin).expect("the test PostgreSQL server answers");
                conn.batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("a test database");
                let mut url = url::Url::parse(&admin).expect("REDRESS_TEST_DATABASE_URL is a URL");
                url.set_path(&format!("/{name}"));
                TestDb {
                    url: DatabaseUrl::Postgres(url.to_string()),
                    dir,
                    postgres: Some((admin, name)),
                }
            }
            None => {
                let path = dir.path().join("redress.db");
                TestDb {
                    url: DatabaseUrl::Sqlite(path),
                    dir,
                    postgres: None,
                }
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    /// The URL as DATABASE_URL would hold it.
    pub fn url_text(&self) -> String {
        match &self.url {
            DatabaseUrl::Sqlite(path) => path.display().to_string(),
            DatabaseUrl::Postgres(url) => url.clone(),
        }
    }

    /// A migrated connection.
    pub fn conn(&self) -> DbConnection {
        let mut conn = db::establish(&self.url).expect("the test database opens");
        db::run_migrations(&mut conn).expect("migrations apply");
        conn
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.postgres
            && let Ok(mut conn) = PgConnection::establish(admin)
        {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    hasher.finish()
}

/// Settings for a test: the given database, everything else in `dir`.
pub fn test_settings(db: &TestDb) -> Settings {
    test_settings_with(db, &[])
}

/// Test settings with some variables set as well.
pub fn test_settings_with(db: &TestDb, extra: &[(&'static str, &str)]) -> Settings {
    let data_dir = db.dir.path().join("data");
    let mut vars: HashMap<&str, String> = [
        ("REDRESS_BIND", "127.0.0.1:0".to_owned()),
        ("DATABASE_URL", db.url_text()),
        ("REDRESS_DATA_DIR", data_dir.display().to_string()),
    ]
    .into_iter()
    .collect();
    vars.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    Settings::from_lookup(|name| vars.get(name).cloned()).expect("test settings parse")
}

/// A running server over its own database, and a browser that keeps cookies.
pub struct TestApp {
    pub db: TestDb,
    browser: Browser,
}

/// A client with its own cookie jar, talking to the test server.
pub struct Browser {
    pub address: String,
    pub client: reqwest::blocking::Client,
}

impl std::ops::Deref for TestApp {
    type Target = Browser;

    fn deref(&self) -> &Browser {
        &self.browser
    }
}

impl TestApp {
    pub fn start() -> TestApp {
        TestApp::start_with(TestDb::new())
    }

    pub fn start_with(db: TestDb) -> TestApp {
        let settings = test_settings(&db);
        TestApp::start_with_settings(db, settings)
    }

    pub fn start_with_settings(db: TestDb, settings: Settings) -> TestApp {
        let database = Database::open(&db.url, 4).expect("the test database opens");
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("a bound port").port();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let app =
                    Application::build(listener, database, settings).expect("the server builds");
                app.run_until_stopped().await
            })
        });
        TestApp {
            db,
            browser: Browser::new(format!("http://127.0.0.1:{port}")),
        }
    }

    /// Another browser, with no cookies yet, on the same server.
    pub fn browser(&self) -> Browser {
        Browser::new(self.address.clone())
    }

    /// A browser whose pages come from `origin` (a proxy's public address).
    pub fn browser_from(&self, origin: &str) -> Browser {
        Browser::with_origin(self.address.clone(), Some(origin))
    }
}

impl Browser {
    pub fn new(address: String) -> Browser {
        let origin = address.clone();
        Browser::with_origin(address, Some(&origin))
    }

    /// A client that sends `Origin: origin` with every request, as a
    /// browser does with forms, or no Origin at all.
    pub fn with_origin(address: String, origin: Option<&str>) -> Browser {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(origin) = origin {
            headers.insert(
                reqwest::header::ORIGIN,
                reqwest::header::HeaderValue::from_str(origin).expect("an origin header"),
            );
        }
        let client = reqwest::blocking::Client::builder()
            .cookie_store(true)
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        Browser { address, client }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn get(&self, path: &str) -> reqwest::blocking::Response {
        self.client
            .get(self.url(path))
            .send()
            .expect("the server answers")
    }
}

/// The path of the `redress` binary Cargo built for these tests.
pub fn redress_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_redress"))
}

/// `redress` with a clean environment of Redress settings.
pub fn redress_command(db: &TestDb) -> std::process::Command {
    let mut command = std::process::Command::new(redress_binary());
    command
        .env_remove("REDRESS_BIND")
        .env_remove("REDRESS_MAIL_URL")
        .env_remove("REDRESS_SECRET")
        .env_remove("REDRESS_BASE_URL")
        .env("DATABASE_URL", db.url_text())
        .env("REDRESS_DATA_DIR", db.dir.path().join("data"))
        .env("RUST_LOG", "info")
        .current_dir(db.dir.path());
    command
}

/// A wallet customer with CNY funds of `balance_minor`, topped up from the
/// bank through the ledger. Returns the wallet and the bank account.
pub fn funded_wallet(
    conn: &mut DbConnection,
    number: i64,
    balance_minor: i64,
) -> (
    redress::domain::LedgerAccountId,
    redress::domain::LedgerAccountId,
) {
    use redress::db::models::Customer;
    use redress::db::schema::customers;
    use redress::domain::*;
    use redress::ledger::accounts::open_account;
    use redress::ledger::transfers::{Links, NewTransfer, post_transfer};
    let at = chrono::Utc::now().naive_utc();
    let customer = Customer {
        id: CustomerId(number),
        external_ref: format!("CU-T{number}"),
        email: format!("customer{number}@example.com"),
        name: format!("Customer {number}"),
        phone: None,
        locale: Locale::En,
        status: CustomerStatus::Active,
        status_reason: None,
        status_changed_at: None,
        identity_verified: true,
        created_at: at,
        updated_at: at,
    };
    diesel::insert_into(customers::table)
        .values(&customer)
        .execute(conn)
        .expect("a customer");
    let wallet = open_account(
        conn,
        AccountKind::CustomerWallet,
        Some(customer.id),
        Currency::Cny,
    )
    .expect("a wallet");
    let bank =
        open_account(conn, AccountKind::ExternalBank, None, Currency::Cny).expect("the bank");
    if balance_minor > 0 {
        post_transfer(
            conn,
            &NewTransfer {
                idempotency_key: format!("fund-{number}"),
                debit: bank.id,
                credit: wallet.id,
                amount: Money::from_minor(balance_minor, Currency::Cny),
                kind: TransferKind::TopUp,
                links: Links::default(),
                memo: None,
            },
        )
        .expect("funding");
    }
    (wallet.id, bank.id)
}

/// Runs `work` on 16 threads at once, each with its own pooled connection,
/// released together so they really race.
pub fn race<T: Send + 'static>(
    database: &Database,
    work: impl Fn(usize, &mut DbConnection) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let database = database.clone();
    race_threads(move |n, ready| {
        let mut conn = database.conn().expect("a pooled connection");
        ready.wait();
        work(n, &mut conn)
    })
}

/// Runs `work` on 16 threads at once, each through `Database::write_blocking`
/// (on SQLite: the writer's group commits).
pub fn race_writes<T, E>(
    database: &Database,
    work: impl Fn(usize, &mut DbConnection) -> Result<T, E> + Send + Sync + 'static,
) -> Vec<Result<T, E>>
where
    T: Send + 'static,
    E: db::WriteFailure + Send + 'static,
{
    let database = database.clone();
    let work = std::sync::Arc::new(work);
    race_threads(move |n, ready| {
        let work = work.clone();
        ready.wait();
        database.write_blocking(move |conn| work(n, conn))
    })
}

/// 16 threads; each calls `work` with its number and a barrier to wait on
/// once it is ready, so that all of them go at once.
fn race_threads<T: Send + 'static>(
    work: impl Fn(usize, &std::sync::Barrier) -> T + Send + Sync + 'static,
) -> Vec<T> {
    const THREADS: usize = 16;
    let work = std::sync::Arc::new(work);
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|n| {
            let (work, barrier) = (work.clone(), barrier.clone());
            std::thread::spawn(move || work(n, &barrier))
        })
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().expect("the thread finished"))
        .collect()
}

/// The password every test agent gets.
pub const AGENT_PASSWORD: &str = "correct horse battery staple";

/// Adds an agent straight to the database.
pub fn add_test_agent(
    db: &TestDb,
    email: &str,
    name: &str,
    role: redress::domain::Role,
) -> redress::domain::AgentId {
    let request = redress::agents::NewAgentRequest::parse(email, name, role, AGENT_PASSWORD)
        .expect("a valid agent");
    redress::agents::add_agent(&mut db.conn(), request, None).expect("the agent is added")
}

/// The id of the agent with this e-mail.
pub fn agent_id(db: &TestDb, email: &str) -> redress::domain::AgentId {
    use redress::db::schema::agents;
    agents::table
        .filter(agents::email.eq(email))
        .select(agents::id)
        .first(&mut db.conn())
        .expect("the agent exists")
}

/// Parsed HTML and the elements a CSS selector picks.
pub fn select<'a>(html: &'a scraper::Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    let selector = scraper::Selector::parse(css).expect("a valid selector");
    html.select(&selector).collect()
}

pub fn text_of(element: scraper::ElementRef<'_>) -> String {
    element
        .text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl Browser {
    /// Posts the login form as a browser would: fetches the page for its
    /// token first.
    pub fn sign_in(&self, email: &str, password: &str) -> reqwest::blocking::Response {
        self.sign_in_to(email, password, "")
    }

    pub fn sign_in_to(
        &self,
        email: &str,
        password: &str,
        next: &str,
    ) -> reqwest::blocking::Response {
        let page = scraper::Html::parse_document(
            &self.get("/agent/login").text().expect("the login page"),
        );
        let token = select(&page, "input[name=login_token]")
            .first()
            .and_then(|input| input.value().attr("value"))
            .unwrap_or_default()
            .to_owned();
        self.client
            .post(self.url("/agent/login"))
            .form(&[
                ("email", email),
                ("password", password),
                ("next", next),
                ("login_token", &token),
            ])
            .send()
            .expect("the server answers")
    }

    /// Signs in and insists it worked.
    pub fn sign_in_ok(&self, email: &str) {
        let response = self.sign_in(email, AGENT_PASSWORD);
        assert_eq!(response.status(), 303, "signing in as {email}");
    }

    /// A page's parsed HTML, insisting on 200.
    pub fn page(&self, path: &str) -> scraper::Html {
        let response = self.get(path);
        assert_eq!(response.status(), 200, "GET {path}");
        scraper::Html::parse_document(&response.text().expect("a body"))
    }

    /// The CSRF token the desk's forms carry on `path`.
    pub fn csrf(&self, path: &str) -> String {
        let page = self.page(path);
        select(&page, "input[name=csrf_token]")
            .first()
            .and_then(|input| input.value().attr("value"))
            .expect("the page has a form with a CSRF token")
            .to_owned()
    }

    /// Posts a desk form with the session's CSRF token.
    pub fn post_form(
        &self,
        path: &str,
        csrf: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::blocking::Response {
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", csrf)];
        form.extend_from_slice(fields);
        self.client
            .post(self.url(path))
            .form(&form)
            .send()
            .expect("the server answers")
    }
}

impl Browser {
    /// A form the desk refused: sent back (303) to its page, which says
    /// why. Returns that page.
    pub fn refused_page(&self, response: reqwest::blocking::Response) -> scraper::Html {
        assert_eq!(
            response.status(),
            303,
            "a refused form is sent back to its page"
        );
        let page = self.page(&location(&response));
        assert!(
            !select(&page, ".error").is_empty(),
            "the page says why the form was refused"
        );
        page
    }
}

pub fn location(response: &reqwest::blocking::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
