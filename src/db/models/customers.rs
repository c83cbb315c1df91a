use crate::db::schema::customers;
use crate::domain::{CustomerId, CustomerStatus, Locale, StatusReason};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = customers, treat_none_as_default_value = false)]
pub struct Customer {
    pub id: CustomerId,
    pub external_ref: String,
    pub email: String,
    pub name: String,
    pub phone: Option<String>,
    pub locale: Locale,
    pub status: CustomerStatus,
    pub status_reason: Option<StatusReason>,
    pub status_changed_at: Option<NaiveDateTime>,
    pub identity_verified: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Customer {
    pub fn find(conn: &mut crate::db::DbConnection, id: CustomerId) -> QueryResult<Option<Self>> {
        customers::table
            .find(id)
            .select(Customer::as_select())
            .first(conn)
            .optional()
    }

    pub fn by_external_ref(
        conn: &mut crate::db::DbConnection,
        external_ref: &str,
    ) -> QueryResult<Option<Self>> {
        customers::table
            .filter(customers::external_ref.eq(external_ref))
            .select(Customer::as_select())
            .first(conn)
            .optional()
    }

    pub fn by_email(conn: &mut crate::db::DbConnection, email: &str) -> QueryResult<Option<Self>> {
        customers::table
            .filter(customers::email.eq(email))
            .select(Customer::as_select())
            .first(conn)
            .optional()
    }
}
