//! Redress's integration tests, one binary so the suite links once.
//!
//! Each test gets its own database: a temporary SQLite file, or, when
//! `REDRESS_TEST_DATABASE_URL` names a PostgreSQL server, a fresh database
//! on it.

mod api;
mod audit;
mod browser;
mod cli;
mod database;
mod demo;
mod desk_admin;
mod desk_auth;
mod desk_browser;
mod desk_language;
mod desk_related;
mod desk_search;
mod desk_tickets;
mod exactness;
mod helpers;
mod http;
mod inbound_mail;
mod ledger;
mod mail;
mod playbooks;
mod public;
mod public_browser;
mod remedies;
