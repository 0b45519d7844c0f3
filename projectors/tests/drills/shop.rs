//! Customers written as the command side writes them, for the drills of the customer
//! directory: a sign-up commits the customer's data key (wrapped with the drill's master key)
//! with its sealed event; consent changes follow.

use std::collections::HashMap;
use std::sync::Arc;

use events::EventMetadata;
use events::customers::{
    Channel, CustomerConsentChanged, CustomerEvent, CustomerSignedUp, Sealed, sealed_as,
};
use events::topics::Category;
use store::event_store::{EventStore, NewEvent, StreamAppend, Transaction};
use store::subject_keys::SubjectKeys;
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::support::Drill;

/// Customers as the command side writes them: for each, its stream version and whether it
/// consents to SMS now.
pub struct Shop {
    drill: Arc<Drill>,
    keys: Arc<dyn SubjectKeys>,
    customers: Mutex<HashMap<Uuid, (i64, bool)>>,
}

impl Shop {
    pub fn new(drill: Arc<Drill>) -> Self {
        let master = runtime::master_key::MasterKeyArgs {
            master_key: drill.master_key.clone().into(),
        };
        let keys = projectors::customers::subject_keys(&master, &drill.stack.db.pool)
            .expect("the customers' keys");
        Self {
            drill,
            keys,
            customers: Mutex::default(),
        }
    }

    /// Signs a new customer up by a command with `metadata`; its id.
    pub async fn sign_up(&self, metadata: EventMetadata) -> Uuid {
        let id = Uuid::now_v7();
        let (key, stored) = self.keys.generate(id).expect("a data key");
        let seal = |field: &str, value: &str| Sealed(key.seal(field, value).expect("sealed"));
        let event = CustomerEvent::SignedUp(CustomerSignedUp {
            customer_id: id,
            email: seal(sealed_as::EMAIL, &format!("{id}@drill.test")),
            name: seal(sealed_as::NAME, "Drill Customer"),
            phone: None,
            signed_up_at: events::now(),
        });
        let transaction = Transaction {
            appends: vec![StreamAppend {
                stream_id: Category::Customers.stream_id(id),
                expected_version: 0,
                events: vec![NewEvent::new(&event, metadata).expect("event")],
            }],
            writes: vec![Box::new(stored)],
        };
        self.drill
            .store
            .commit(transaction)
            .await
            .expect("signed up");
        self.customers.lock().await.insert(id, (1, false));
        id
    }

    /// Turns customer `id`'s SMS consent over.
    pub async fn toggle(&self, id: Uuid) {
        let mut customers = self.customers.lock().await;
        let (version, granted) = customers.get_mut(&id).expect("signed up");
        let event = CustomerEvent::ConsentChanged(CustomerConsentChanged {
            customer_id: id,
            channel: Channel::Sms,
            granted: !*granted,
            changed_at: events::now(),
        });
        let new = NewEvent::new(&event, EventMetadata::new(None)).expect("event");
        let stream = Category::Customers.stream_id(id);
        let appended = self
            .drill
            .store
            .append(&stream, *version, vec![new])
            .await
            .expect("appended");
        *version = appended.version;
        *granted = !*granted;
    }

    /// Whether the live customer directory holds every customer at its version and consent.
    pub async fn directory_matches(&self) -> bool {
        let rows: Vec<(Uuid, i64, bool)> = sqlx::query_as(
            "SELECT customer_id, version, marketing_sms FROM customer_profiles \
             WHERE generation = 0",
        )
        .fetch_all(&self.drill.stack.db.pool)
        .await
        .expect("customer rows");
        let rows: HashMap<Uuid, (i64, bool)> = rows
            .into_iter()
            .map(|(id, v, sms)| (id, (v, sms)))
            .collect();
        *self.customers.lock().await == rows
    }
}
