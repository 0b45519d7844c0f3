//! A customer's sealed values opened with its data key: the sealed fields of its own and its
//! sessions' event payloads, and the account those events leave behind.

use std::collections::{BTreeMap, BTreeSet};

use events::customers::sealed_as;
use events::sessions::{SEALED_IP, SEALED_USER_AGENT};
use serde_json::{Map, Value, json};
use store::subject_keys::{DataKey, is_sealed};

/// Replaces every sealed field of `payload` by its value (an address by its JSON object).
pub fn open_payload(key: &DataKey, payload: &mut Value) {
    let address = payload["address_id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .map(sealed_as::address);
    let mut fields = vec![
        ("email", sealed_as::EMAIL.to_owned()),
        ("name", sealed_as::NAME.to_owned()),
        ("phone", sealed_as::PHONE.to_owned()),
        ("birth_date", sealed_as::BIRTH_DATE.to_owned()),
        ("user_agent", SEALED_USER_AGENT.to_owned()),
        ("ip", SEALED_IP.to_owned()),
    ];
    fields.extend(address.map(|field| ("address", field)));
    open_fields(key, payload, &fields);
    if let Some(address) = payload.get_mut("address")
        && let Some(document) = address.as_str()
    {
        *address = serde_json::from_str(document).unwrap_or(Value::Null);
    }
    if let Some(metadata) = payload.get_mut("metadata") {
        open_fields(
            key,
            metadata,
            &[
                ("user_agent", SEALED_USER_AGENT.to_owned()),
                ("ip", SEALED_IP.to_owned()),
            ],
        );
    }
}

fn open_fields(key: &DataKey, object: &mut Value, fields: &[(&str, String)]) {
    for (name, sealed_as) in fields {
        if let Some(value) = object.get_mut(*name)
            && let Some(sealed) = value.as_str().filter(|v| is_sealed(v))
        {
            // A value that does not open is reported as absent, never as ciphertext.
            *value = key
                .open(sealed_as, sealed)
                .map_or(Value::Null, Value::String);
        }
    }
}

/// The account as a customer's opened events leave it; small whatever the history's length
/// (at most 20 addresses, three channels, the segments it is in).
#[derive(Debug, Default)]
pub struct Account {
    profile: Map<String, Value>,
    addresses: BTreeMap<String, Value>,
    default_shipping: Option<String>,
    default_billing: Option<String>,
    consents: BTreeMap<String, bool>,
    locale: Option<String>,
    segments: BTreeSet<String>,
}

impl Account {
    /// Folds one opened event of the customer's stream.
    pub fn apply(&mut self, event_type: &str, e: &Value) {
        let address_id = || e["address_id"].as_str().unwrap_or_default().to_owned();
        match event_type {
            "customer.signed_up.v1" => {
                for field in ["email", "name", "phone", "signed_up_at"] {
                    self.profile.insert(field.into(), e[field].clone());
                }
            }
            "customer.email_changed.v1" => {
                self.profile.insert("email".into(), e["email"].clone());
            }
            "customer.profile_changed.v1" => {
                for field in ["name", "phone", "birth_date"] {
                    self.profile.insert(field.into(), e[field].clone());
                }
            }
            "customer.address_added.v1" | "customer.address_changed.v1" => {
                let id = address_id();
                self.defaults(
                    &id,
                    e["default_shipping"] == true,
                    e["default_billing"] == true,
                );
                self.addresses.insert(id, e["address"].clone());
            }
            "customer.address_removed.v1" => {
                let id = address_id();
                self.defaults(&id, false, false);
                self.addresses.remove(&id);
            }
            "customer.consent_changed.v1" => {
                let channel = e["channel"].as_str().unwrap_or_default().to_owned();
                self.consents.insert(channel, e["granted"] == true);
            }
            "customer.locale_changed.v1" => {
                self.locale = e["locale"].as_str().map(str::to_owned);
            }
            "customer.segment_added.v1" | "customer.segment_removed.v1" => {
                let segment = e["segment"].as_str().unwrap_or_default().to_owned();
                match event_type.ends_with("added.v1") {
                    true => self.segments.insert(segment),
                    false => self.segments.remove(&segment),
                };
            }
            _ => {}
        }
    }

    fn defaults(&mut self, id: &str, shipping: bool, billing: bool) {
        for (slot, is) in [
            (&mut self.default_shipping, shipping),
            (&mut self.default_billing, billing),
        ] {
            match is {
                true => *slot = Some(id.to_owned()),
                false if slot.as_deref() == Some(id) => *slot = None,
                false => {}
            }
        }
    }

    /// The account's sections of the export.
    pub fn sections(self) -> [(&'static str, Value); 4] {
        let addresses: Vec<Value> = self
            .addresses
            .into_iter()
            .map(|(id, address)| {
                json!({
                    "address_id": id,
                    "address": address,
                    "default_shipping": self.default_shipping.as_deref() == Some(id.as_str()),
                    "default_billing": self.default_billing.as_deref() == Some(id.as_str()),
                })
            })
            .collect();
        [
            ("profile", Value::Object(self.profile)),
            ("addresses", Value::Array(addresses)),
            (
                "preferences",
                json!({ "marketing_consents": self.consents, "locale": self.locale }),
            ),
            ("segments", json!(self.segments)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn sealed_fields_open_in_place_and_an_address_becomes_its_object() {
        let subject = Uuid::now_v7();
        let key = DataKey::generate(subject).expect("key");
        let address_id = Uuid::now_v7();
        let document = json!({ "line1": "Here 1" }).to_string();
        let mut payload = json!({
            "address_id": address_id,
            "address": key.seal(&sealed_as::address(address_id), &document).expect("sealed"),
            "name": key.seal(sealed_as::NAME, "Ada").expect("sealed"),
            "phone": key.seal(sealed_as::EMAIL, "+41441234567").expect("sealed"),
            "metadata": { "ip": key.seal(SEALED_IP, "10.0.0.1").expect("sealed"), "ticket": "T-1" },
            "segment": "vip",
        });
        open_payload(&key, &mut payload);
        assert_eq!(payload["address"], json!({ "line1": "Here 1" }));
        assert_eq!(payload["name"], "Ada");
        assert_eq!(
            payload["phone"],
            Value::Null,
            "sealed as another field: never shown"
        );
        assert_eq!(
            payload["metadata"],
            json!({ "ip": "10.0.0.1", "ticket": "T-1" })
        );
        assert_eq!(payload["segment"], "vip");
    }

    #[test]
    fn the_account_folds_defaults_consents_and_segments() {
        let mut account = Account::default();
        let add = |id: &str, shipping: bool| json!({ "address_id": id, "address": { "line1": id }, "default_shipping": shipping });
        account.apply("customer.address_added.v1", &add("a", true));
        account.apply("customer.address_added.v1", &add("b", false));
        account.apply("customer.address_removed.v1", &json!({ "address_id": "a" }));
        for granted in [true, false, true] {
            let consent = json!({ "channel": "sms", "granted": granted });
            account.apply("customer.consent_changed.v1", &consent);
        }
        account.apply("customer.segment_added.v1", &json!({ "segment": "vip" }));
        account.apply("customer.segment_added.v1", &json!({ "segment": "b2b" }));
        account.apply("customer.segment_removed.v1", &json!({ "segment": "vip" }));
        let [_, (_, addresses), (_, preferences), (_, segments)] = account.sections();
        assert_eq!(
            addresses,
            json!([{ "address_id": "b", "address": { "line1": "b" },
                     "default_shipping": false, "default_billing": false }])
        );
        assert_eq!(preferences["marketing_consents"], json!({ "sms": true }));
        assert_eq!(segments, json!(["b2b"]));
    }
}
