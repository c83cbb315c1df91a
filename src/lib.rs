//! Redress: the support and dispute desk of a digital wallet, and the
//! wallet's double-entry ledger.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod agents;
pub mod audit;
pub mod config;
pub mod db;
pub mod demo;
pub mod disputes;
pub mod domain;
pub mod evidence;
pub mod i18n;
pub mod ledger;
pub mod mail;
pub mod platform;
pub mod playbooks;
pub mod throttle;
pub mod tickets;
pub mod web;
