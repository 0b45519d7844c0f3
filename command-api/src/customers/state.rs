//! What the customer aggregate remembers: ids, flags and the sealed profile (ciphertext only, so
//! a snapshot holds no personal data in the clear), folded from its events. `evolve` only
//! records what happened; the rules are in `decide`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use events::customers::{Channel, CustomerEvent, Sealed};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One customer at a stream version; `id` is `None` until it signs up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub id: Option<Uuid>,
    pub email: Option<Sealed>,
    pub name: Option<Sealed>,
    pub phone: Option<Sealed>,
    pub birth_date: Option<Sealed>,
    pub addresses: BTreeSet<Uuid>,
    pub default_shipping: Option<Uuid>,
    pub default_billing: Option<Uuid>,
    pub consents: BTreeMap<Channel, bool>,
    pub locale: Option<String>,
    pub segments: BTreeSet<String>,
    pub erased_at: Option<DateTime<Utc>>,
    pub version: i64,
}

impl Customer {
    /// Signed up and not erased.
    pub fn is_live(&self) -> bool {
        self.id.is_some() && self.erased_at.is_none()
    }

    pub fn evolve(mut self, version: i64, event: &CustomerEvent) -> Self {
        match event {
            CustomerEvent::SignedUp(e) => {
                self.id = Some(e.customer_id);
                self.email = Some(e.email.clone());
                self.name = Some(e.name.clone());
                self.phone.clone_from(&e.phone);
            }
            CustomerEvent::ProfileChanged(e) => {
                self.name = Some(e.name.clone());
                self.phone.clone_from(&e.phone);
                self.birth_date.clone_from(&e.birth_date);
            }
            CustomerEvent::EmailChanged(e) => self.email = Some(e.email.clone()),
            CustomerEvent::PasswordChanged(_) => {}
            CustomerEvent::AddressAdded(e) => {
                self.addresses.insert(e.address_id);
                self.defaults(e.address_id, e.default_shipping, e.default_billing);
            }
            CustomerEvent::AddressChanged(e) => {
                self.defaults(e.address_id, e.default_shipping, e.default_billing);
            }
            CustomerEvent::AddressRemoved(e) => {
                self.addresses.remove(&e.address_id);
                self.defaults(e.address_id, false, false);
            }
            CustomerEvent::ConsentChanged(e) => {
                self.consents.insert(e.channel, e.granted);
            }
            CustomerEvent::LocaleChanged(e) => self.locale.clone_from(&e.locale),
            CustomerEvent::SegmentAdded(e) => {
                self.segments.insert(e.segment.clone());
            }
            CustomerEvent::SegmentRemoved(e) => {
                self.segments.remove(&e.segment);
            }
            CustomerEvent::Erased(e) => {
                let id = self.id;
                self = Self {
                    id,
                    erased_at: Some(e.erased_at),
                    ..Self::default()
                };
            }
        }
        self.version = version;
        self
    }

    /// Address `id` is now (or no longer) the default of each kind.
    fn defaults(&mut self, id: Uuid, shipping: bool, billing: bool) {
        for (slot, is) in [
            (&mut self.default_shipping, shipping),
            (&mut self.default_billing, billing),
        ] {
            match is {
                true => *slot = Some(id),
                false if *slot == Some(id) => *slot = None,
                false => {}
            }
        }
    }
}
