//! Avro wire types of the customer events, one per schema in `schemas/customers/`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    Channel, CustomerAddressAdded, CustomerAddressChanged, CustomerAddressRemoved,
    CustomerConsentChanged, CustomerEmailChanged, CustomerErased, CustomerLocaleChanged,
    CustomerPasswordChanged, CustomerProfileChanged, CustomerSegmentAdded, CustomerSegmentRemoved,
    CustomerSignedUp, Sealed,
};
use crate::EventError;
use crate::wire::{WireField, wire_record};

impl WireField for Sealed {
    type Wire = String;
    fn to_wire(&self) -> String {
        self.0.clone()
    }
    fn from_wire(_: &'static str, wire: String) -> Result<Self, EventError> {
        Ok(Self(wire))
    }
}

impl WireField for Option<Sealed> {
    type Wire = Option<String>;
    fn to_wire(&self) -> Option<String> {
        self.as_ref().map(|s| s.0.clone())
    }
    fn from_wire(_: &'static str, wire: Option<String>) -> Result<Self, EventError> {
        Ok(wire.map(Sealed))
    }
}

impl WireField for Channel {
    type Wire = String;
    fn to_wire(&self) -> String {
        self.as_str().to_owned()
    }
    fn from_wire(_: &'static str, wire: String) -> Result<Self, EventError> {
        wire.parse()
    }
}

wire_record! {
    CustomerSignedUpV1 for CustomerSignedUp {
        customer_id: Uuid,
        email: Sealed,
        name: Sealed,
        phone: Option<Sealed>,
        signed_up_at: DateTime<Utc>,
    }
}

wire_record! {
    CustomerProfileChangedV1 for CustomerProfileChanged {
        customer_id: Uuid,
        name: Sealed,
        phone: Option<Sealed>,
        birth_date: Option<Sealed>,
        changed_at: DateTime<Utc>,
    }
}

wire_record! {
    CustomerEmailChangedV1 for CustomerEmailChanged {
        customer_id: Uuid,
        email: Sealed,
        changed_at: DateTime<Utc>,
    }
}

wire_record! {
    CustomerPasswordChangedV1 for CustomerPasswordChanged {
        customer_id: Uuid,
        changed_at: DateTime<Utc>,
    }
}

wire_record! {
    CustomerAddressAddedV1 for CustomerAddressAdded {
        customer_id: Uuid,
        address_id: Uuid,
        address: Sealed,
        default_shipping: bool,
        default_billing: bool,
        added_at: DateTime<Utc>,
    }
}

wire_record! {
    CustomerAddressChangedV1 for CustomerAddressChanged {
        customer_id: Uuid,
        address_id: Uuid,
        address: Sealed,
        default_shipping: bool,
        default_billing: bool,
        changed_at: DateTime<Utc>,
    }
}

wire_record! {
    CustomerAddressRemovedV1 for CustomerAddressRemoved {
        customer_id: Uuid,
        address_id: Uuid,
        removed_at: DateTime<Utc>,
    }
}

wire_record! {
    CustomerConsentChangedV1 for CustomerConsentChanged {
        customer_id: Uuid,
        channel: Channel,
        granted: bool,
        changed_at: DateTime<Utc>,
    }
}

wire_record! {
    CustomerLocaleChangedV1 for CustomerLocaleChanged {
        customer_id: Uuid,
        locale: Option<String>,
        changed_at: DateTime<Utc>,
    }
}

wire_record! {
    CustomerSegmentAddedV1 for CustomerSegmentAdded {
        customer_id: Uuid,
        segment: String,
        added_at: DateTime<Utc>,
    }
}

wire_record! {
    CustomerSegmentRemovedV1 for CustomerSegmentRemoved {
        customer_id: Uuid,
        segment: String,
        removed_at: DateTime<Utc>,
    }
}

wire_record! {
    CustomerErasedV1 for CustomerErased {
        customer_id: Uuid,
        erased_at: DateTime<Utc>,
    }
}
