//! A real browser on the desk: headless Chromium driven over WebDriver
//! (chromedriver and fantoccini) against the running server. Every page a
//! scenario looks at is photographed at 1280 px and 390 px wide (under the
//! test's output folder), must not scroll sideways at either width, and
//! must leave no error in the browser's console.

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::cell::Cell;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The widths every page must fit: a laptop and a phone.
const WIDE: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (390, 844);

/// A chromedriver command this crate has no method for: the browser's
/// console log, or a DevTools call.
#[derive(Debug)]
struct VendorCommand {
    path: &'static str,
    body: Value,
}

impl WebDriverCompatibleCommand for VendorCommand {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/{}",
            session_id.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

/// One browser, on its own chromedriver, for one scenario.
pub struct Driver {
    runtime: tokio::runtime::Runtime,
    client: Option<Client>,
    chromedriver: Child,
    base: String,
    shots: PathBuf,
    taken: Cell<usize>,
    /// Whether the journey itself runs on a phone-sized window.
    on_phone: Cell<bool>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

impl Driver {
    /// Starts chromedriver and a headless Chromium on the desk at `base`;
    /// screenshots go to `<test output>/browser/<scenario>/`.
    pub fn start(base: &str, scenario: &str) -> Driver {
        let driver =
            std::env::var("REDRESS_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let chromium =
            std::env::var("REDRESS_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let port = free_port();
        let chromedriver = Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{driver} starts (install chromium and chromium-driver): {e}")
            });
        // chromedriver is spoken to over plain HTTP; rustls still wants a
        // provider chosen.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let profile = tempfile::tempdir()
            .expect("a browser profile folder")
            .keep();
        let capabilities = json!({
            "browserName": "chrome",
            "goog:loggingPrefs": { "browser": "ALL" },
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--hide-scrollbars",
                    format!("--user-data-dir={}", profile.display()),
                    format!("--window-size={},{}", WIDE.0, WIDE.1),
                ],
            },
        });
        let capabilities = match capabilities {
            Value::Object(map) => map,
            _ => unreachable!("capabilities are an object"),
        };
        let webdriver = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            let attempt = runtime.block_on(async {
                ClientBuilder::rustls()
                    .expect("a TLS setup")
                    .capabilities(capabilities.clone())
                    .connect(&webdriver)
                    .await
            });
            match attempt {
                Ok(client) => break client,
                Err(error) if Instant::now() > deadline => {
                    panic!("no browser session from chromedriver: {error}")
                }
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        };
        let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join("browser")
            .join(scenario);
        let _ = std::fs::remove_dir_all(&shots);
        std::fs::create_dir_all(&shots).expect("the screenshot folder");
        Driver {
            runtime,
            client: Some(client),
            chromedriver,
            base: base.to_owned(),
            shots,
            taken: Cell::new(0),
            on_phone: Cell::new(false),
        }
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("the browser is open")
    }

    fn run<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, fantoccini::error::CmdError>>,
        what: &str,
    ) -> T {
        self.runtime
            .block_on(work)
            .unwrap_or_else(|e| panic!("{what}: {e}"))
    }

    /// Runs the rest of the journey on a phone-sized window (each look
    /// still photographs both widths).
    pub fn use_phone(&self) {
        self.on_phone.set(true);
        self.emulate(PHONE);
    }

    fn emulate(&self, (width, height): (u32, u32)) {
        self.vendor(
            "goog/cdp/execute",
            json!({
                "cmd": "Emulation.setDeviceMetricsOverride",
                "params": {
                    "width": width, "height": height,
                    "deviceScaleFactor": 1, "mobile": width < 600,
                },
            }),
        );
    }

    /// Sets a field's value as a user's picker would (date inputs take
    /// typing in the browser's own format).
    pub fn set_value(&self, css: &str, value: &str) {
        self.element(css);
        self.run(
            self.client().execute(
                "document.querySelector(arguments[0]).value = arguments[1];",
                vec![json!(css), json!(value)],
            ),
            &format!("set {css}"),
        );
    }

    /// Ticks a checkbox (which loads no page).
    pub fn tick(&self, css: &str) {
        let element = self.element(css);
        self.run(element.click(), &format!("tick {css}"));
    }

    /// Chooses a file for a file input.
    pub fn attach(&self, css: &str, file: &std::path::Path) {
        let element = self.element(css);
        self.run(
            element.send_keys(&file.display().to_string()),
            &format!("attach {} to {css}", file.display()),
        );
    }

    pub fn goto(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.run(self.client().goto(&url), &format!("open {path}"));
    }

    /// The path and query of the page shown.
    pub fn path(&self) -> String {
        let url = self.run(self.client().current_url(), "the current address");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    fn element(&self, css: &str) -> fantoccini::elements::Element {
        self.run(
            async {
                let client = self.client();
                let wait = client.wait().at_most(Duration::from_secs(10));
                wait.for_element(Locator::Css(css)).await
            },
            &format!("find {css} on {}", self.path()),
        )
    }

    /// Clicks a link or a form's button and waits for the page it loads:
    /// every click in the desk leads to a new page, and reading before it
    /// has arrived would read the old one.
    pub fn click(&self, css: &str) {
        let element = self.element(css);
        self.run(
            self.client()
                .execute("window.redressOldPage = true;", vec![]),
            "mark the page",
        );
        self.run(element.click(), &format!("click {css}"));
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let arrived = self
                .runtime
                .block_on(self.client().execute(
                    "return window.redressOldPage !== true && document.readyState === 'complete';",
                    vec![],
                ))
                .ok()
                .and_then(|value| value.as_bool())
                .unwrap_or(false);
            if arrived {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "clicking {css} on {} loaded no page",
                self.path()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn fill(&self, css: &str, text: &str) {
        let element = self.element(css);
        self.run(element.clear(), &format!("clear {css}"));
        self.run(element.send_keys(text), &format!("type into {css}"));
    }

    pub fn choose(&self, css: &str, value: &str) {
        let element = self.element(css);
        self.run(
            element.select_by_value(value),
            &format!("choose {value} in {css}"),
        );
    }

    pub fn text(&self, css: &str) -> String {
        let element = self.element(css);
        self.run(element.text(), &format!("read {css}"))
    }

    pub fn texts(&self, css: &str) -> Vec<String> {
        let elements = self.run(
            self.client().find_all(Locator::Css(css)),
            &format!("find {css}"),
        );
        elements
            .iter()
            .map(|element| self.run(element.text(), &format!("read {css}")))
            .collect()
    }

    fn vendor(&self, path: &'static str, body: Value) -> Value {
        self.run(
            self.client().issue_cmd(VendorCommand { path, body }),
            &format!("chromedriver {path}"),
        )
    }

    /// Page width beyond the window: (document width, window width).
    fn widths(&self) -> (u64, u64) {
        let value = self.run(
            self.client().execute(
                "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];",
                vec![],
            ),
            "measure the page",
        );
        let number = |i: usize| value.get(i).and_then(Value::as_u64).unwrap_or(u64::MAX);
        (number(0), number(1))
    }

    fn screenshot(&self, name: &str, width: u32) {
        let png = self.run(self.client().screenshot(), "a screenshot");
        let n = self.taken.get() + 1;
        self.taken.set(n);
        let file = self.shots.join(format!("{n:02}-{name}-{width}.png"));
        std::fs::write(&file, png).expect("the screenshot is saved");
    }

    /// Looks at the page: photographed wide and on a phone, never wider
    /// than the window, and no errors in the console since the last look.
    pub fn look(&self, name: &str) {
        let path = self.path();
        for (width, height) in [WIDE, PHONE] {
            self.emulate((width, height));
            let (document, window) = self.widths();
            self.screenshot(name, width);
            assert!(
                document <= window,
                "{path} ({name}) scrolls sideways at {width} px: {document} px wide"
            );
            let wrapped = self.run(
                self.client().execute(
                    "return [...document.querySelectorAll('.ref, .ref > a')]\
                       .filter(e => e.getClientRects().length > 1)\
                       .map(e => e.textContent.trim());",
                    vec![],
                ),
                "look for wrapped references",
            );
            assert_eq!(
                wrapped.as_array().map(Vec::len).unwrap_or(0),
                0,
                "{path} ({name}) at {width} px wraps references: {wrapped}"
            );
        }
        if self.on_phone.get() {
            self.emulate(PHONE);
        } else {
            self.vendor(
                "goog/cdp/execute",
                json!({ "cmd": "Emulation.clearDeviceMetricsOverride", "params": {} }),
            );
        }
        let log = self.vendor("se/log", json!({ "type": "browser" }));
        let errors: Vec<String> = log
            .as_array()
            .into_iter()
            .flatten()
            .filter(|entry| entry.get("level").and_then(Value::as_str) == Some("SEVERE"))
            .map(|entry| {
                entry
                    .get("message")
                    .map(Value::to_string)
                    .unwrap_or_default()
            })
            .collect();
        assert!(
            errors.is_empty(),
            "{path} ({name}): console errors {errors:?}"
        );
    }

    /// Signs in on the login page.
    pub fn sign_in(&self, email: &str, password: &str) {
        self.goto("/agent/login");
        self.fill("#email", email);
        self.fill("#password", password);
        self.click("form[action='/agent/login'] button[type=submit]");
        self.element(".desk-nav");
    }

    /// Signs out from the header (opening the phone menu first if needed).
    pub fn sign_out(&self) {
        self.click("form[action='/agent/logout'] button");
        self.element("#email");
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = self.runtime.block_on(client.close());
        }
        let _ = self.chromedriver.kill();
        let _ = self.chromedriver.wait();
    }
}
